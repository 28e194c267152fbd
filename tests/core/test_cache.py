"""The expiring cache loads a missing entry once, however many threads ask for it at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from minhu.core import cache as cache_module
from minhu.core.cache import TTLCache

ASKERS = 8


class SlowLoad:
    """A load that holds until released, counting how often it ran."""

    def __init__(self, value: str = "tables") -> None:
        self.value = value
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> str:
        self.calls += 1
        self.started.set()
        assert self.release.wait(10), "the test never released the load"
        return self.value


def _ask_at_once(cache: TTLCache[str, str], load: SlowLoad) -> list[str]:
    with ThreadPoolExecutor(ASKERS) as pool:
        first = pool.submit(cache.get_or_load, "k", load)
        assert load.started.wait(10)
        others = [pool.submit(cache.get_or_load, "k", load) for _ in range(ASKERS - 1)]
        load.release.set()
        return [first.result(10), *(f.result(10) for f in others)]


def test_threads_asking_for_a_missing_entry_at_once_share_one_load():
    cache: TTLCache[str, str] = TTLCache(ttl_seconds=60)
    load = SlowLoad()

    answers = _ask_at_once(cache, load)

    assert answers == ["tables"] * ASKERS
    assert load.calls == 1
    assert cache.lookup("k") == (True, "tables")


def test_a_failed_load_fails_its_waiters_too_and_is_not_kept():
    cache: TTLCache[str, str] = TTLCache(ttl_seconds=60)
    started, release = threading.Event(), threading.Event()

    def failing() -> str:
        started.set()
        release.wait(10)
        raise RuntimeError("database away")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(cache.get_or_load, "k", failing)
        assert started.wait(10)
        waiter = pool.submit(cache.get_or_load, "k", lambda: "never asked")
        release.set()
        with pytest.raises(RuntimeError, match="database away"):
            first.result(10)
        with pytest.raises(RuntimeError, match="database away"):
            waiter.result(10)
    assert cache.lookup("k") == (False, None)
    assert cache.get_or_load("k", lambda: "loaded again") == "loaded again"


def test_a_caller_after_a_clear_does_not_take_a_load_begun_before_it():
    """A writer's commit clears the cache: what a load read before it may be what the commit replaced."""
    cache: TTLCache[str, str] = TTLCache(ttl_seconds=60)
    stale = SlowLoad("before the commit")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(cache.get_or_load, "k", stale)
        assert stale.started.wait(10)
        cache.clear()
        assert cache.get_or_load("k", lambda: "after the commit") == "after the commit"
        stale.release.set()
        assert first.result(10) == "before the commit"
    assert cache.lookup("k") == (True, "after the commit")


def test_a_load_that_asks_for_its_own_entry_does_not_wait_for_itself():
    cache: TTLCache[str, str] = TTLCache(ttl_seconds=60)

    def outer() -> str:
        return "outer:" + cache.get_or_load("k", lambda: "inner")

    assert cache.get_or_load("k", outer) == "outer:inner"


def test_a_waiter_loads_itself_when_the_first_load_never_ends(monkeypatch):
    """Were the first load stuck waiting for a pooled connection the waiters hold, they would not wait forever."""
    monkeypatch.setattr(cache_module, "WAIT_FOR_LOAD_SECONDS", 0.1)
    cache: TTLCache[str, str] = TTLCache(ttl_seconds=60)
    stuck = SlowLoad("late")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(cache.get_or_load, "k", stuck)
        assert stuck.started.wait(10)
        assert cache.get_or_load("k", lambda: "own") == "own"
        stuck.release.set()
        assert first.result(10) == "late"
