"""Database leases: one holder at a time, renewed by its holder, taken over once it expires — also
when many contenders (each with its own connection, as separate processes have) ask at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from minhu.core import clock, lease
from minhu.core.db import Database

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


def test_a_lease_has_one_holder_until_it_expires_then_another_takes_it_over(db):
    with clock.frozen(T0):
        assert lease.acquire(db, "job:sweep", "worker-a", TTL)
        assert not lease.acquire(db, "job:sweep", "worker-b", TTL)
        assert lease.holder_of(db, "job:sweep") == "worker-a"
    with clock.frozen(T0 + timedelta(seconds=20)):
        assert lease.acquire(db, "job:sweep", "worker-a", TTL), "the holder renews by acquiring again"
    with clock.frozen(T0 + timedelta(seconds=45)):
        assert not lease.acquire(db, "job:sweep", "worker-b", TTL), "renewed at 20 s: held until 50 s"
    with clock.frozen(T0 + timedelta(seconds=51)):
        assert lease.holder_of(db, "job:sweep") is None
        assert lease.acquire(db, "job:sweep", "worker-b", TTL)
        assert not lease.renew(db, "job:sweep", "worker-a", TTL), "the old holder learns it lost the lease"
        assert not lease.release(db, "job:sweep", "worker-a"), "and cannot release someone else's"
        assert lease.holder_of(db, "job:sweep") == "worker-b"


def test_a_released_lease_is_free_at_once_and_leases_are_independent_by_name(db):
    with clock.frozen(T0):
        assert lease.acquire(db, "job:sweep", "worker-a", TTL)
        assert lease.acquire(db, "job:rollup", "worker-b", TTL)
        assert lease.release(db, "job:sweep", "worker-a")
        assert lease.acquire(db, "job:sweep", "worker-b", TTL)
        assert lease.renew(db, "job:sweep", "worker-b", TTL)


def test_of_many_contenders_asking_at_once_exactly_one_gets_the_lease(db):
    contenders = 8
    databases = [Database(db.url) for _ in range(contenders)]
    start = threading.Barrier(contenders)
    results: dict[str, bool] = {}

    def contend(n: int) -> None:
        start.wait()
        results[f"worker-{n}"] = lease.acquire(databases[n], "job:sweep", f"worker-{n}", TTL)

    try:
        threads = [threading.Thread(target=contend, args=(n,)) for n in range(contenders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for database in databases:
            database.dispose()
    winners = [name for name, won in results.items() if won]
    assert len(winners) == 1, results
    assert lease.holder_of(db, "job:sweep") == winners[0]
