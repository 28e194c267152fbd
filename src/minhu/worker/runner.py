"""The loop that runs periodic jobs: each job on its own thread, every ``every``, until stopped.

A job marked ``exclusive`` runs only while this worker holds the database lease named after it, so
with several workers (processes or machines) exactly one runs it at a time, and another takes over
when the holder stops (it releases its leases) or dies (its lease expires). Other jobs, such as
delivery, whose claims are safe with any number of runners, run in every worker.

An error in a job is logged and the job runs again at its next turn: nothing a job does stops the
loop or the other jobs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from minhu.core import lease
from minhu.core.db import Database

log = logging.getLogger("minhu.worker")


@dataclass(frozen=True)
class Job:
    """A periodic job: ``run(db)`` every ``every``; ``exclusive`` ones under the lease ``job:<name>``."""

    name: str
    every: timedelta
    run: Callable[[Database], None]
    exclusive: bool


def default_holder() -> str:
    """A name unique to this worker: host, process and a random suffix (two workers in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(self, db: Database, jobs: Sequence[Job], *, holder: str | None = None,
                 lease_ttl: timedelta = timedelta(seconds=60)) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.db = db
        self.jobs = tuple(jobs)
        self.holder = holder or default_holder()
        self.lease_ttl = lease_ttl
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @staticmethod
    def lease_name(job: Job) -> str:
        return f"job:{job.name}"

    def ttl_of(self, job: Job) -> timedelta:
        # Renewed at every run: it must outlast the wait between two runs.
        return max(self.lease_ttl, 2 * job.every)

    def run_once(self, job: Job) -> bool:
        """Run ``job`` now if this worker may; returns whether it ran. Errors are logged, not raised."""
        try:
            if job.exclusive and not lease.acquire(self.db, self.lease_name(job), self.holder, self.ttl_of(job)):
                return False
            job.run(self.db)
        except Exception:  # a job's failure must not end the loop
            log.exception("job %s failed; it runs again in %s", job.name, job.every)
        return True

    def _loop(self, job: Job) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.run_once(job)
            self._rest(started + job.every.total_seconds())

    def _rest(self, until: float) -> None:
        """Sleep until the monotonic instant ``until`` or until stopped, looking every 50 ms.

        Short sleeps rather than one timed ``Event.wait``: a timed lock wait never returns under clock-shifting
        tools such as libfaketime, which the suite is run under to prove it holds on any date.
        """
        while not self._stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.05))

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def start(self) -> None:
        """Start one thread per job (daemon threads: they never keep a dying process alive)."""
        if self._threads:
            raise RuntimeError("worker already started")
        self._stop.clear()
        for job in self.jobs:
            thread = threading.Thread(target=self._loop, args=(job,), name=f"minhu-worker:{job.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("worker %s started: %s", self.holder, ", ".join(job.name for job in self.jobs))

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the jobs running now finish, then give up this worker's leases at once."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [thread.name for thread in self._threads if thread.is_alive()]
        if stuck:
            log.warning("worker %s: jobs still running at shutdown: %s", self.holder, ", ".join(stuck))
        for job in self.jobs:
            if job.exclusive:
                try:
                    lease.release(self.db, self.lease_name(job), self.holder)
                except Exception:  # the database may be gone; the lease then simply expires
                    log.exception("could not release the lease of %s", job.name)
        self._threads = []
        log.info("worker %s stopped", self.holder)
