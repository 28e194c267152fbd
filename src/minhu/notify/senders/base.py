"""What every sender receives and raises, and the signature shared by the HTTP channels."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from minhu.notify.enums import NotifyChannel

SIGNATURE_HEADER = "X-Minhu-Signature"
DELIVERY_HEADER = "X-Minhu-Delivery"


@dataclass(frozen=True)
class Delivery:
    """One claimed outbox message, detached from the database while it is sent.

    ``uid`` is stable across retries: receivers use it to recognise a message they already took.
    ``secret`` signs webhook bodies (None when the subscription is gone or switched off).
    """

    id: int
    uid: str
    channel: NotifyChannel
    recipient: str
    subject: str
    body: str
    attempt: int
    secret: str | None = None


class Sender(Protocol):
    def send(self, message: Delivery) -> None:
        """Deliver ``message`` or raise; returning means the receiver accepted it."""


class SendError(Exception):
    """A delivery failed; the message is the error recorded on the outbox row."""


class PermanentFailure(SendError):
    """A delivery that no retry can make succeed: the message goes to the dead letters at once."""


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver checks (constant-time)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)
