"""The dissatisfied ledger (不满意诉求台账) and each order's callback history.

Everything here is read from the trail: a callback's answers live in its event's payload (the order's own
columns hold only the latest, and a re-handling (重办) clears them), each re-handling is a REOPEN event and
each ruling a RULE event. A citizen's online rating (网上直评) is a RATE event with the same payload (method
online): it closes the callback as a reviewer's call does, so it counts as a callback everywhere here. So the
first and the second callback are both shown, and the ledger keeps an order that was dissatisfied once even
after a later callback says it is solved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from minhu.core.types import JSONDict
from minhu.evaluation.threads import thread_ids_of
from minhu.orders import permissions as order_permissions
from minhu.orders.enums import Resolution, Ruling, Satisfaction
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action, Status
from minhu.org.models import Unit, User
from minhu.org.queries import unit_ids_below
from minhu.routing import service as routing

# The events that carry a callback's answers: a reviewer's call (CALLBACK) and the citizen's online rating (RATE).
CALLBACK_ACTIONS = (Action.CALLBACK.value, Action.RATE.value)

# After this many re-handlings the ledger suggests a review ruling instead of another round.
REVIEW_AFTER_REHANDLINGS = 2
PAGE_LIMIT = 500

# The answers that put an order in the ledger; the wider filter adds the lukewarm ones.
STRICT_SATISFACTION = frozenset({Satisfaction.UNSATISFIED})
STRICT_RESOLUTION = frozenset({Resolution.UNRESOLVED})
WIDE_SATISFACTION = STRICT_SATISFACTION | {Satisfaction.BASICALLY}
WIDE_RESOLUTION = STRICT_RESOLUTION | {Resolution.PARTLY}


class LedgerState(StrEnum):
    """Where a dissatisfied order stands. 重办 (REOPEN) is possible only from 已回访 (CALLED_BACK), so an order
    archived after its dissatisfied callback without a re-handling is not waiting for one: it is ARCHIVED."""

    WAITING = "waiting"
    REHANDLED = "rehandled"
    ARCHIVED = "archived"
    RULED = "ruled"


LEDGER_STATE_LABELS: dict[LedgerState, str] = {
    LedgerState.WAITING: "待重办",
    LedgerState.REHANDLED: "已重办",
    LedgerState.ARCHIVED: "已归档未重办",
    LedgerState.RULED: "已认定",
}


@dataclass(frozen=True)
class LedgerFilters:
    start: datetime | None = None  # dissatisfied callbacks at or after
    end: datetime | None = None  # … and before
    unit: Unit | None = None  # owned by this unit or one below it
    state: LedgerState | None = None
    wide: bool = False  # 部分解决 and 基本满意 count too


@dataclass(frozen=True)
class CallbackAnswer:
    """One callback (回访) or re-handling (重办) as the trail has it; ``action`` is CALLBACK for an online
    rating too (``method`` says online)."""

    action: Action
    at: datetime
    actor_name: str
    reached: bool | None = None
    resolution: Resolution | None = None
    satisfaction: Satisfaction | None = None
    method: str | None = None
    note: str = ""


@dataclass
class LedgerRow:
    order: WorkOrder
    last_bad_at: datetime
    history: list[CallbackAnswer] = field(default_factory=list)
    thread_id: int | None = None
    category_path: str | None = None  # the catalog's names for the order's category (城市管理 › 市容环卫 › …)

    @property
    def category_name(self) -> str | None:
        """The category's own name, the last of its path."""
        return self.category_path.rsplit(" › ", 1)[-1] if self.category_path else None

    @property
    def rehandlings(self) -> int:
        return sum(1 for a in self.history if a.action is Action.REOPEN)

    @property
    def state(self) -> LedgerState:
        if self.order.ruling is not None:
            return LedgerState.RULED
        if any(a.action is Action.REOPEN and a.at > self.last_bad_at for a in self.history):
            return LedgerState.REHANDLED
        return LedgerState.ARCHIVED if self.order.status is Status.ARCHIVED else LedgerState.WAITING

    @property
    def review_suggested(self) -> bool:
        return self.order.ruling is None and self.rehandlings >= REVIEW_AFTER_REHANDLINGS

    @property
    def last_answer(self) -> CallbackAnswer | None:
        return next((a for a in reversed(self.history) if a.action is Action.CALLBACK), None)


def _payload(key: str) -> ColumnElement[str]:
    # The payload as JSON (whatever variant the column uses), so the key is read the same way on both
    # databases (json_extract on SQLite, ->> on PostgreSQL).
    value: ColumnElement[str] = type_coerce(OrderEvent.payload, JSONDict)[key].as_string()
    return value


def dissatisfied_clause(*, wide: bool) -> ColumnElement[bool]:
    """A callback event whose answer puts the order in the ledger."""
    satisfaction = WIDE_SATISFACTION if wide else STRICT_SATISFACTION
    resolution = WIDE_RESOLUTION if wide else STRICT_RESOLUTION
    return and_(OrderEvent.action.in_(CALLBACK_ACTIONS),
                or_(_payload("satisfaction").in_([s.value for s in satisfaction]),
                    _payload("resolution").in_([r.value for r in resolution])))


