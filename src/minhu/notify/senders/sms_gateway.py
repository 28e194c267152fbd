"""SMS through the city's gateway: the interface described in docs/sms-gateway.md.

A JSON POST ``{id, mobile, text, sent_at}`` signed with the shared secret. ``id`` is the message's
stable id, the same on every retry, so a gateway that already accepted it answers 2xx again
without sending a second text.
"""

from __future__ import annotations

from minhu.core import clock
from minhu.notify.senders.base import Delivery
from minhu.notify.senders.http import SignedPoster


class SmsGatewaySender:
    def __init__(self, *, url: str, secret: str, timeout: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self._poster = SignedPoster(timeout=timeout, what="短信网关")

    def send(self, message: Delivery) -> None:
        self._poster.post(self.url, {"id": message.uid, "mobile": message.recipient, "text": message.body,
                                     "sent_at": clock.now().isoformat()},
                          secret=self.secret, delivery_id=message.uid)
