"""Signed JSON POSTs: the transport of the SMS gateway and of webhooks.

The body is sent exactly as signed; ``X-Minhu-Signature`` carries ``sha256=<hex HMAC>`` of it and
``X-Minhu-Delivery`` the message's stable id. Any 2xx answer means accepted; anything else, or no
answer within the timeout, is a failure retried on the schedule.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from minhu.notify.senders.base import DELIVERY_HEADER, SIGNATURE_HEADER, SendError, sign


class SignedPoster:
    """One HTTP client per sender (building one costs tens of milliseconds: its TLS context)."""

    def __init__(self, *, timeout: float, what: str) -> None:
        self.timeout = timeout
        self.what = what
        # No proxies from the environment and no redirects: the address configured is the one signed for.
        self._client = httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False)
        self._lock = threading.Lock()

    def post(self, url: str, document: dict[str, Any], *, secret: str, delivery_id: str) -> None:
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"content-type": "application/json; charset=utf-8", SIGNATURE_HEADER: sign(secret, body),
                   DELIVERY_HEADER: delivery_id, "user-agent": "minhu-notify/1"}
        try:
            with self._lock:
                response = self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise SendError(f"{self.what} {url} 在 {self.timeout:g} 秒内无应答（{type(exc).__name__}）") from exc
        except httpx.HTTPError as exc:
            raise SendError(f"{self.what} {url} 无法连接：{exc}") from exc
        if not 200 <= response.status_code < 300:
            raise SendError(f"{self.what} {url} 返回 HTTP {response.status_code}：{response.text[:300]}")
