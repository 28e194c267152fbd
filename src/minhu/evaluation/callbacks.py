"""The callback queue (回访): replied orders the centre approved, waiting for a reviewer to call the
citizen — those that may be called now first (overdue, then by their callback deadline), then those
waiting out the retry interval after an unanswered try; beside them, the callbacks closed as unreachable,
counted apart (the rates count them apart too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from minhu.evaluation.models import RatingLink
from minhu.evaluation.rating_links import TEMPLATE as RATING_SMS
from minhu.notify.enums import DeliveryStatus
from minhu.notify.models import OutboxMessage
from minhu.orders import callbacks as policy
from minhu.orders import permissions, queries
from minhu.orders.models import CallbackAttempt, WorkOrder
from minhu.orders.states import Status
from minhu.org.models import User

QUEUE_LIMIT = 200


@dataclass(frozen=True)
class Waiting:
    order: WorkOrder
    next_try_at: datetime | None  # after an unanswered try: not before this
    link: RatingLink | None  # the rating link texted to the citizen, if any
    sms: DeliveryStatus | None  # how far the outbox got with the SMS carrying that link

    def ready(self, now: datetime) -> bool:
        return self.next_try_at is None or self.next_try_at <= now


@dataclass(frozen=True)
class CallbackQueue:
    rows: Sequence[Waiting]
    waiting: int
    overdue: int
    unreachable: Sequence[WorkOrder]
    unreachable_count: int


def _rating_sms_status(order_id: ColumnElement[int] | InstrumentedAttribute[int] | int) -> Select[DeliveryStatus]:
    """The delivery status of the latest SMS that texted the order its rating link."""
    return (select(OutboxMessage.status)
            .where(OutboxMessage.order_id == order_id, OutboxMessage.template_key == RATING_SMS)
            .order_by(OutboxMessage.id.desc()).limit(1))


def queue(session: Session, viewer: User, now: datetime) -> CallbackQueue:
    """Orders waiting for their callback, those callable now first; and those closed as unreachable."""
    visible = permissions.visible_clause(viewer)
    due = WorkOrder.callback_due_at
    # Per listed order (through its index), not a GROUP BY over every try ever made.
    last_try = (select(func.max(CallbackAttempt.at)).where(CallbackAttempt.order_id == WorkOrder.id)
                .correlate(WorkOrder).scalar_subquery())
    # The page presents each order in full (attachments included): loaded in one query, not one per row.
    found = session.execute(
        select(WorkOrder, last_try, RatingLink, _rating_sms_status(WorkOrder.id).scalar_subquery().correlate(WorkOrder))
        .outerjoin(RatingLink, RatingLink.order_id == WorkOrder.id)
        .where(WorkOrder.status == Status.REVIEWED.value, visible)
        .options(selectinload(WorkOrder.attachments))
        .order_by(due.is_(None), due, WorkOrder.replied_at, WorkOrder.id).limit(QUEUE_LIMIT)).all()
    retry_after = policy.policy().retry_after
    rows = [Waiting(order, last_at + retry_after if last_at is not None and order.callback_attempts else None, link,
                    DeliveryStatus(sms) if sms else None)
            for order, last_at, link, sms in found]
    # Stable: each group keeps the deadline order.
    rows.sort(key=lambda row: not row.ready(now))
    total, overdue = session.execute(
        select(func.count(), func.coalesce(func.sum(case((due <= now, 1), else_=0)), 0))
        .select_from(WorkOrder).where(WorkOrder.status == Status.REVIEWED.value, visible)).one()
    closed = (WorkOrder.status == Status.CALLED_BACK.value) & WorkOrder.unreachable.is_(True) & visible
    unreachable = session.scalars(select(WorkOrder).where(closed).options(selectinload(WorkOrder.attachments))
                                  .order_by(WorkOrder.updated_at.desc(), WorkOrder.id).limit(QUEUE_LIMIT)).all()
    unreachable_count = session.scalar(select(func.count()).select_from(WorkOrder).where(closed)) or 0
    return CallbackQueue(rows, total, overdue, unreachable, unreachable_count)


@dataclass(frozen=True)
class CallbackSheet:
    """One order's callback so far: its tries this round and before, when the next may be, its rating link."""

    order: WorkOrder
    attempts: Sequence[CallbackAttempt]
    next_try_at: datetime | None
    link: RatingLink | None
    max_attempts: int
    sms: DeliveryStatus | None  # how far the outbox got with the SMS carrying the link


def sheet(session: Session, number: str, viewer: User) -> CallbackSheet:
    """Raises NotFound for an order the viewer may not see."""
    order = queries.get_visible(session, number, viewer=viewer)
    attempts = session.scalars(select(CallbackAttempt).where(CallbackAttempt.order_id == order.id)
                               .order_by(CallbackAttempt.at, CallbackAttempt.id)).all()
    link = session.scalars(select(RatingLink).where(RatingLink.order_id == order.id)).first()
    sms = session.scalar(_rating_sms_status(order.id)) if link is not None else None
    return CallbackSheet(order, attempts, policy.next_try_at(session, order), link, policy.policy().max_attempts,
                         DeliveryStatus(sms) if sms else None)
