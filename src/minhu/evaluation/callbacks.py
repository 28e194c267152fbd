"""The callback queue (回访): replied orders the centre approved, waiting for a reviewer to call the
citizen, the most urgent first — overdue, then by their callback deadline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from minhu.orders import permissions
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status
from minhu.org.models import User

QUEUE_LIMIT = 200


@dataclass(frozen=True)
class CallbackQueue:
    orders: Sequence[WorkOrder]
    waiting: int
    overdue: int


def queue(session: Session, viewer: User, now: datetime) -> CallbackQueue:
    """Orders waiting for their callback, overdue first, each group by deadline (none last)."""
    visible = permissions.visible_clause(viewer)
    waiting = select(WorkOrder).where(WorkOrder.status == Status.REVIEWED.value, visible)
    due = WorkOrder.callback_due_at
    orders = session.scalars(waiting.order_by(due.is_(None), due, WorkOrder.replied_at, WorkOrder.id)
                             .limit(QUEUE_LIMIT)).all()
    total, overdue = session.execute(
        select(func.count(), func.coalesce(func.sum(case((due <= now, 1), else_=0)), 0))
        .select_from(WorkOrder).where(WorkOrder.status == Status.REVIEWED.value, visible)).one()
    return CallbackQueue(orders, total, overdue)
