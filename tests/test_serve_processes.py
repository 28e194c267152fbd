"""Several server processes on one PostgreSQL database: order numbers and idempotency keys stay unique across
them and one worker at a time holds each exclusive job; SQLite refuses a second writing process clearly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from minhu.core.db import Database
from minhu.core.lease import Lease
from minhu.orders.models import WorkOrder
from tests.factories import PASSWORD, order_data
from tests.notify.servers import free_port
from tests.serving import server_env, serving
from tests.worker.test_runner import wait_for

ORDERS = 60
SAME_KEY_TRIES = 12


def _env(db: Database, tmp_path: Path) -> dict[str, str]:
    return server_env(db, tmp_path / "home", MINHU_SWEEP_SECONDS="0.5", MINHU_WORKER_LEASE_SECONDS="30")


def _token(base: str, username: str) -> str:
    response = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return str(response.json()["access_token"])


def _post(base: str, token: str, title: str, key: str) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/orders", json=order_data(title=title).model_dump(mode="json"), timeout=60,
                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def test_two_server_processes_on_one_database_keep_numbers_keys_and_leases_unique(db, world, tmp_path: Path):
    if db.dialect != "postgresql":
        pytest.skip("several writing processes need PostgreSQL; SQLite runs one (see the next test)")
    env = _env(db, tmp_path)
    with (serving(env, tmp_path / "first.log") as (first, first_process),
          serving(env, tmp_path / "second.log") as (second, second_process)):
        bases = (first, second)
        tokens = {base: _token(base, world.operator.username) for base in bases}
        with ThreadPoolExecutor(16) as pool:
            distinct = list(pool.map(lambda i: _post(bases[i % 2], tokens[bases[i % 2]], f"积水{i}", f"k-{i}"),
                                     range(ORDERS)))
            same = list(pool.map(lambda i: _post(bases[i % 2], tokens[bases[i % 2]], "同一来电", "one-call"),
                                 range(SAME_KEY_TRIES)))
        assert {r.status_code for r in distinct} == {201}
        numbers = [r.json()["number"] for r in distinct]
        assert len(set(numbers)) == ORDERS

        assert sorted(r.status_code for r in same) == [200] * (SAME_KEY_TRIES - 1) + [201]
        assert len({r.json()["number"] for r in same}) == 1, "one call, one order, whichever process answered"

        # Both processes run a worker; the sweep's lease has one holder, one of the two, and keeps it.
        pids = {first_process.pid, second_process.pid}
        assert wait_for(lambda: _sweep_holder(db) is not None, timeout=30)
        holder = _sweep_holder(db)
        assert holder is not None
        assert int(holder.split(":")[1]) in pids
        time.sleep(2)  # several sweep periods
        assert _sweep_holder(db) == holder
    with db.read() as s:
        days = s.scalars(select(WorkOrder.number)).all()
        count = s.scalar(select(func.count()).select_from(WorkOrder))
    assert count == ORDERS + 1
    sequence = sorted(int(n[-6:]) for n in days)
    assert sequence == list(range(1, ORDERS + 2)), "the day's numbers run without a gap or a repeat"


def _sweep_holder(db: Database) -> str | None:
    with db.read() as s:
        return s.scalar(select(Lease.holder).where(Lease.name == "job:deadlines.sweep"))


def test_serve_with_several_processes_answers_from_each_on_postgresql(db, world, tmp_path: Path):
    if db.dialect != "postgresql":
        pytest.skip("several writing processes need PostgreSQL")
    log = tmp_path / "serve.log"
    with serving(_env(db, tmp_path), log, "--workers", "2") as (base, _process):
        token = _token(base, world.operator.username)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda i: _post(base, token, f"多进程{i}", f"w-{i}"), range(24)))
        assert {r.status_code for r in answers} == {201}
    output = log.read_text("utf-8", errors="replace")
    started = set(re.findall(r"Started server process \[(\d+)\]", output))
    assert len(started) == 2, output


def test_serve_refuses_several_processes_on_sqlite_and_says_why(tmp_path: Path):
    env = {**os.environ, "MINHU_HOME": str(tmp_path / "home"),
           "MINHU_DATABASE_URL": f"sqlite:///{tmp_path / 'one-writer.db'}"}
    env.pop("MINHU_CONFIG", None)
    done = subprocess.run([sys.executable, "-m", "minhu", "serve", "--workers", "2", "--port", str(free_port())],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "仅用于 PostgreSQL" in done.stderr
    assert not (tmp_path / "one-writer.db").exists() or "Started server" not in done.stdout
