"""The worker loop: exclusive jobs run in one worker at a time and pass to another when it stops;
a failing job never stops the loop; ``minhu worker`` starts, delivers and stops cleanly on a signal."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from minhu.core import lease
from minhu.core.db import Database
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.worker.runner import Job, Worker
from tests.notify.helpers import enqueue, only_message
from tests.notify.servers import free_port

TICK = timedelta(milliseconds=20)


def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def test_an_exclusive_job_runs_in_one_worker_at_a_time_and_moves_when_its_holder_stops(db):
    runs: Counter[str] = Counter()
    lock = threading.Lock()

    def job_for(name: str) -> Job:
        def run(_db: Database) -> None:
            with lock:
                runs[name] += 1
        return Job("sweep", every=TICK, run=run, exclusive=True)

    first = Worker(db, [job_for("first")], holder="first", lease_ttl=timedelta(seconds=30))
    second = Worker(db, [job_for("second")], holder="second", lease_ttl=timedelta(seconds=30))
    first.start()
    assert wait_for(lambda: runs["first"] >= 3)
    second.start()
    try:
        time.sleep(0.3)
        assert runs["second"] == 0, "the lease is held: the second worker stands by"
        first.stop()
        assert wait_for(lambda: runs["second"] >= 3), "released at stop: taken over at once, not after 30 s"
        assert lease.holder_of(db, "job:sweep") == "second"
    finally:
        second.stop()
    assert lease.holder_of(db, "job:sweep") is None


def test_a_failing_job_is_logged_and_neither_it_nor_the_others_stop(db, caplog):
    calls: Counter[str] = Counter()

    def broken(_db: Database) -> None:
        calls["broken"] += 1
        raise RuntimeError("the sweep hit a bad row")

    def healthy(_db: Database) -> None:
        calls["healthy"] += 1

    worker = Worker(db, [Job("broken", every=TICK, run=broken, exclusive=True),
                         Job("healthy", every=TICK, run=healthy, exclusive=False)])
    with caplog.at_level(logging.ERROR, logger="minhu.worker"):
        worker.start()
        try:
            assert wait_for(lambda: calls["broken"] >= 3 and calls["healthy"] >= 3)
            assert worker.running
        finally:
            worker.stop()
    assert "job broken failed" in caplog.text
    assert "the sweep hit a bad row" in caplog.text


def run_until_delivered(db, world, tmp_path: Path, *command: str, **env_extra: str) -> tuple[bool, int | None, str]:
    """Start ``minhu COMMAND`` on the test database with one inbox message queued; SIGTERM it once the
    message is delivered (or after 90 s). Returns (delivered, exit code, output)."""
    enqueue(db, [world.handler], template="test", context={"sent_at": "今天"}, channels=(NotifyChannel.INBOX,))
    env = {**os.environ, "MINHU_HOME": str(tmp_path / "home"), "MINHU_DATABASE_URL": db.url,
           "MINHU_NOTIFY_POLL_SECONDS": "0.2", **env_extra}
    env.pop("MINHU_CONFIG", None)
    process = subprocess.Popen([sys.executable, "-m", "minhu", *command], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        delivered = wait_for(lambda: only_message(db).status is DeliveryStatus.SENT, timeout=90)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return delivered, process.returncode, output


def test_minhu_worker_delivers_and_stops_cleanly_on_sigterm(db, world, tmp_path: Path):
    delivered, code, output = run_until_delivered(db, world, tmp_path, "worker")
    assert delivered, output
    assert code == 0, output
    assert "minhu worker 已启动" in output
    assert "minhu worker 已停止" in output
    assert "Traceback" not in output


def test_minhu_serve_delivers_with_its_in_process_worker_and_stops_cleanly(db, world, tmp_path: Path):
    delivered, code, output = run_until_delivered(db, world, tmp_path, "serve", "--port", str(free_port()),
                                                  "--no-migrate")
    assert delivered, output
    # uvicorn shuts down gracefully, then re-raises the signal it caught so the exit status tells of it.
    assert code in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert output.index("minhu.worker: worker") < output.index("stopped") < output.index("Finished server process"), \
        "the worker stopped with the server, before the process ended"
    assert "Traceback" not in output
