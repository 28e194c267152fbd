"""The dispatcher's queue (派单队列): every order waiting for the centre to accept or dispatch it.

Waiting means accepted (已受理) and not yet dispatched, returned by a unit (已退单), or new from the web,
mobile page or a grid worker (待受理) — which must be accepted before it can be dispatched. Oldest first:
the queue is worked from the top. Each item carries what the dispatcher decides with — routing's three
suggestions, the grade and why, the suggested owner and the rule that named it, and for a returned order
the unit that sent it back and its reason — read in a fixed number of queries whatever the queue's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.orders import permissions as order_permissions
from minhu.orders import queries as order_queries
from minhu.orders.enums import Channel, Grade, OrderType, Urgency
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import ACTION_LABELS, Action, Status
from minhu.org.models import Unit, User
from minhu.org.roles import DISPATCHABLE_KINDS
from minhu.routing import service as routing
from minhu.routing.models import Category, RoutingDecision

WAITING = (Status.NEW, Status.ACCEPTED, Status.RETURNED)
QUEUE_ACTIONS = frozenset({Action.ACCEPT, Action.DISPATCH})
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
EXCERPT_CHARS = 80


@dataclass(frozen=True)
class UnitChoice:
    id: int
    name: str
    kind: str


@dataclass(frozen=True)
class Suggested:
    code: str
    path: str
    confidence: float
    source: str


@dataclass(frozen=True)
class ReturnNote:
    """Why a returned order is back: the reason from the list, the unit's note, who sent it back and when."""

    reason: str
    note: str
    unit_name: str
    actor_name: str
    at: datetime
    unit_id: int | None = None


