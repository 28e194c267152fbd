"""The street's queue (街道分中心队列): what waits for its dispatcher — orders the district sent the street or an
inner unit returned to it (待内派), inner units' replies for its review (待街道审核) — and what it dispatched
inside and is still open (内派办理中), each with the lights of its clocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.orders import permissions
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.present import worst_light
from minhu.orders.states import Action, Status
from minhu.org.models import Unit, User
from minhu.street.service import InnerProposal, inner_units, propose_inner

# The street holds these to dispatch inside: just arrived from the district, or returned by an inner unit.
TO_DISPATCH = (Status.DISPATCHED, Status.SIGNED, Status.RETURNED)
# Dispatched inside and still being handled there (a reply under review is listed apart; one the street approved
# is the centre's to review).
HANDLED_INSIDE = (Status.DISPATCHED, Status.SIGNED, Status.HANDLING, Status.SUSPENDED)
LIMIT = 100


@dataclass
class StreetItem:
    order: WorkOrder
    light: str | None
    actions: list[str]
    proposal: InnerProposal | None = None
    returned: OrderEvent | None = None  # the inner unit's return, for an order back at the street
    reply_by: str | None = None  # the inner unit whose reply waits for review


@dataclass
class StreetQueue:
    street: Unit
    now: datetime
    to_dispatch: list[StreetItem] = field(default_factory=list)
    to_review: list[StreetItem] = field(default_factory=list)
    inside: list[StreetItem] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)

    @property
    def waiting(self) -> list[StreetItem]:
        """What the keyboard walks: the orders to dispatch, then the replies to review."""
        return self.to_dispatch + self.to_review


def _last_event(session: Session, order_id: int, actions: tuple[Action, ...]) -> OrderEvent | None:
    return session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id, OrderEvent.action.in_(actions))
                           .order_by(OrderEvent.at.desc(), OrderEvent.id.desc()).limit(1)).first()


def _item(order: WorkOrder, viewer: User) -> StreetItem:
    return StreetItem(order, worst_light(order), [t.action.value for t in permissions.allowed_actions(viewer, order)])


def street_queue(session: Session, street: Unit, *, viewer: User) -> StreetQueue:
    """``street``'s queue as ``viewer`` (its dispatcher) works it, oldest first in each part."""
    queue = StreetQueue(street, clock.now(), units=inner_units(session, street))
    held = session.scalars(select(WorkOrder).where(WorkOrder.owner_unit_id == street.id,
                                                   WorkOrder.status.in_(TO_DISPATCH))
                           .order_by(WorkOrder.dispatched_at, WorkOrder.id).limit(LIMIT))
    for order in held:
        item = _item(order, viewer)
        item.proposal = propose_inner(session, order, street)
        if order.status is Status.RETURNED:
            item.returned = _last_event(session, order.id, (Action.RETURN, Action.SIGN_TIMEOUT))
        queue.to_dispatch.append(item)
    reviewed = session.scalars(select(WorkOrder).where(WorkOrder.sub_centre_id == street.id,
                                                       WorkOrder.status == Status.STREET_REVIEW)
                               .order_by(WorkOrder.replied_at, WorkOrder.id).limit(LIMIT))
    for order in reviewed:
        item = _item(order, viewer)
        item.reply_by = order.owner_unit.name
        queue.to_review.append(item)
    open_inside = session.scalars(select(WorkOrder).where(
        WorkOrder.sub_centre_id == street.id, WorkOrder.owner_unit_id != street.id,
        WorkOrder.status.in_([s.value for s in HANDLED_INSIDE]))
        .order_by(WorkOrder.dispatched_at, WorkOrder.id).limit(LIMIT))
    queue.inside = [_item(order, viewer) for order in open_inside]
    return queue


def describe_outcome(session: Session, street: Unit, number: str, *, seen_version: int | None,
                     viewer: User) -> str | None:
    """What became of order ``number`` since the dispatcher saw it at ``seen_version``: the line the queue shows
    after an action (None when nothing moved or the order is not the viewer's to know)."""
    if not number or seen_version is None:
        return None
    order = session.scalar(select(WorkOrder).where(WorkOrder.number == number))
    if order is None or order.version <= seen_version or not permissions.may_see(viewer, order):
        return None
    if order.sub_centre_id == street.id and order.owner_unit_id != street.id and order.status is Status.DISPATCHED:
        return f"{number} 已内派至 {order.owner_unit.name}"
    if order.status is Status.REPLIED:
        return f"{number} 街道审核通过，已报区指挥中心审核"
    return None
