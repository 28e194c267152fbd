"""A per-process rate limit for the Open311 clients' keys: at most a key's rate per minute in this process.

Guessing and flooding limits that must hold across processes live in ``minhu.guard``, in the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """At most a given number of calls per key within a sliding window, counted in this process (several
    processes each count their own share of the calls they serve)."""

    def __init__(self, *, window_seconds: float, now: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000) -> None:
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._now = now
        self._calls: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, limit: int) -> float:
        """Count a call for ``key`` and return 0 when it is within ``limit``; else the seconds until one more
        would be (the refused call is not counted)."""
        with self._lock:
            now = self._now()
            calls = [t for t in self._calls.get(key, ()) if t > now - self.window_seconds]
            if len(calls) >= limit:
                self._calls[key] = calls
                return max(0.001, calls[-limit] + self.window_seconds - now)
            if len(self._calls) >= self.max_keys and key not in self._calls:
                for stale in list(self._calls)[: self.max_keys // 10]:
                    del self._calls[stale]
            calls.append(now)
            self._calls[key] = calls
            return 0.0
