"""Webhooks to subscribed systems, signed the way the SMS gateway's requests are.

The body is ``{id, event, occurred_at, payload, sent_at}``; ``id`` is stable across retries.
"""

from __future__ import annotations

import json

from minhu.core import clock
from minhu.notify.senders.base import Delivery, PermanentFailure
from minhu.notify.senders.http import SignedPoster


class WebhookSender:
    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._poster = SignedPoster(timeout=timeout, what="Webhook")

    def send(self, message: Delivery) -> None:
        if message.secret is None:
            raise PermanentFailure("Webhook 订阅已停用或已删除")
        stored = json.loads(message.body)
        self._poster.post(message.recipient, {"id": message.uid, "event": message.subject, **stored,
                                              "sent_at": clock.now().isoformat()},
                          secret=message.secret, delivery_id=message.uid)
