"""The order's trail and where orders wait: one event written for each thing done to an order, and the
units the writers assign, adopted into the writer's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import InvalidInput
from minhu.core.types import json_safe
from minhu.orders import permissions
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action, Status
from minhu.org import queries as org_queries
from minhu.org.models import Unit, User

# The names the trail gives the system when it moves an order itself.
AUTO_DISPATCHER = "系统（自动派单）"
AUTO_JOINER = "系统（重复诉求识别）"
SWEEP_NAME = "系统（时限监管）"
ONLINE_RATER = "市民（网上直评）"


def event_values(order: WorkOrder, action: Action, *, actor: User | None, from_status: Status | None,
                 note: str = "", payload: dict[str, Any] | None = None,
                 anonymous_name: str = "系统") -> dict[str, Any]:
    return {
        "order_id": order.id, "action": action, "from_status": from_status, "to_status": order.status,
        "actor_id": actor.id if actor else None,
        "actor_name": actor.full_name if actor else anonymous_name,
        "actor_role": actor.role if actor else None,
        "actor_unit_id": actor.unit_id if actor else None,
        "actor_unit_name": actor.unit.name if actor else None,
        "note": note, "payload": json_safe(payload or {}), "at": clock.now(),
    }


def append_event(session: Session, order: WorkOrder, action: Action, *, actor: User | None,
                 from_status: Status | None, note: str = "", payload: dict[str, Any] | None = None,
                 anonymous_name: str = "系统") -> OrderEvent:
    event = OrderEvent(**event_values(order, action, actor=actor, from_status=from_status, note=note,
                                       payload=payload, anonymous_name=anonymous_name))
    session.add(event)
    return event


def adopt(session: Session, unit: Unit) -> Unit:
    """``unit`` as an instance of ``session``. The actor's unit and cached units were loaded by other sessions:
    assigning one whose row this session already holds fails at flush, so every such unit is merged first
    (``load=False``: no query; the instance this session holds, if any, is the one returned)."""
    return session.merge(unit, load=False)


def intake_unit(session: Session, actor: User | None) -> Unit:
    """Where a new order waits: the actor's unit for centre staff, else the topmost centre (in ``session``)."""
    if actor is not None and permissions.is_centre(actor):
        return adopt(session, actor.unit)
    centre = org_queries.find_centre(session)
    if centre is None:
        raise InvalidInput("尚未配置受理中心（指挥中心）单位，无法登记工单", code="no_intake_centre")
    return centre

