"""Personal data: revealing a citizen's full phone number, with a trail entry naming who saw it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from minhu.guard import service as guard
from minhu.orders import permissions, trail
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from minhu.org.models import User
from minhu.org.roles import ROLE_LABELS


def reveal_phone(session: Session, order: WorkOrder, *, actor: User) -> str | None:
    """The citizen's full number, with a trail entry naming who saw it. Raises Forbidden (``phone_forbidden``,
    ``phone_confidential``), TooManyRequests past the hourly allowance of one account (``guard.PHONE_REVEAL``).
    An order without a phone reveals nothing and leaves no entry."""
    permissions.check_unmask_phone(actor, order)
    if not order.citizen_phone:
        return None
    guard.take(session, guard.PHONE_REVEAL, f"user:{actor.id}")
    trail.append_event(session, order, Action.VIEW_PHONE, actor=actor, from_status=order.status,
                  payload={"role": ROLE_LABELS[actor.role]})
    session.flush()
    return order.citizen_phone
