"""Running the worker as a process (``minhu worker``) or beside the web server (``minhu serve``)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType

from minhu import listeners
from minhu.config import Settings
from minhu.core.db import Database
from minhu.worker.jobs import default_jobs
from minhu.worker.runner import Worker


def make_worker(settings: Settings, db: Database) -> Worker:
    # The sweep's moves, lights and records reach the same receivers from a worker without the web app too.
    listeners.install()
    return Worker(db, default_jobs(settings), lease_ttl=timedelta(seconds=settings.worker_lease_seconds))


def run_foreground(settings: Settings, db: Database, *, say: Callable[[str], None] = print) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly: jobs running finish, leases are released."""
    worker = make_worker(settings, db)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.start()
        say(f"minhu worker 已启动（{worker.holder}）：{'、'.join(job.name for job in worker.jobs)}")
        while not stop.wait(1.0):
            pass
        say("正在停止 minhu worker …")
        worker.stop()
        say("minhu worker 已停止")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
