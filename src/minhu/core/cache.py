"""A small thread-safe cache whose entries expire, for lookups every request repeats.

Used where a few seconds of staleness is harmless and the saving is a query per request
(the user behind a token, the order-number prefix). Writers that change the answer clear it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    def __init__(self, *, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        # Bumped by clear(): a value loaded before a clear is not stored after it (the load may have read the
        # rows the commit that cleared it replaced).
        self._generation = 0

    def lookup(self, key: K) -> tuple[bool, V | None]:
        """(True, the value) while ``key`` is cached and fresh, else (False, None): for callers that must load
        elsewhere (an async caller sends the query to a thread)."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return True, hit[1]
        return False, None

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
            generation = self._generation
        value = load()
        with self._lock:
            if generation != self._generation:
                return value
            self._entries[key] = (now + self.ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def clear_now_and_after(self, session: Session) -> None:
        """Clear now and again once ``session`` commits: a request between the two would otherwise cache the row
        the commit is about to replace."""
        self.clear()
        orm_event.listen(session, "after_commit", lambda _session: self.clear(), once=True)
