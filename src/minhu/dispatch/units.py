"""Unit figures for dispatch (单位统计): what each unit received, sent back, and did when called upon.

Per unit over a period: orders dispatched to it (a dispatch, or an escalation handed to it), returns (退单)
with their reasons and categories, calls onto orders (吹哨) and its reports (报到) — on time, late, or
missing past the limit — and the escalations it asked for with their outcome. A return counts against
the unit the order was last handed to before it came back, which is the unit that judged it not its own.
All counting is done in SQL over the trail, the calls and the escalations.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from minhu.core import clock
from minhu.core.errors import NotFound
from minhu.dispatch.schemas import Period
from minhu.orders.enums import RETURN_REASON_LABELS, Grade, ReturnReason
from minhu.orders.models import OrderCall, OrderEscalation, OrderEvent, WorkOrder
from minhu.orders.permissions import visible_clause
from minhu.orders.states import STATUS_LABELS, Action
from minhu.org.models import Unit, User
from minhu.routing.models import Category

# The events that hand an order to a unit, which that unit may then return.
HAND_OVERS = (Action.DISPATCH, Action.ACCEPT_ESCALATION)
# A unit returning this share of what it receives stands out on the page (and at twice it, in red).
NOTABLE_RETURN_RATE = 0.25
LISTED_ORDERS = 200
UNCATEGORISED = "未分类"


@dataclass
class UnitFigures:
    unit: Unit
    dispatched: int = 0
    returned: int = 0
    returns_by_reason: Counter[str] = field(default_factory=Counter)  # reason value → count
    returns_by_category: Counter[str] = field(default_factory=Counter)  # first-level name → count
    called: int = 0
    reported_on_time: int = 0
    reported_late: int = 0
    missing: int = 0
    awaiting: int = 0
    escalations_requested: int = 0
    escalations_accepted: int = 0
    escalations_refused: int = 0
    escalations_pending: int = 0

    @property
    def return_rate(self) -> float | None:
        return round(self.returned / self.dispatched, 4) if self.dispatched else None

    @property
    def standing(self) -> str:
        """"alarm", "notable" or "": how loudly the page marks the unit's return rate."""
        rate = self.return_rate
        if rate is None:
            return "alarm" if self.returned else ""
        if rate >= 2 * NOTABLE_RETURN_RATE:
            return "alarm"
        return "notable" if rate >= NOTABLE_RETURN_RATE else ""

    def reason_labels(self) -> list[tuple[str, int]]:
        return [(_reason_label(r), n) for r, n in self.returns_by_reason.most_common()]


def _reason_label(value: str) -> str:
    try:
        return RETURN_REASON_LABELS[ReturnReason(value)]
    except ValueError:
        return value or "未注明"


