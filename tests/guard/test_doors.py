"""The doors' limits, counted in the database before each attempt: the allowance, the lock and its end, the
back-off, attempts sent all at once, a count seen by every connection, the cleanup."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import TooManyRequests
from minhu.guard import service as guard
from minhu.guard.models import AttemptCount

DOOR = guard.Door("test.door", 3, timedelta(minutes=10), "请{wait}后再试")
BACKING_OFF = guard.Door("test.backoff", 2, timedelta(minutes=10), "请{wait}后再试", backoff=True)


def attempt(db: Database, door: guard.Door, key: str) -> bool:
    """One attempt; whether the door let it through."""
    try:
        guard.reserve_all(db, (door, key))
    except TooManyRequests:
        return False
    return True


def wait(db: Database, door: guard.Door, key: str) -> int:
    with db.read() as session:
        return guard.locked_for(session, door, key)


def test_the_allowance_passes_and_the_next_attempt_locks_the_door_until_its_lock_ends(db):
    start = clock.now()
    with clock.frozen(start):
        assert [attempt(db, DOOR, "13912345678") for _ in range(4)] == [True, True, True, False]
        assert wait(db, DOOR, "13912345678") == 600
        assert attempt(db, DOOR, "13800000000")  # another key is not affected
    with clock.frozen(start + timedelta(minutes=9, seconds=30)):
        with pytest.raises(TooManyRequests) as refused:
            guard.reserve_all(db, (DOOR, "13912345678"))
        assert refused.value.message == "请 30 秒后再试"
        assert refused.value.retry_after == 30
    with clock.frozen(start + timedelta(minutes=10)):
        assert attempt(db, DOOR, "13912345678")


def test_attempts_spread_beyond_the_window_never_lock(db):
    # One attempt every four minutes: three at most fall in a ten-minute window, never the fourth that locks.
    start = clock.now()
    for step in range(8):
        with clock.frozen(start + step * timedelta(minutes=4)):
            assert attempt(db, DOOR, "spread")


def test_each_lock_in_a_row_lasts_twice_the_last_and_a_quiet_day_forgets(db):
    at = clock.now()
    for expected_minutes in (10, 20, 40, 80):
        with clock.frozen(at):
            assert [attempt(db, BACKING_OFF, "admin") for _ in range(3)] == [True, True, False]
            assert wait(db, BACKING_OFF, "admin") == expected_minutes * 60
        at += timedelta(minutes=expected_minutes)
    with clock.frozen(at + timedelta(days=1)):
        assert [attempt(db, BACKING_OFF, "admin") for _ in range(3)] == [True, True, False]
        assert wait(db, BACKING_OFF, "admin") == 600


def test_clear_and_release_give_attempts_back(db):
    assert attempt(db, DOOR, "wang")
    assert attempt(db, DOOR, "wang")
    with db.transaction() as session:
        guard.clear(session, DOOR, "wang")
    assert [attempt(db, DOOR, "wang") for _ in range(3)] == [True, True, True]
    with db.transaction() as session:
        guard.release(session, DOOR, "wang")
    assert attempt(db, DOOR, "wang")
    assert not attempt(db, DOOR, "wang")


def test_attempts_sent_all_at_once_pass_no_more_than_the_allowance(db):
    others = [Database(db.url) for _ in range(4)]  # as many server processes
    passed: list[bool] = []
    lock = threading.Lock()

    def burst(database: Database) -> None:
        for _ in range(5):
            result = attempt(database, DOOR, "burst")
            with lock:
                passed.append(result)

    threads = [threading.Thread(target=burst, args=(d,)) for d in others]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for database in others:
            database.dispose()
    assert passed.count(True) == DOOR.attempts
    assert len(passed) == 20


def test_keys_are_kept_only_as_digests(db):
    attempt(db, DOOR, "13912345678")
    with db.read() as session:
        stored = session.scalars(select(AttemptCount.key)).all()
    assert len(stored) == 1
    assert "13912345678" not in stored[0]
    assert len(stored[0]) == 64


def test_stale_counts_are_deleted_and_fresh_ones_kept(db):
    start = clock.now()
    with clock.frozen(start):
        attempt(db, DOOR, "old")
        for _ in range(3):
            attempt(db, BACKING_OFF, "locked")
    with clock.frozen(start + timedelta(days=3)):
        attempt(db, DOOR, "fresh")
        with db.transaction() as session:
            assert guard.forget_stale(session) == 2
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(AttemptCount)) == 1


def test_a_client_is_its_address_and_an_ipv6_client_its_64_network():
    from starlette.requests import Request

    from minhu.web.deps import client_address

    def seen(host: str) -> str:
        return client_address(Request({"type": "http", "client": (host, 50000), "headers": []}))

    assert seen("203.0.113.9") == "203.0.113.9"
    assert seen("2001:db8:1:2:aaaa::1") == seen("2001:db8:1:2:bbbb::7") == "2001:db8:1:2::/64"
    assert seen("2001:db8:1:3::1") != seen("2001:db8:1:2::1")