def _ledger_query(viewer: User, filters: LedgerFilters) -> Select[WorkOrder, datetime]:
    bad = dissatisfied_clause(wide=filters.wide)
    # Driven from the callbacks of the period (one pass over the events' action/time index), not from every
    # order; the latest dissatisfied callback of all time then decides the row's state.
    in_period = [bad]
    if filters.start is not None:
        in_period.append(OrderEvent.at >= filters.start)
    if filters.end is not None:
        in_period.append(OrderEvent.at < filters.end)
    hits = select(OrderEvent.order_id).where(*in_period).group_by(OrderEvent.order_id).subquery()
    last_bad = select(func.max(OrderEvent.at)).where(OrderEvent.order_id == WorkOrder.id, bad) \
        .correlate(WorkOrder).scalar_subquery()
    query = select(WorkOrder, last_bad).join(hits, hits.c.order_id == WorkOrder.id) \
        .where(order_permissions.visible_clause(viewer))
    if filters.unit is not None:
        query = query.where(WorkOrder.owner_unit_id.in_(unit_ids_below(filters.unit)))
    if filters.state is LedgerState.RULED:
        query = query.where(WorkOrder.ruling.is_not(None))
    elif filters.state is not None:
        reopen = aliased(OrderEvent)
        reopened = exists(select(reopen.id).where(reopen.order_id == WorkOrder.id,
                                                  reopen.action == Action.REOPEN.value, reopen.at > last_bad)
                          .correlate(WorkOrder))
        # The same partition as LedgerRow.state.
        archived = WorkOrder.status == Status.ARCHIVED.value
        state_clause = {LedgerState.REHANDLED: reopened, LedgerState.ARCHIVED: and_(~reopened, archived),
                        LedgerState.WAITING: and_(~reopened, ~archived)}[filters.state]
        query = query.where(WorkOrder.ruling.is_(None), state_clause)
    return query.order_by(last_bad.desc(), WorkOrder.id.desc())


def ledger(session: Session, *, viewer: User, filters: LedgerFilters,
           limit: int | None = PAGE_LIMIT) -> list[LedgerRow]:
    """The ledger's rows, the latest dissatisfied callback first: only orders ``viewer`` may see."""
    query = _ledger_query(viewer, filters)
    if limit is not None:
        query = query.limit(limit)
    rows = [LedgerRow(order, last_bad) for order, last_bad in session.execute(query).unique().all()]
    _fill(session, rows)
    return rows


def iter_ledger(session: Session, *, viewer: User, filters: LedgerFilters, batch: int = 500) -> Iterator[LedgerRow]:
    """Every row of the ledger (for the export), fetched in batches."""
    offset = 0
    while True:
        query = _ledger_query(viewer, filters).offset(offset).limit(batch)
        rows = [LedgerRow(order, last_bad) for order, last_bad in session.execute(query).unique().all()]
        _fill(session, rows)
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


def _fill(session: Session, rows: Sequence[LedgerRow]) -> None:
    ids = [row.order.id for row in rows]
    histories = histories_of(session, ids)
    threads = thread_ids_of(session, ids)
    for row in rows:
        row.history = histories.get(row.order.id, [])
        row.thread_id = threads.get(row.order.id)
        # From routing's cached tables: no catalog scan per page or per export batch.
        row.category_path = routing.category_path(session, row.order.category_code)


def _answer(event: OrderEvent) -> CallbackAnswer:
    payload: dict[str, Any] = event.payload or {}

    def enum_or_none(kind: type[Resolution] | type[Satisfaction], key: str) -> Any:
        value = payload.get(key)
        return kind(value) if value in {m.value for m in kind} else None

    action = Action.CALLBACK if event.action is Action.RATE else event.action
    return CallbackAnswer(action=action, at=event.at, actor_name=event.actor_name,
                          reached=payload.get("reached"), resolution=enum_or_none(Resolution, "resolution"),
                          satisfaction=enum_or_none(Satisfaction, "satisfaction"), method=payload.get("method"),
                          note=event.note)


def histories_of(session: Session, order_ids: Sequence[int]) -> dict[int, list[CallbackAnswer]]:
    """Each order's callbacks and re-handlings, oldest first."""
    if not order_ids:
        return {}
    events = session.scalars(select(OrderEvent).where(
        OrderEvent.order_id.in_(order_ids), OrderEvent.action.in_([*CALLBACK_ACTIONS, Action.REOPEN.value]))
        .order_by(OrderEvent.at, OrderEvent.id)).all()
    found: dict[int, list[OrderEvent]] = defaultdict(list)
    for event in events:
        found[event.order_id].append(event)
    return {order_id: history_from(trail) for order_id, trail in found.items()}


def history_from(trail: Sequence[OrderEvent]) -> list[CallbackAnswer]:
    """The callbacks and re-handlings among an order's events (oldest first in, oldest first out)."""
    return [_answer(e) for e in trail if e.action.value in CALLBACK_ACTIONS or e.action is Action.REOPEN]


@dataclass(frozen=True)
class RulingEntry:
    at: datetime
    actor_name: str
    ruling: Ruling
    reason: str
    unreasonable_label: str | None


def rulings_from(trail: Sequence[OrderEvent]) -> list[RulingEntry]:
    """Every ruling among an order's events, oldest first (the last one is the order's)."""
    return [RulingEntry(e.at, e.actor_name, Ruling(e.payload["ruling"]), e.note, e.payload.get("unreasonable_label"))
            for e in trail if e.action is Action.RULE and e.payload.get("ruling") in {r.value for r in Ruling}]