@dataclass(frozen=True)
class QueueItem:
    number: str
    version: int
    status: Status
    channel: Channel
    type: OrderType
    urgency: Urgency
    title: str
    excerpt: str
    created_at: datetime
    accept_due_at: datetime | None
    place: list[str]  # street, community, grid names as far as known
    category_code: str | None
    suggestions: list[Suggested]
    # The order's category when no suggestion holds it (a dispatcher set it before a return): offered first,
    # so a one-key dispatch keeps it rather than going back to what routing guessed.
    current_category: Suggested | None
    grade: Grade | None  # as routing graded it, with its reasons
    grade_reasons: list[str]
    current_grade: Grade | None  # the order's grade when it has changed since (an escalation)
    suggested_owner: UnitChoice | None
    # The suggested owner is the unit that has just sent the order back: it is not preselected, so one
    # key cannot return the order to the unit that refused it.
    owner_returned: bool
    owner_reason: str
    rule_id: int | None
    auto_dispatched: bool
    returned: ReturnNote | None
    # Units offered in the row's own picker (works without JavaScript): the suggested owner, then where
    # the order stands. Others are a search away in the page's unit picker, or on the order page.
    candidates: list[UnitChoice]
    actions: frozenset[Action]  # what the viewer may do from the queue: accept, dispatch

    @property
    def picked_category(self) -> str | None:
        """The category a one-key dispatch settles on: the order's own when it has one, else the first suggestion."""
        if self.category_code is not None:
            return self.category_code
        return self.suggestions[0].code if self.suggestions else None

    def age(self, now: datetime) -> str:
        minutes = max(0, int((now - self.created_at).total_seconds() // 60))
        if minutes < 60:
            return f"{minutes} 分钟"
        if minutes < 48 * 60:
            return f"{minutes // 60} 小时 {minutes % 60} 分"
        return f"{minutes // 1440} 天 {minutes % 1440 // 60} 小时"

    def accept_overdue(self, now: datetime) -> bool:
        return self.status is Status.NEW and self.accept_due_at is not None and now > self.accept_due_at


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]
    total: int  # waiting in all, whatever the page shows
    counts: dict[Status, int]
    now: datetime


def _choice(unit: Unit) -> UnitChoice:
    return UnitChoice(unit.id, unit.name, unit.kind.value)


def _suggested(raw: dict[str, Any]) -> Suggested:
    return Suggested(code=str(raw.get("code", "")), path=str(raw.get("path") or raw.get("name") or ""),
                     confidence=float(raw.get("confidence") or 0.0), source=str(raw.get("source", "")))


def _excerpt(content: str) -> str:
    line = " ".join(content.split())
    return line if len(line) <= EXCERPT_CHARS else line[:EXCERPT_CHARS] + "…"


# The events that hand an order to a unit: the last one before a return names the unit that returned it.
_HAND_OVERS = (Action.DISPATCH, Action.ACCEPT_ESCALATION, Action.REOPEN)


def _last_returns(session: Session, order_ids: list[int]) -> dict[int, ReturnNote]:
    """Each returned order's latest return, with the unit it had been handed to (the one that sent it back)."""
    if not order_ids:
        return {}
    notes: dict[int, ReturnNote] = {}
    handed_to: dict[int, int | None] = {}
    events = session.scalars(select(OrderEvent).where(OrderEvent.order_id.in_(order_ids),
                                                      OrderEvent.action.in_((Action.RETURN, *_HAND_OVERS)))
                             .order_by(OrderEvent.order_id, OrderEvent.id))
    for event in events:
        payload = event.payload or {}
        if event.action is not Action.RETURN:
            unit_id = payload.get("unit_id")
            handed_to[event.order_id] = unit_id if isinstance(unit_id, int) else None
            continue
        notes[event.order_id] = ReturnNote(
            reason=str(payload.get("reason_label") or ""), note=event.note,
            unit_name=str(payload.get("returned_by_unit") or event.actor_unit_name or ""),
            actor_name=event.actor_name, at=event.at, unit_id=handed_to.get(event.order_id))
    return notes


def _dispatchable(unit: Unit | None) -> bool:
    return unit is not None and unit.active and unit.kind in DISPATCHABLE_KINDS


def _candidates(order: WorkOrder, owner: Unit | None) -> list[UnitChoice]:
    seen: dict[int, UnitChoice] = {}
    for unit in (owner, order.street, order.community, order.grid):
        if unit is not None and _dispatchable(unit) and unit.id not in seen:
            seen[unit.id] = _choice(unit)
    return list(seen.values())


def _current_category(order: WorkOrder, suggestions: list[Suggested], names: dict[str, str]) -> Suggested | None:
    code = order.category_code
    if code is None or any(s.code == code for s in suggestions):
        return None
    path = " › ".join(names.get(code[:n], code[:n]) for n in range(2, len(code) + 1, 2))
    return Suggested(code=code, path=path, confidence=0.0, source="current")


def list_queue(session: Session, *, viewer: User, statuses: frozenset[Status] | None = None,
               limit: int = DEFAULT_LIMIT) -> Queue:
    """The oldest waiting orders (``limit`` of them), with what the viewer may do on each."""
    wanted = [s for s in WAITING if statuses is None or s in statuses] or list(WAITING)
    limit = max(1, min(limit, MAX_LIMIT))
    # An order an inner unit returned to its street (退回街道) waits in the street's queue, not the centre's.
    at_centre = or_(WorkOrder.status != Status.RETURNED, WorkOrder.sub_centre_id.is_(None))
    counts = {Status(s): int(n) for s, n in session.execute(
        select(WorkOrder.status, func.count()).where(WorkOrder.status.in_(WAITING), at_centre)
        .group_by(WorkOrder.status))}
    rows = session.execute(
        select(WorkOrder, RoutingDecision).outerjoin(RoutingDecision, RoutingDecision.order_id == WorkOrder.id)
        .where(WorkOrder.status.in_(wanted), at_centre).order_by(WorkOrder.created_at, WorkOrder.id).limit(limit)
    ).all()
    returns = _last_returns(session, [o.id for o, _ in rows if o.status is Status.RETURNED])
    names = {row.code: row.name for row in session.execute(select(Category.code, Category.name))}
    items = []
    for order, decision in rows:
        # A retired or closed unit is no suggestion to act on: the dispatcher picks one instead.
        owner = decision.suggested_owner if decision is not None else None
        owner = owner if _dispatchable(owner) else None
        returned = returns.get(order.id)
        bounced = owner is not None and returned is not None and returned.unit_id == owner.id
        suggestions = [_suggested(s) for s in decision.suggestions] if decision is not None else []
        suggestions = [s for s in suggestions if s.confidence >= routing.SHOWN_CONFIDENCE]
        graded = decision.suggested_grade if decision is not None and decision.suggested_grade else order.grade
        actions = frozenset(t.action for t in order_permissions.allowed_actions(viewer, order)) & QUEUE_ACTIONS
        items.append(QueueItem(
            number=order.number, version=order.version, status=order.status, channel=order.channel,
            type=order.type, urgency=order.urgency, title=order.title, excerpt=_excerpt(order.content),
            created_at=order.created_at, accept_due_at=order.accept_due_at,
            place=[u.name for u in (order.street, order.community, order.grid) if u is not None],
            category_code=order.category_code, suggestions=suggestions,
            current_category=_current_category(order, suggestions, names),
            grade=graded, grade_reasons=list(decision.grade_reasons) if decision is not None else [],
            current_grade=order.grade if order.grade != graded else None,
            suggested_owner=_choice(owner) if owner is not None else None, owner_returned=bounced,
            owner_reason=decision.owner_reason if decision is not None else "",
            rule_id=decision.rule_id if decision is not None else None,
            auto_dispatched=decision.auto_dispatched if decision is not None else False,
            returned=returned, candidates=_candidates(order, owner), actions=actions))
    return Queue(items=items, total=sum(counts.get(s, 0) for s in wanted), counts=counts, now=clock.now())


@dataclass(frozen=True)
class Outcome:
    """What became of an order the viewer just acted on from the queue, said in one line."""

    number: str
    ok: bool
    message: str
    still_waiting: bool


def describe_outcome(session: Session, number: str, *, seen_version: int | None,
                     messages: list[list[str]]) -> Outcome | None:
    """The line the queue shows after an accept or a dispatch: what was done, or — when someone else
    got there first — who did what, so the dispatcher knows the row was refreshed, not lost.

    ``messages`` are what the action route said (``[kind, text]``); without them nothing was just done
    (the page was reloaded) and there is nothing to say.
    """
    order = order_queries.find_by_number(session, number) if number and messages else None
    if order is None:
        return None
    errors = [text for kind, text in messages if kind == "error"]
    succeeded, error = not errors, (errors[0] if errors else None)
    waiting = order.status in WAITING
    last = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.action.in_(_MOVES))
                           .order_by(OrderEvent.id.desc()).limit(1)).first()
    if succeeded and last is not None:
        follow = "，请继续派单" if waiting else ""
        return Outcome(number, True, f"{number} 已{_event_line(session, last)}{follow}", waiting)
    if last is None or seen_version is None or order.version == seen_version:
        return Outcome(number, False, f"{number}：{error or '操作未完成'}", waiting)
    done = f"{number} 已被{last.actor_name}{_event_line(session, last)}（{_clock_time(last.at)}）"
    if waiting:
        return Outcome(number, False, f"{done}，已刷新为最新内容，请确认后再操作", True)
    return Outcome(number, False, f"{done}，已移出队列", False)


# The events that move an order into or out of the queue.
_MOVES = (Action.ACCEPT, Action.DISPATCH, Action.RETURN, Action.VOID, Action.RESTORE, Action.DIRECT_REPLY,
          Action.ESCALATE_CITY)


def _clock_time(at: datetime) -> str:
    return at.astimezone(clock.city_tz()).strftime("%H:%M")


def _event_line(session: Session, event: OrderEvent) -> str:
    """派单至 积玉桥街（分类 城市管理 › 市容环境）; other actions by their label."""
    line = ACTION_LABELS[event.action]
    payload = event.payload or {}
    if event.action is Action.DISPATCH:
        if payload.get("unit_name"):
            line += f"至 {payload['unit_name']}"
        category = session.get(Category, str(payload["category"])) if payload.get("category") else None
        if category is not None:
            line += f"（分类：{category.name}）"
    return line
