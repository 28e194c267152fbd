"""The orders of the 双考 tests (the called units, the weekly bottom report), written straight into the tables, with
what each unit's score and rank must be worked out by hand in the docstrings and the tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from minhu.core import clock
from minhu.core.db import Database
from minhu.orders.models import OrderCall
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import UnitKind
from tests.factories import World, insert_archived


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=clock.city_tz())


def add_units(db: Database, world: World, *specs: tuple[str, str, UnitKind]) -> dict[str, Unit]:
    """Units under the district, by code; one already there (another builder's) is reused."""
    with db.transaction() as s:
        district = s.merge(world.district)
        return {code: s.scalar(select(Unit).where(Unit.code == code))
                or org_service.create_unit(s, code=code, name=name, kind=kind, parent=district)
                for code, name, kind in specs}


def call(session: Any, order_id: int, unit: Unit, *, called_at: datetime, report: str | None) -> None:
    """A call onto an order: ``report`` is "in_time" (two hours later), "late" (thirty hours against the 24-hour
    limit) or None (never reported)."""
    reported = {"in_time": called_at + timedelta(hours=2), "late": called_at + timedelta(hours=30), None: None}
    session.execute(insert(OrderCall).values(order_id=order_id, unit_id=unit.id, called_at=called_at,
                                             report_due_at=called_at + timedelta(hours=24),
                                             reported_at=reported[report]))


def whistled_october(db: Database, world: World) -> dict[str, Unit]:
    """积玉桥街's October orders and the departments it called onto them.

    - 区城管执法局 (D1): A1, A2, A3, each 解决·满意, each reported in time.
    - 区市场监管局 (D2): B1 解决·满意 in time; B2 部分解决·基本满意 late; B3 未解决·不满意 in time; B4 解决·满意 never
      reported.
    - 区环保局 (D3): C1 未解决·不满意, called twice, in time both; C2 解决·满意 in time; C3 ruled unreasonable, never
      reported.
    - 区住建局 (D4): A1 in time, one call (fewer than the policy's two).

    Outside October: B5 (archived 2 November) with D2 called and never reported.
    """
    units = add_units(db, world, ("D2", "区市场监管局", UnitKind.DEPARTMENT), ("D3", "区环保局", UnitKind.DEPARTMENT),
                   ("D4", "区住建局", UnitKind.DEPARTMENT))
    units["D1"] = world.department
    called_at = at(10, 5)
    answers = {"good": {}, "partly": {"resolution": "partly", "satisfaction": "basically"},
               "bad": {"resolution": "unresolved", "satisfaction": "unsatisfied"}}
    plan: list[tuple[str, str, list[tuple[str, str | None]], dict[str, Any]]] = [
        ("A1", "good", [("D1", "in_time"), ("D4", "in_time")], {}),
        ("A2", "good", [("D1", "in_time")], {}),
        ("A3", "good", [("D1", "in_time")], {}),
        ("B1", "good", [("D2", "in_time")], {}),
        ("B2", "partly", [("D2", "late")], {}),
        ("B3", "bad", [("D2", "in_time")], {}),
        ("B4", "good", [("D2", None)], {}),
        ("C1", "bad", [("D3", "in_time"), ("D3", "in_time")], {}),
        ("C2", "good", [("D3", "in_time")], {}),
        ("C3", "good", [("D3", None)], {"ruling": "unreasonable", "ruling_reason": "诉求超出合理范围"}),
    ]
    with db.transaction() as s:
        for number, answer, calls, fields in plan:
            order_id = insert_archived(s, number=number, owner_unit_id=world.street.id, closed_at=at(10, 10),
                                       **answers[answer], **fields)
            for index, (code, report) in enumerate(calls):
                call(s, order_id, units[code], called_at=called_at + timedelta(hours=index), report=report)
        later = insert_archived(s, number="B5", owner_unit_id=world.street.id, closed_at=at(11, 2))
        call(s, later, units["D2"], called_at=at(10, 28), report=None)
    return units


def week_41(db: Database, world: World) -> dict[str, Unit]:
    """ISO week 41 of 2026 (5–11 October), orders archived on Thursday the 8th.

    积玉桥街 4 orders, all good                                  → 100.00
    白沙洲街 3 orders, one replied after its finish deadline     → 10 + 40 × 2/3 + 50 = 86.67
    水果湖街 3 orders, one unsatisfied                           → 10 + 40 + 50 × 2/3 = 83.33
    中华路街 2 orders, both unsatisfied: fewer than the week's 3 → not ranked, never last
    Called: 区城管执法局 in time on a good order → 100; 区市场监管局 late on one → 0 + 30 + 30 = 60.
    An order archived on Monday the 12th (next week) is unsatisfied and changes nothing.
    """
    units = add_units(db, world, ("S3", "白沙洲街", UnitKind.STREET), ("S4", "中华路街", UnitKind.STREET),
                   ("D2", "区市场监管局", UnitKind.DEPARTMENT))
    thursday = at(10, 8)
    # Due on Monday the 5th (created four days before), replied on the 6th. A deadline before the week began would
    # have counted the order in the week of its deadline instead (count_overdue_open).
    late = {"created_at": thursday - timedelta(days=7), "replied_at": thursday - timedelta(days=2)}
    plan: list[tuple[int, dict[str, Any]]] = [
        *((world.street.id, {}) for _ in range(4)),
        (units["S3"].id, late), (units["S3"].id, {}), (units["S3"].id, {}),
        (world.other_street.id, {"satisfaction": "unsatisfied"}), (world.other_street.id, {}),
        (world.other_street.id, {}),
        (units["S4"].id, {"satisfaction": "unsatisfied"}), (units["S4"].id, {"satisfaction": "unsatisfied"}),
    ]
    with db.transaction() as s:
        ids = [insert_archived(s, number=f"W{index:02d}", owner_unit_id=owner, closed_at=thursday, **fields)
               for index, (owner, fields) in enumerate(plan)]
        call(s, ids[0], world.department, called_at=at(10, 5), report="in_time")
        call(s, ids[1], units["D2"], called_at=at(10, 5), report="late")
        insert_archived(s, number="W99", owner_unit_id=world.street.id, closed_at=at(10, 12),
                        satisfaction="unsatisfied")
    return units
