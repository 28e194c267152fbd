"""Shared builders of the notification tests: people with addresses, a short retry policy, a clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from minhu.core.db import Database
from minhu.notify import service as notify_service
from minhu.notify.delivery import DeliveryPolicy
from minhu.notify.enums import NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.org.models import User

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in 武汉
POLICY = DeliveryPolicy(backoff=(timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30)), max_attempts=4,
                        stuck_after=timedelta(minutes=2))
DEADLINE = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # 18:00 in 武汉
ORDER_CONTEXT: dict[str, Any] = {"order_number": "WC20261123000012", "order_title": "夜间施工噪音扰民",
                                 "unit_name": "积玉桥街", "deadline": DEADLINE}


def give_addresses(db: Database, *users: User, email: bool = True, phone: bool = True) -> None:
    with db.transaction() as s:
        for n, user in enumerate(users):
            s.execute(update(User).where(User.id == user.id).values(
                email=f"{user.username}@example.org" if email else None,
                phone=f"1380000{n:04d}" if phone else None))


def load(db: Database, user: User) -> User:
    with db.read() as s:
        found = s.get(User, user.id)
        assert found is not None
        return found


def enqueue(db: Database, users: Sequence[User], *, template: str = "order.urge",
            context: Mapping[str, Any] | None = None, channels: Sequence[NotifyChannel] = (NotifyChannel.EMAIL,),
            dedupe_key: str | None = None) -> int:
    with db.transaction() as s:
        recipients = [s.get(User, u.id) for u in users]
        return notify_service.enqueue(s, template=template, context=context or ORDER_CONTEXT,
                                      recipients=[r for r in recipients if r is not None], channels=channels,
                                      dedupe_key=dedupe_key)


def messages(db: Database) -> list[OutboxMessage]:
    with db.read() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def only_message(db: Database) -> OutboxMessage:
    rows = messages(db)
    assert len(rows) == 1, rows
    return rows[0]
