"""Counts failed guesses per key and refuses further tries for a while after too many.

A resident follows an order with its number and the last four digits of the phone: ten thousand
possibilities, which a script would walk through in minutes. After ``max_failures`` wrong
answers for one number within ``window_seconds`` the number is locked until the window passes,
whoever asks. The count lives in the process: with several processes each counts its own,
which multiplies the allowance but keeps the walk impractical.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class FailureThrottle:
    def __init__(self, *, max_failures: int, window_seconds: float,
                 now: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._now = now
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(key, ()) if t > now - self.window_seconds]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def locked_for(self, key: str) -> float:
        """Seconds until ``key`` may be tried again; 0 when it may be tried now."""
        with self._lock:
            now = self._now()
            times = self._recent(key, now)
            if len(times) < self.max_failures:
                return 0.0
            return max(0.0, times[-self.max_failures] + self.window_seconds - now)

    def record_failure(self, key: str) -> None:
        with self._lock:
            now = self._now()
            if len(self._failures) >= self.max_keys and key not in self._failures:
                # Forget the stalest keys rather than grow without bound under a spray of numbers.
                for stale in list(self._failures)[: self.max_keys // 10]:
                    del self._failures[stale]
            self._failures.setdefault(key, []).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


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
