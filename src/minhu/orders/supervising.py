"""Supervision writers: urging (催办), overdue notices, 督办, a scheduling meeting's instruction (领导批示) and other
records on the order that leave its status where it is.

They add to the session without flushing: the sweep records hundreds in one transaction, and one flush at
its end writes them in a few statements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import Forbidden, InvalidInput, field_error
from minhu.orders import permissions, states, trail
from minhu.orders.errors import NoteRequired
from minhu.orders.models import OrderEvent, OrderSupervision, WorkOrder
from minhu.orders.signals import OrderChange, order_noted
from minhu.orders.states import Action
from minhu.org.models import User


def _check_supervisor(actor: User | None, order: WorkOrder) -> None:
    if order.status not in states.OPEN_STATUSES:
        raise InvalidInput("工单已办结或作废，无需催办、督办", code="order_closed")
    if actor is not None and not permissions.may_supervise(actor, order):
        raise Forbidden("只有指挥中心和领导可以催办、督办", code="not_a_supervisor")


def urge(session: Session, order: WorkOrder, *, actor: User | None, note: str,
         payload: dict[str, Any] | None = None, by: str = trail.SWEEP_NAME) -> OrderEvent:
    """催办: a message to the unit that owns the order, in its trail. ``actor`` None: the sweep, or who ``by``
    names (a citizen following up through another system)."""
    _check_supervisor(actor, order)
    if not note.strip():
        raise NoteRequired(Action.URGE.value, "催办内容")
    event = trail.append_event(session, order, Action.URGE, actor=actor, from_status=order.status, note=note,
                          payload={"unit_id": order.owner_unit_id, "unit_name": order.owner_unit.name,
                                   **(payload or {})}, anonymous_name=by)
    order_noted.send(OrderChange(session, order, event))
    return event


def record(session: Session, order: WorkOrder, action: Action, *, actor: User | None, note: str = "",
           payload: dict[str, Any] | None = None) -> OrderEvent:
    """An event that records on the order without moving it (the domains above keep their own links to an
    order, such as its thread, in its trail). Raises ValueError for a lifecycle action."""
    if action in states.TRANSITION_ACTIONS or action is Action.CREATE:
        raise ValueError(f"{action} changes an order's status: use apply_action")
    event = trail.append_event(session, order, action, actor=actor, from_status=order.status, note=note,
                          payload=payload)
    session.flush()
    return event


def note_overdue(session: Session, order: WorkOrder, *, note: str, payload: dict[str, Any]) -> OrderEvent:
    """超期提醒 by the sweep: the owning unit's leader is told (the notification goes with the event)."""
    event = trail.append_event(session, order, Action.OVERDUE_NOTICE, actor=None, from_status=order.status, note=note,
                          payload={"unit_id": order.owner_unit_id, "unit_name": order.owner_unit.name, **payload},
                          anonymous_name=trail.SWEEP_NAME)
    order_noted.send(OrderChange(session, order, event))
    return event


def supervise(session: Session, order: WorkOrder, *, actor: User | None, note: str, due_at: datetime,
              payload: dict[str, Any] | None = None) -> OrderSupervision:
    """督办: a formal supervision with its own deadline. Raises InvalidInput for a deadline already past."""
    _check_supervisor(actor, order)
    if not note.strip():
        raise NoteRequired(Action.SUPERVISE.value, "督办事由")
    now = clock.now()
    if due_at <= now:
        raise field_error("due_at", "督办时限须晚于现在")
    supervision = OrderSupervision(order_id=order.id, reason=note, opened_by_id=actor.id if actor else None,
                                   opened_at=now, due_at=due_at)
    session.add(supervision)
    event = trail.append_event(session, order, Action.SUPERVISE, actor=actor, from_status=order.status, note=note,
                               payload={"unit_id": order.owner_unit_id, "unit_name": order.owner_unit.name,
                                        "due_at": due_at.astimezone(clock.city_tz()).isoformat(), **(payload or {})},
                               anonymous_name=trail.SWEEP_NAME)
    order_noted.send(OrderChange(session, order, event))
    return supervision


def instruct(session: Session, order: WorkOrder, *, actor: User, note: str,
             payload: dict[str, Any] | None = None) -> OrderEvent:
    """领导批示: an instruction a scheduling meeting (调度会) gave about the order, in its trail under the name of
    who recorded it; the status stays. Scheduling decides who may give one and tells the unit. Raises Forbidden when
    ``actor`` may not see the order, NoteRequired for empty words."""
    if not permissions.may_see(actor, order):
        raise Forbidden("您无权对此工单作出批示", code="not_your_order")
    if not note.strip():
        raise NoteRequired(Action.INSTRUCT.value, "批示内容")
    event = trail.append_event(session, order, Action.INSTRUCT, actor=actor, from_status=order.status, note=note,
                               payload={"unit_id": order.owner_unit_id, "unit_name": order.owner_unit.name,
                                        **(payload or {})})
    order_noted.send(OrderChange(session, order, event))
    return event
