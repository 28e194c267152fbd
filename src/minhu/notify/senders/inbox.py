"""The in-app inbox: the outbox row is the message, so delivering it is marking it sent (visible)."""

from __future__ import annotations

from minhu.notify.senders.base import Delivery, PermanentFailure


class InboxSender:
    def send(self, message: Delivery) -> None:
        if not message.recipient.isdigit():
            raise PermanentFailure(f"站内消息的收件人应为用户编号，而不是 {message.recipient!r}")
