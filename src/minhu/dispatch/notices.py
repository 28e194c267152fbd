"""What a unit is told when an order arrives at it, in its people's inbox (站内消息).

A dispatch (派单) — and the moves that dispatch again: re-handling (重办), an escalation taken on — tells the
receiving unit's handlers and grid workers the order's number, title and deadline, with a link to the order. A call
onto an order (吹哨) tells each called unit's people who called, why, and by when to report (报到). The messages are
written to the outbox by a receiver of ``order_moved``, in the transaction of the move: they commit with it or not at
all, once per event (the dedupe key is the event's).

Installed by ``app.create_app`` (and the tests' fixtures) through ``install``, which is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from minhu.notify import service as outbox
from minhu.notify.enums import NotifyChannel
from minhu.orders.models import WorkOrder
from minhu.orders.signals import OrderChange, order_moved
from minhu.orders.states import ACTION_LABELS, Action
from minhu.org.models import User
from minhu.org.roles import Role

# Who in a unit is told: the people who sign, handle and report (a street's dispatcher signs for its street).
RECEIVING_ROLES = (Role.HANDLER, Role.GRIDWORKER, Role.STREET_DISPATCHER)
# The moves that hand an order to a unit, and how the notice names them.
ARRIVALS: dict[Action, str] = {Action.DISPATCH: ACTION_LABELS[Action.DISPATCH],
                               Action.INNER_DISPATCH: ACTION_LABELS[Action.INNER_DISPATCH],
                               Action.REOPEN: ACTION_LABELS[Action.REOPEN],
                               Action.ACCEPT_ESCALATION: "升级后派单"}
# What a street's sub-centre is told of the orders it dispatched inside.
_STREET_DISPATCHERS = (select(User).where(User.unit_id == bindparam("unit_id"), User.active.is_(True),
                                          User.role == Role.STREET_DISPATCHER.value).order_by(User.id))
NO_DEADLINE = "未设定"


# Built once: every dispatch, auto-dispatch at intake included, runs it.
_RECEIVERS = (select(User).where(User.unit_id.in_(bindparam("unit_ids", expanding=True)), User.active.is_(True),
                                 User.role.in_([r.value for r in RECEIVING_ROLES]))
              .order_by(User.id))


def _people(session: Session, unit_ids: Iterable[int]) -> list[User]:
    return list(session.scalars(_RECEIVERS, {"unit_ids": list(unit_ids)}))


def _order_context(order: WorkOrder) -> dict[str, Any]:
    return {"order_number": order.number, "order_title": order.title,
            "deadline": order.finish_due_at if order.finish_due_at is not None else NO_DEADLINE}


def _tell_dispatched(change: OrderChange) -> None:
    order, event = change.order, change.event
    unit = order.owner_unit
    outbox.enqueue(change.session, template="order.dispatched", channels=(NotifyChannel.INBOX,),
                   context={**_order_context(order), "action_label": ARRIVALS[event.action], "unit_name": unit.name},
                   recipients=_people(change.session, [unit.id]), order_id=order.id,
                   dedupe_key=f"arrival:{event.id}")


def _tell_called(change: OrderChange) -> None:
    order, event = change.order, change.event
    called = {unit["id"] for unit in event.payload.get("units", [])}
    for call in order.calls:
        if call.unit_id not in called or call.reported_at is not None:
            continue
        outbox.enqueue(change.session, template="order.whistled", channels=(NotifyChannel.INBOX,),
                       context={**_order_context(order), "lead_unit": order.owner_unit.name, "note": event.note,
                                "unit_name": call.unit.name, "report_due": call.report_due_at},
                       recipients=_people(change.session, [call.unit_id]), order_id=order.id,
                       dedupe_key=f"call:{event.id}")


def _tell_street(change: OrderChange, what: str) -> None:
    order, event = change.order, change.event
    street_id = order.sub_centre_id
    if street_id is None:
        return
    people = list(change.session.scalars(_STREET_DISPATCHERS, {"unit_id": street_id}))
    outbox.enqueue(change.session, template="order.street_notice", channels=(NotifyChannel.INBOX,),
                   context={**_order_context(order), "what": what}, recipients=people, order_id=order.id,
                   dedupe_key=f"street:{event.id}")


def _tell_receiving_unit(change: OrderChange) -> None:
    action, payload = change.event.action, change.event.payload
    if action in ARRIVALS:
        _tell_dispatched(change)
    elif action is Action.WHISTLE:
        _tell_called(change)
    elif action is Action.REPLY_TO_STREET:
        _tell_street(change, f"已由{change.event.actor_unit_name or '承办单位'}办结答复，等待街道审核")
    elif action in (Action.RETURN, Action.SIGN_TIMEOUT) and "returned_to" in payload:
        how = "退回街道" if action is Action.RETURN else "超时未签收，已退回街道"
        _tell_street(change, f"{payload.get('returned_by_unit', '承办单位')}{how}，请重新内派或自行办理")


def install() -> None:
    order_moved.connect(_tell_receiving_unit)


def uninstall() -> None:
    order_moved.disconnect(_tell_receiving_unit)
