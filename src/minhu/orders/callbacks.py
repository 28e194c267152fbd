"""The callback retry policy (回访): how many unanswered tries close a callback as unreachable, and how long
the caller waits between tries. Deployment settings (``MINHU_CALLBACK_MAX_ATTEMPTS``,
``MINHU_CALLBACK_RETRY_MINUTES``) set it once at start-up through ``configure``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minhu.orders.models import CallbackAttempt, WorkOrder


@dataclass(frozen=True)
class CallbackPolicy:
    max_attempts: int = 3
    retry_after: timedelta = timedelta(minutes=120)


_policy = CallbackPolicy()


def configure(*, max_attempts: int, retry_minutes: int) -> None:
    global _policy
    _policy = CallbackPolicy(max_attempts=max_attempts, retry_after=timedelta(minutes=retry_minutes))


def policy() -> CallbackPolicy:
    return _policy


def is_last_try(order: WorkOrder) -> bool:
    """An unanswered try now would be the last the policy allows: it closes the callback as unreachable."""
    return order.callback_attempts + 1 >= _policy.max_attempts


def last_attempt_at(session: Session, order: WorkOrder) -> datetime | None:
    """When the current round's latest try was made (None before the first: attempts restart at 重办)."""
    if not order.callback_attempts:
        return None
    return session.scalar(select(func.max(CallbackAttempt.at)).where(CallbackAttempt.order_id == order.id))


def next_try_at(session: Session, order: WorkOrder) -> datetime | None:
    """The earliest instant the next unanswered try may be recorded; None when any time will do."""
    last = last_attempt_at(session, order)
    return last + _policy.retry_after if last is not None else None
