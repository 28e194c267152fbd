"""Reading what systems forwarded: which system an order came from, the systems and their figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minhu.forwarding.models import ForwardedOrder, IntakeSystem
from minhu.notify.models import WebhookSubscription
from minhu.notify.service import Forwarded

_SOURCE = select(ForwardedOrder.system_id, ForwardedOrder.external_id)


def source_of(session: Session, order_id: int) -> Forwarded | None:
    """The system that forwarded the order and the sender's own id of it; None for an order of another door."""
    row = session.execute(_SOURCE.where(ForwardedOrder.order_id == order_id)).first()
    return Forwarded(row.system_id, row.external_id) if row is not None else None


def forwarded(session: Session, order_id: int) -> ForwardedOrder | None:
    return session.get(ForwardedOrder, order_id)


def order_id_of(session: Session, system_id: int, external_id: str) -> int | None:
    return session.execute(select(ForwardedOrder.order_id).where(ForwardedOrder.system_id == system_id,
                                                                 ForwardedOrder.external_id == external_id)
                           ).scalar_one_or_none()


@dataclass(frozen=True)
class SystemView:
    """A system as its page lists it: how many orders it forwarded, the last when, and where changes go back."""

    system: IntakeSystem
    received: int
    last_received_at: datetime | None
    callback: WebhookSubscription | None


def system_views(session: Session) -> list[SystemView]:
    counts = {row.system_id: (row.received, row.last) for row in session.execute(
        select(ForwardedOrder.system_id, func.count().label("received"),
               func.max(ForwardedOrder.received_at).label("last")).group_by(ForwardedOrder.system_id))}
    callbacks = {s.system_id: s for s in session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.system_id.is_not(None)).order_by(WebhookSubscription.id))}
    return [SystemView(system, *counts.get(system.id, (0, None)), callbacks.get(system.id))
            for system in session.scalars(select(IntakeSystem).order_by(IntakeSystem.id))]
