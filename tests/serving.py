"""A real ``minhu serve`` process on the test database, for tests that need several processes or a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from minhu.core.db import Database
from tests.notify.servers import free_port
from tests.worker.test_runner import wait_for


def server_env(db: Database, home: Path, **settings: str) -> dict[str, str]:
    """The environment of a server on ``db`` with its own home, and ``MINHU_*`` settings on top."""
    env = {**os.environ, "MINHU_HOME": str(home), "MINHU_DATABASE_URL": db.url, **settings}
    env.pop("MINHU_CONFIG", None)
    return env


@contextmanager
def serving(env: dict[str, str], log: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A ``minhu serve`` process writing its log to ``log`` (a pipe nobody reads would fill and stall it);
    yields its base URL and the process, and stops it at the end unless it is already gone."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "minhu", "serve", "--port", str(port), "--no-migrate",
                                    *options], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _answers(base), timeout=60), log.read_text("utf-8", errors="replace")[-2000:]
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        time.sleep(0.1)
        return False
