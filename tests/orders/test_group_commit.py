"""Group commit: concurrent creates share one durable commit, a failing one rolls back alone, and an order
acknowledged to its caller survives the server being killed at any moment."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from minhu.core.db import Database
from minhu.orders import service as order_service
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action
from tests.factories import PASSWORD, order_data
from tests.serving import server_env, serving
from tests.worker.test_runner import wait_for

WAITING = 12


def _numbers(db: Database) -> set[str]:
    with db.read() as s:
        return set(s.scalars(select(WorkOrder.number)))


def test_work_waiting_while_the_committer_is_busy_is_committed_together_in_one_transaction(db, world):
    release = threading.Event()
    started = threading.Event()

    def hold(_session: Session) -> str:
        started.set()
        release.wait()  # untimed on purpose: timed waits hang under a moved clock
        return "first"

    committer = db.group_commits
    batches_before = committer.batches
    with ThreadPoolExecutor(WAITING + 1) as pool:
        first = pool.submit(db.grouped, hold)
        assert wait_for(started.is_set)
        creates = [pool.submit(order_service.create_order_once, db, order_data(title=f"暴雨后积水{i}"),
                               actor=world.operator, key=f"storm-{i}", scope="test") for i in range(WAITING)]
        # Every create has located and routed its order and now waits for the committer.
        assert wait_for(lambda: committer._queue.qsize() == WAITING)
        release.set()
        registered = [future.result() for future in creates]
    assert first.result() == "first"
    assert all(r.created for r in registered)
    assert committer.batches - batches_before == 2, "the twelve waiting creates shared one commit"
    assert {r.order.number for r in registered} <= _numbers(db)
    assert len({r.order.number for r in registered}) == WAITING


def test_a_failing_piece_of_work_rolls_back_alone_and_the_others_in_its_batch_commit(db, world):
    release = threading.Event()
    started = threading.Event()

    def hold(_session: Session) -> None:
        started.set()
        release.wait()

    def half_then_fail(session: Session) -> None:
        order_service.create_order(session, order_data(title="写了一半的工单"), actor=world.operator)
        raise RuntimeError("the disk is full")

    with ThreadPoolExecutor(4) as pool:
        pool.submit(db.grouped, hold)
        assert wait_for(started.is_set)
        good = pool.submit(order_service.create_order_once, db, order_data(title="路灯不亮"), actor=world.operator,
                           key="good-1", scope="test")
        bad = pool.submit(db.grouped, half_then_fail)
        other = pool.submit(order_service.create_order_once, db, order_data(title="下水道堵塞"),
                            actor=world.operator, key="good-2", scope="test")
        assert wait_for(lambda: db.group_commits._queue.qsize() == 3)
        release.set()
        with pytest.raises(RuntimeError, match="the disk is full"):
            bad.result()
        kept = {good.result().order.number, other.result().order.number}
    with db.read() as s:
        titles = set(s.scalars(select(WorkOrder.title)))
        events = s.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.action == Action.CREATE))
    assert kept == _numbers(db)
    assert titles == {"路灯不亮", "下水道堵塞"}, "nothing of the failed order was kept"
    assert events == 2


def test_no_order_acknowledged_before_a_kill_9_is_lost(db, world, tmp_path: Path):
    """A server killed mid-storm loses no order it answered 201 for, and leaves no half order behind."""
    env = server_env(db, tmp_path / "home", MINHU_IN_PROCESS_WORKER="false")
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    with serving(env, tmp_path / "serve.log") as (base, process):
        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": world.operator.username,
                                                              "password": PASSWORD}).json()["access_token"]

        def client(index: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        response = http.post("/api/v1/orders", json=order_data(title=f"暴雨积水{index}-{n}")
                                             .model_dump(mode="json"),
                                             headers={"Authorization": f"Bearer {token}",
                                                      "Idempotency-Key": f"crash-{index}-{n}"})
                    except httpx.HTTPError:
                        return  # the server is gone: whatever was not answered was not promised
                    if response.status_code == 201:
                        with lock:
                            acknowledged.append(response.json()["number"])

        threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        try:
            assert wait_for(lambda: len(acknowledged) >= 80, timeout=120), "the storm never got going"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
    db.dispose()  # read what the disk holds, through fresh connections
    kept = _numbers(db)
    assert set(acknowledged) <= kept, f"lost {sorted(set(acknowledged) - kept)[:5]}"
    with db.read() as s:
        orders = s.scalar(select(func.count()).select_from(WorkOrder))
        created = s.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.action == Action.CREATE))
        keys = s.scalar(text("SELECT count(*) FROM idempotency_keys"))
    assert orders == created == keys, "every order kept has its creation event and its key, none half-written"

