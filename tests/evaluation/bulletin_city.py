"""A small district with a known month for the bulletin tests: four streets and two departments whose
archived orders of October 2026, September 2026 and October 2025 give scores, ranks and rank changes that can
be worked out by hand under the default policy (响应率 10%, 办结率 40%, 满意率 50%; five orders to be ranked,
the last two ranked report).

October 2026 (scores): 积玉桥街 100 · 中华路街 90 (all late responses) · 水果湖街 75 (half unsatisfied) ·
首义路街 60 (all finished late); 区城管执法局 100 · 区水务局 90.
September 2026 (ranks): 水果湖街 1 · 积玉桥街 2 · 首义路街 3 · 中华路街 4; 区水务局 1 · 区城管执法局 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import insert
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import Database
from minhu.orders.models import OrderCall, WorkOrder
from minhu.orders.states import Status
from minhu.org import service as org_service
from minhu.org.roles import UnitKind
from tests.factories import World, make_world

_numbers = count(1)


@dataclass(frozen=True)
class Shape:
    """How a unit's orders of a month went."""

    orders: int
    late_response: bool = False
    late_finish: bool = False
    unsatisfied: int = 0


def archive(s: Session, owner_id: int, year: int, month: int, shape: Shape, *, calls: int = 0) -> None:
    """``shape.orders`` archived orders of ``owner_id`` closed on the 10th of the month, with their clocks and
    callback answers; the first ``calls`` orders also whistle the owner in (吹哨), who reports in time."""
    closed = datetime(year, month, 10, 10, 0, tzinfo=clock.city_tz())
    created = closed - timedelta(days=5)
    for index in range(shape.orders):
        responded = created + timedelta(hours=3 if shape.late_response else 1)
        replied = created + timedelta(days=4 if shape.late_finish else 2)
        satisfaction = "unsatisfied" if index < shape.unsatisfied else "satisfied"
        order_id = s.execute(insert(WorkOrder).values(
            number=f"B{next(_numbers):07d}", channel="hotline", type="complaint", urgency="normal",
            status=Status.ARCHIVED, anonymous=False, confidential=False, title="t", content="c",
            owner_unit_id=owner_id, created_at=created, updated_at=closed, version=1, deadlines_provisional=False,
            closed_at=closed, responded_at=responded, respond_due_at=created + timedelta(hours=2),
            replied_at=replied, finish_due_at=created + timedelta(days=3), resolution="resolved",
            satisfaction=satisfaction, unreachable=False, callback_reached=True, callback_attempts=1,
        ).returning(WorkOrder.id)).scalar_one()
        if index < calls:
            s.execute(insert(OrderCall).values(order_id=order_id, unit_id=owner_id, called_at=created,
                                               report_due_at=created + timedelta(hours=2),
                                               reported_at=created + timedelta(hours=1)))


@dataclass(frozen=True)
class BulletinCity:
    world: World
    streets: dict[str, int]
    departments: dict[str, int]


def make_bulletin_city(db: Database) -> BulletinCity:
    world = make_world(db)
    with db.transaction() as s:
        district = s.merge(world.district)
        extra_streets = [org_service.create_unit(s, code=code, name=name, kind=UnitKind.STREET, parent=district)
                         for code, name in (("S3", "中华路街"), ("S4", "首义路街"))]
        water = org_service.create_unit(s, code="D2", name="区水务局", kind=UnitKind.DEPARTMENT, parent=district)
        s.flush()
        streets = {"积玉桥街": world.street.id, "水果湖街": world.other_street.id,
                   **{u.name: u.id for u in extra_streets}}
        departments = {"区城管执法局": world.department.id, "区水务局": water.id}
        october = {"积玉桥街": Shape(6), "中华路街": Shape(6, late_response=True),
                   "水果湖街": Shape(6, unsatisfied=3), "首义路街": Shape(5, late_finish=True)}
        september = {"水果湖街": Shape(6), "积玉桥街": Shape(6, late_response=True),
                     "首义路街": Shape(6, unsatisfied=3), "中华路街": Shape(5, late_finish=True)}
        for name, shape in october.items():
            # The street's own orders and those of a community below it count alike.
            owner = world.community.id if name == "积玉桥街" else streets[name]
            archive(s, owner, 2026, 10, shape)
        for name, shape in september.items():
            archive(s, streets[name], 2026, 9, shape)
        archive(s, departments["区城管执法局"], 2026, 10, Shape(6), calls=2)
        archive(s, departments["区水务局"], 2026, 10, Shape(5, late_response=True))
        archive(s, departments["区水务局"], 2026, 9, Shape(5))
        archive(s, departments["区城管执法局"], 2026, 9, Shape(5, late_response=True))
        archive(s, streets["积玉桥街"], 2025, 10, Shape(5, unsatisfied=1))
    return BulletinCity(world, streets, departments)
