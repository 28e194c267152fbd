"""一键监管: yellow and red orders counted by unit and limit, and the orders behind each count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core.errors import Forbidden
from minhu.deadlines.models import (
    LIMIT_LABELS,
    CalendarDay,
    CalendarYear,
    LimitKind,
    TimeLimitPolicy,
    TimeLimitRule,
)
from minhu.deadlines.policy import weight
from minhu.deadlines.service import unknown_years_ahead
from minhu.orders import permissions
from minhu.orders.lights import Light, count_by_unit, in_light
from minhu.orders.models import WorkOrder
from minhu.org.models import Unit, User
from minhu.org.queries import unit_ids_below
from minhu.org.roles import Role

DRILL_DOWN_LIMIT = 500
# Who watches the lights: the centre, leaders, and the units' handlers for their own orders.
WATCHERS = frozenset({Role.DISPATCHER, Role.OPERATOR, Role.REVIEWER, Role.ADMIN, Role.LEADER, Role.HANDLER,
                      Role.STREET_DISPATCHER})


def check_watcher(user: User) -> None:
    if user.role not in WATCHERS:
        raise Forbidden("您的角色不查看时限监管", code="not_a_watcher")


@dataclass
class UnitLights:
    unit: Unit
    # (limit, light) → orders
    counts: dict[tuple[LimitKind, Light], int] = field(default_factory=dict)

    @property
    def red(self) -> int:
        return sum(n for (_limit, light), n in self.counts.items() if light is Light.RED)

    @property
    def yellow(self) -> int:
        return sum(n for (_limit, light), n in self.counts.items() if light is Light.YELLOW)


@dataclass(frozen=True)
class Board:
    limits: list[tuple[LimitKind, str]]
    units: list[UnitLights]
    totals: dict[tuple[LimitKind, Light], int]


def _scope(session: Session, viewer: User) -> list[int] | None:
    """The owning units whose lights ``viewer`` watches: all for the centre and the district's leaders."""
    if permissions.is_centre(viewer) or viewer.unit.parent_id is None:
        return None
    return list(session.scalars(unit_ids_below(viewer.unit)))


def board(session: Session, viewer: User, now: datetime) -> Board:
    """Every unit with a yellow or red order, reddest first."""
    counts = count_by_unit(session, now, unit_ids=_scope(session, viewer))
    by_unit: dict[int, dict[tuple[LimitKind, Light], int]] = defaultdict(dict)
    totals: dict[tuple[LimitKind, Light], int] = defaultdict(int)
    for count in counts:
        if count.light is Light.GREEN:
            continue
        by_unit[count.unit_id][(count.limit, count.light)] = count.orders
        totals[(count.limit, count.light)] += count.orders
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(list(by_unit))))}
    rows = [UnitLights(units[unit_id], cells) for unit_id, cells in by_unit.items()]
    rows.sort(key=lambda row: (-row.red, -row.yellow, row.unit.path))
    return Board([(limit, LIMIT_LABELS[limit]) for limit in LimitKind], rows, dict(totals))


def orders_in(session: Session, viewer: User, now: datetime, *, limit: LimitKind, light: Light,
              unit_id: int | None) -> Sequence[WorkOrder]:
    """The orders behind a count, most overdue first."""
    due = getattr(WorkOrder, f"{limit.value}_due_at")
    statement = select(WorkOrder).where(in_light(limit, light, now), permissions.visible_clause(viewer))
    if unit_id is not None:
        statement = statement.where(WorkOrder.owner_unit_id == unit_id)
    return session.scalars(statement.order_by(due, WorkOrder.id).limit(DRILL_DOWN_LIMIT)).all()


@dataclass(frozen=True)
class TimeLimitsView:
    policy: TimeLimitPolicy | None
    rules: list[TimeLimitRule]
    versions: list[TimeLimitPolicy]
    known_years: list[int]
    missing_years: list[int]
    days: list[CalendarDay]  # this year's and later exceptions to Monday–Friday


def time_limits_view(session: Session, *, today: date) -> TimeLimitsView:
    versions = list(session.scalars(select(TimeLimitPolicy).order_by(TimeLimitPolicy.loaded_at.desc())))
    policy = next((p for p in versions if p.active), None)
    rules = sorted(policy.rules, key=lambda r: (list(LimitKind).index(r.limit), weight(r), r.id)) if policy else []
    days = list(session.scalars(select(CalendarDay).where(CalendarDay.day >= date(today.year, 1, 1))
                                .order_by(CalendarDay.day)))
    known = sorted(session.scalars(select(CalendarYear.year)))
    return TimeLimitsView(policy, rules, versions, known, unknown_years_ahead(session, today=today), days)