def _in(column: ColumnElement[datetime] | InstrumentedAttribute[datetime], period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _handed_to() -> ColumnElement[int]:
    """The unit a hand-over event gave the order to (its payload names it)."""
    unit_id: ColumnElement[int] = OrderEvent.payload["unit_id"].as_integer()
    return unit_id


def _returns(period: Period, unit_id: int | None = None) -> Select[tuple[int, int, int, str | None, str | None]]:
    """Return events in the period: (event id, order id, the unit it was handed to, reason, category)."""
    returned, before = aliased(OrderEvent), aliased(OrderEvent)
    handed_to = (select(before.payload["unit_id"].as_integer())
                 .where(before.order_id == returned.order_id, before.id < returned.id,
                        before.action.in_((*HAND_OVERS, Action.REOPEN)))
                 .order_by(before.id.desc()).limit(1).scalar_subquery())
    unit = func.coalesce(handed_to, returned.actor_unit_id).label("unit_id")
    statement = (select(returned.id, returned.order_id, unit, returned.payload["reason"].as_string().label("reason"),
                        func.substr(WorkOrder.category_code, 1, 2).label("category"))
                 .join(WorkOrder, WorkOrder.id == returned.order_id)
                 .where(returned.action == Action.RETURN, _in(returned.at, period)))
    return statement.where(unit == unit_id) if unit_id is not None else statement


def unit_figures(session: Session, period: Period, *, unit_id: int | None = None) -> list[UnitFigures]:
    """Every unit with something to count in the period (or just ``unit_id``), highest return rate first."""
    def only(column: Any) -> ColumnElement[bool]:
        return column == unit_id if unit_id is not None else true()

    handed = select(_handed_to().label("unit_id")).where(OrderEvent.action.in_(HAND_OVERS),
                                                          _in(OrderEvent.at, period), only(_handed_to())).subquery()
    dispatched = session.execute(select(handed.c.unit_id, func.count()).group_by(handed.c.unit_id)).all()
    returns = _returns(period, unit_id).subquery()
    returned = session.execute(select(returns.c.unit_id, returns.c.reason, returns.c.category, func.count())
                               .group_by(returns.c.unit_id, returns.c.reason, returns.c.category)).all()
    now, call = clock.now(), OrderCall
    calls = session.execute(
        select(call.unit_id, func.count(),
               _count_if(and_(call.reported_at.is_not(None), call.reported_at <= call.report_due_at)),
               _count_if(call.reported_at > call.report_due_at),
               _count_if(and_(call.reported_at.is_(None), call.report_due_at < now)),
               _count_if(and_(call.reported_at.is_(None), call.report_due_at >= now)))
        .where(_in(call.called_at, period), only(call.unit_id)).group_by(call.unit_id)).all()
    esc = OrderEscalation
    escalations = session.execute(
        select(esc.requested_unit_id, func.count(), _count_if(esc.accepted.is_(True)),
               _count_if(esc.accepted.is_(False)), _count_if(esc.decided_at.is_(None)))
        .where(_in(esc.requested_at, period), only(esc.requested_unit_id)).group_by(esc.requested_unit_id)).all()

    ids = {row[0] for rows in (dispatched, returned, calls, escalations) for row in rows if row[0] is not None}
    figures = {unit.id: UnitFigures(unit) for unit in session.scalars(select(Unit).where(Unit.id.in_(ids)))} \
        if ids else {}
    names = {row.code: row.name for row in session.execute(select(Category.code, Category.name)
                                                            .where(Category.level == 1))}
    for uid, count in dispatched:
        if uid in figures:
            figures[uid].dispatched = int(count)
    for uid, reason, category, count in returned:
        if uid in figures:
            figures[uid].returned += int(count)
            figures[uid].returns_by_reason[reason or ""] += int(count)
            figures[uid].returns_by_category[names.get(category, category) if category else UNCATEGORISED] += int(
                count)
    for uid, called, on_time, late, missing, awaiting in calls:
        row = figures[uid]
        row.called, row.reported_on_time, row.reported_late = int(called), int(on_time), int(late)
        row.missing, row.awaiting = int(missing), int(awaiting)
    for uid, requested, accepted, refused, pending in escalations:
        row = figures[uid]
        row.escalations_requested, row.escalations_accepted = int(requested), int(accepted)
        row.escalations_refused, row.escalations_pending = int(refused), int(pending)

    def order(row: UnitFigures) -> tuple[float, int, int, str]:
        rate = row.return_rate if row.return_rate is not None else (1.0 if row.returned else -1.0)
        return (-rate, -row.returned, -row.dispatched, row.unit.path)

    return sorted(figures.values(), key=order)


@dataclass(frozen=True)
class UnitOrder:
    """An order behind a unit's figure, with what happened."""

    number: str
    title: str
    at: datetime
    detail: str


@dataclass(frozen=True)
class UnitDetail:
    figures: UnitFigures
    dispatched: list[UnitOrder]
    returned: list[UnitOrder]
    calls: list[UnitOrder]  # late and missing reports
    escalations: list[UnitOrder]


def get_unit_detail(session: Session, unit_id: int, period: Period, *, viewer: User | None = None) -> UnitDetail:
    """A unit's figures with the orders behind them (the latest ``LISTED_ORDERS`` of each kind), of those orders
    the ones ``viewer`` may see (all without one): a street's leader reads another street's figures, not its
    orders.

    Raises NotFound for a unit that does not exist.
    """
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在", code="unit_not_found")
    found = unit_figures(session, period, unit_id=unit.id)
    figures = found[0] if found else UnitFigures(unit)
    seen = visible_clause(viewer) if viewer is not None else true()
    status_of = WorkOrder.status
    dispatched = [UnitOrder(number, title, at, f"{_dispatch_label(action)} · 现为{STATUS_LABELS[status]}")
                  for number, title, at, action, status in session.execute(
                      select(WorkOrder.number, WorkOrder.title, OrderEvent.at, OrderEvent.action, status_of)
                      .join(WorkOrder, WorkOrder.id == OrderEvent.order_id)
                      .where(OrderEvent.action.in_(HAND_OVERS), _in(OrderEvent.at, period), _handed_to() == unit.id,
                             seen)
                      .order_by(OrderEvent.at.desc()).limit(LISTED_ORDERS))]
    returns = _returns(period, unit.id).subquery()
    returned = [UnitOrder(number, title, at, f"{_reason_label(reason or '')}：{note}" if note else
                          _reason_label(reason or ""))
                for number, title, at, reason, note in session.execute(
                    select(WorkOrder.number, WorkOrder.title, OrderEvent.at, returns.c.reason, OrderEvent.note)
                    .select_from(returns).join(OrderEvent, OrderEvent.id == returns.c.id)
                    .join(WorkOrder, WorkOrder.id == returns.c.order_id).where(seen)
                    .order_by(OrderEvent.at.desc()).limit(LISTED_ORDERS))]
    now = clock.now()
    late_or_missing = (OrderCall.reported_at > OrderCall.report_due_at) | (
        OrderCall.reported_at.is_(None) & (OrderCall.report_due_at < now))
    calls = [UnitOrder(number, title, called_at, _call_line(due, reported))
             for number, title, called_at, due, reported in session.execute(
                 select(WorkOrder.number, WorkOrder.title, OrderCall.called_at, OrderCall.report_due_at,
                        OrderCall.reported_at).join(WorkOrder, WorkOrder.id == OrderCall.order_id)
                 .where(OrderCall.unit_id == unit.id, _in(OrderCall.called_at, period), late_or_missing, seen)
                 .order_by(OrderCall.called_at.desc()).limit(LISTED_ORDERS))]
    escalations = [UnitOrder(number, title, at, _escalation_line(from_grade, to_grade, accepted))
                   for number, title, at, from_grade, to_grade, accepted in session.execute(
                       select(WorkOrder.number, WorkOrder.title, OrderEscalation.requested_at,
                              OrderEscalation.from_grade, OrderEscalation.to_grade, OrderEscalation.accepted)
                       .join(WorkOrder, WorkOrder.id == OrderEscalation.order_id)
                       .where(OrderEscalation.requested_unit_id == unit.id, _in(OrderEscalation.requested_at, period),
                              seen)
                       .order_by(OrderEscalation.requested_at.desc()).limit(LISTED_ORDERS))]
    return UnitDetail(figures, dispatched, returned, calls, escalations)


def _dispatch_label(action: Action) -> str:
    return "升级改派" if action is Action.ACCEPT_ESCALATION else "派单"


def _city(at: datetime) -> str:
    return at.astimezone(clock.city_tz()).strftime("%m-%d %H:%M")


def _call_line(due: datetime, reported: datetime | None) -> str:
    if reported is None:
        return f"未报到（时限 {_city(due)}）"
    return f"逾期报到（时限 {_city(due)}，{_city(reported)} 报到）"


def _escalation_line(from_grade: Grade | None, to_grade: Grade, accepted: bool | None) -> str:
    outcome = "待审核" if accepted is None else ("已同意" if accepted else "已驳回")
    return f"申请 {from_grade.value if from_grade else '—'} 级 → {to_grade.value} 级：{outcome}"
