"""A small thread-safe cache whose entries expire, for lookups every request repeats.

Used where a few seconds of staleness is harmless and the saving is a query per request
(the user behind a token, the order-number prefix). Writers that change the answer clear it.

A missing entry is loaded once however many threads ask for it at the same moment: the first loads it and
the others wait for its answer. On a server just started, a storm's first requests would otherwise each
build the same routing tables at once, every build slowed by the others sharing the interpreter.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar, cast

from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

# How long a request waits for another's load of the same entry before it loads it itself.
WAIT_FOR_LOAD_SECONDS = 5.0

K = TypeVar("K")
V = TypeVar("V")


class _Flight(Generic[V]):
    """One load under way, and what it gave."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.leader = threading.get_ident()
        self.done = threading.Event()
        self.value: V | None = None
        self.error: BaseException | None = None


class TTLCache(Generic[K, V]):
    def __init__(self, *, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        # Bumped by clear(): a value loaded before a clear is not stored after it (the load may have read the
        # rows the commit that cleared it replaced).
        self._generation = 0
        self._flights: dict[K, _Flight[V]] = {}

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
            flight = self._flights.get(key)
            # A load begun before the last clear() may have read what that clear's commit replaced: it is
            # not joined, and a load of its own begins.
            leading = flight is None or flight.generation != self._generation
            if leading:
                flight = _Flight(self._generation)
                self._flights[key] = flight
        assert flight is not None
        if not leading and flight.leader == threading.get_ident():
            return load()  # a load that asks for its own key again would otherwise wait for itself
        if not leading:
            # Bounded: were the leader to wait for a pooled connection the waiters hold, they load themselves.
            if flight.done.wait(WAIT_FOR_LOAD_SECONDS):
                if flight.error is not None:
                    raise flight.error
                return cast(V, flight.value)
            return load()
        try:
            value = load()
        except BaseException as error:
            flight.error = error
            with self._lock:
                self._land(key, flight)
            flight.done.set()
            raise
        flight.value = value
        with self._lock:
            if flight.generation == self._generation:
                self._entries[key] = (now + self.ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            self._land(key, flight)
        flight.done.set()
        return value

    def _land(self, key: K, flight: _Flight[V]) -> None:
        """Forget ``flight`` (under the lock), unless a load begun after a clear() has taken its place."""
        if self._flights.get(key) is flight:
            del self._flights[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def clear_now_and_after(self, session: Session) -> None:
        """Clear now and again once ``session`` commits: a request between the two would otherwise cache the row
        the commit is about to replace."""
        self.clear()
        orm_event.listen(session, "after_commit", lambda _session: self.clear(), once=True)
