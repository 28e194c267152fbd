"""Lights (红黄绿灯): for each open order and each running limit, green while in time, yellow once the
warning instant has passed, red once the deadline has. Computed from the stored instants — in SQL for
lists and counts, so a million open orders are never loaded into Python — and for one order in Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from minhu.deadlines.models import LIMIT_LABELS, LimitKind
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


LIGHT_LABELS: dict[Light, str] = {Light.GREEN: "正常", Light.YELLOW: "临期", Light.RED: "超期"}

_S = Status
# Whose clock runs in which states. The 办结 clock is the citizen's: it runs while the centre holds the
# order too (accepted, returned), and stops at the reply.
RUNNING_IN: dict[LimitKind, frozenset[Status]] = {
    LimitKind.ACCEPT: frozenset({_S.NEW}),
    LimitKind.SIGN: frozenset({_S.DISPATCHED}),
    LimitKind.RESPOND: frozenset({_S.DISPATCHED, _S.SIGNED, _S.HANDLING}),
    # A reply waiting for its street's review (待街道审核) has not reached the centre: the 办结 clock still runs.
    LimitKind.FINISH: frozenset({_S.ACCEPTED, _S.RETURNED, _S.DISPATCHED, _S.SIGNED, _S.HANDLING, _S.STREET_REVIEW}),
    LimitKind.CALLBACK: frozenset({_S.REVIEWED}),
}


def due_column(limit: LimitKind) -> InstrumentedAttribute[datetime | None]:
    column: InstrumentedAttribute[datetime | None] = getattr(WorkOrder, f"{limit.value}_due_at")
    return column


def warn_column(limit: LimitKind) -> InstrumentedAttribute[datetime | None]:
    column: InstrumentedAttribute[datetime | None] = getattr(WorkOrder, f"{limit.value}_warn_at")
    return column


def running(limit: LimitKind) -> ColumnElement[bool]:
    """WHERE the limit's clock runs on the order (and it has a deadline)."""
    condition = and_(WorkOrder.status.in_([s.value for s in RUNNING_IN[limit]]), due_column(limit).is_not(None))
    if limit is LimitKind.RESPOND:
        condition = and_(condition, WorkOrder.responded_at.is_(None))
    return condition


def light_case(limit: LimitKind, now: datetime) -> ColumnElement[str]:
    warn = warn_column(limit)
    return case((due_column(limit) <= now, literal(Light.RED.value)),
                (and_(warn.is_not(None), warn <= now), literal(Light.YELLOW.value)),
                else_=literal(Light.GREEN.value))


def in_light(limit: LimitKind, light: Light, now: datetime) -> ColumnElement[bool]:
    """WHERE the order shows ``light`` for ``limit`` (usable with an index on the instants)."""
    due, warn = due_column(limit), warn_column(limit)
    if light is Light.RED:
        return and_(running(limit), due <= now)
    if light is Light.YELLOW:
        return and_(running(limit), due > now, warn.is_not(None), warn <= now)
    return and_(running(limit), due > now, or_(warn.is_(None), warn > now))


def worst_light_case(now: datetime) -> ColumnElement[str | None]:
    """The worst light among the order's running limits, NULL when no clock runs (for maps and lists)."""
    limits = list(LimitKind)
    red = or_(*(and_(running(limit), due_column(limit) <= now) for limit in limits))
    yellow = or_(*(and_(running(limit), warn_column(limit) <= now) for limit in limits))
    green = or_(*(running(limit) for limit in limits))
    return case((red, literal(Light.RED.value)), (yellow, literal(Light.YELLOW.value)),
                (green, literal(Light.GREEN.value)), else_=literal(None))


@dataclass(frozen=True)
class LimitLight:
    limit: LimitKind
    label: str
    due_at: datetime
    light: Light


def lights_of(order: WorkOrder, now: datetime) -> list[LimitLight]:
    """The order's running limits with their lights, in the order of the order's life."""
    result = []
    for limit in LimitKind:
        due = getattr(order, f"{limit.value}_due_at")
        if order.status not in RUNNING_IN[limit] or due is None:
            continue
        if limit is LimitKind.RESPOND and order.responded_at is not None:
            continue
        warn = getattr(order, f"{limit.value}_warn_at")
        light = Light.RED if now >= due else Light.YELLOW if warn is not None and now >= warn else Light.GREEN
        result.append(LimitLight(limit, LIMIT_LABELS[limit], due, light))
    return result


@dataclass(frozen=True)
class LightCount:
    unit_id: int
    limit: LimitKind
    light: Light
    orders: int


def count_by_unit(session: Session, now: datetime, *, limits: Sequence[LimitKind] = tuple(LimitKind),
                  unit_ids: Sequence[int] | None = None) -> list[LightCount]:
    """Yellow and red orders per owning unit and limit, counted by the database.

    Only orders past their warning instant are read — every red one is too — through an index that holds
    what the count needs (status, warning, deadline, owner), so a million open orders cost a range of an
    index, not a scan of the table.
    """
    counts: list[LightCount] = []
    for limit in limits:
        due, warn = due_column(limit), warn_column(limit)
        statement = (select(WorkOrder.owner_unit_id, func.count(), func.sum(case((due <= now, 1), else_=0)))
                     .where(running(limit), warn <= now).group_by(WorkOrder.owner_unit_id))
        if unit_ids is not None:
            statement = statement.where(WorkOrder.owner_unit_id.in_(unit_ids))
        for unit_id, past_warning, red in session.execute(statement):
            for light, total in ((Light.YELLOW, past_warning - (red or 0)), (Light.RED, red or 0)):
                if total:
                    counts.append(LightCount(unit_id, limit, light, int(total)))
    return counts
