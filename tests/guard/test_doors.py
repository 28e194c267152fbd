"""The doors' limits, counted in the database: a lock after the allowed attempts, its end, the back-off, the
cleanup, and the same count seen by every connection (as several server processes would see it)."""

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


def fail(db: Database, door: guard.Door, key: str, times: int = 1) -> None:
    for _ in range(times):
        with db.transaction() as session:
            guard.record(session, door, key)


def wait(db: Database, door: guard.Door, key: str) -> int:
    with db.read() as session:
        return guard.locked_for(session, door, key)


def test_the_attempt_that_reaches_the_limit_locks_the_door_until_its_window_ends(db):
    start = clock.now()
    with clock.frozen(start):
        fail(db, DOOR, "13912345678", times=2)
        assert wait(db, DOOR, "13912345678") == 0
        fail(db, DOOR, "13912345678")
        assert wait(db, DOOR, "13912345678") == 600
        assert wait(db, DOOR, "13800000000") == 0  # another key is not affected
    with clock.frozen(start + timedelta(minutes=9, seconds=30)):
        assert wait(db, DOOR, "13912345678") == 30
        with db.read() as session, pytest.raises(TooManyRequests) as refused:
            guard.refuse_if_locked(session, (DOOR, "13800000000"), (DOOR, "13912345678"))
        assert refused.value.message == "请 30 秒后再试"
        assert refused.value.retry_after == 30
    with clock.frozen(start + timedelta(minutes=10)):
        assert wait(db, DOOR, "13912345678") == 0


def test_attempts_spread_beyond_the_window_never_lock(db):
    # One attempt every six minutes: two at most fall in a ten-minute window, never the three that lock.
    start = clock.now()
    for step in range(6):
        with clock.frozen(start + step * timedelta(minutes=6)):
            fail(db, DOOR, "spread")
            assert wait(db, DOOR, "spread") == 0


def test_each_lock_in_a_row_lasts_twice_the_last_and_a_quiet_day_forgets(db):
    start = clock.now()
    at = start
    for expected_minutes in (10, 20, 40, 80):
        with clock.frozen(at):
            fail(db, BACKING_OFF, "admin", times=2)
            assert wait(db, BACKING_OFF, "admin") == expected_minutes * 60
        at += timedelta(minutes=expected_minutes)
    with clock.frozen(at + timedelta(days=1)):
        fail(db, BACKING_OFF, "admin", times=2)
        assert wait(db, BACKING_OFF, "admin") == 600


def test_clear_forgets_the_attempts(db):
    fail(db, DOOR, "wang", times=2)
    with db.transaction() as session:
        guard.clear(session, DOOR, "wang")
    fail(db, DOOR, "wang", times=2)
    assert wait(db, DOOR, "wang") == 0


def test_take_refuses_without_counting_while_locked(db):
    with db.transaction() as session:
        for _ in range(3):
            guard.take(session, DOOR, "client")
    with db.transaction() as session, pytest.raises(TooManyRequests):
        guard.take(session, DOOR, "client")
    with db.read() as session:
        count = session.scalar(select(AttemptCount.count).where(AttemptCount.door == DOOR.name))
    assert count == 0  # the lock reset the count; the refused attempt added nothing


def test_keys_are_kept_only_as_digests(db):
    fail(db, DOOR, "13912345678")
    with db.read() as session:
        stored = session.scalars(select(AttemptCount.key)).all()
    assert len(stored) == 1
    assert "13912345678" not in stored[0]
    assert len(stored[0]) == 64


def test_a_count_made_on_one_connection_locks_for_every_other(db):
    # Another Database on the same URL stands for another server process.
    other = Database(db.url)
    try:
        fail(db, DOOR, "shared", times=2)
        fail(other, DOOR, "shared")
        assert wait(db, DOOR, "shared") > 0
    finally:
        other.dispose()


def test_stale_counts_are_deleted_and_live_locks_kept(db):
    start = clock.now()
    with clock.frozen(start):
        fail(db, DOOR, "old")
        fail(db, BACKING_OFF, "locked-long", times=2)
    with clock.frozen(start + timedelta(days=3)):
        with db.transaction() as session:
            assert guard.forget_stale(session) == 2
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(AttemptCount)) == 0
    with clock.frozen(start + timedelta(days=3, minutes=1)):
        fail(db, DOOR, "fresh")
        with db.transaction() as session:
            assert guard.forget_stale(session) == 0
