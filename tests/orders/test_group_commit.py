"""Group commit: concurrent creates share one durable commit, a failing one rolls back alone, and an order
acknowledged to its caller survives the server being killed at any moment."""

from __future__ import annotations

import queue
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

    # The first create of a process loads the word lists and the model; in a server that happens once, here
    # it would be paid by all twelve at once.
    order_service.create_order_once(db, order_data(title="暴雨前积水"), actor=world.operator, key="warm",
                                    scope="test")
    committer = db.group_commits
    batches_before = committer.batches
    with ThreadPoolExecutor(WAITING + 1) as pool:
        first = pool.submit(db.grouped, hold)
        try:
            assert wait_for(started.is_set)
            creates = [pool.submit(order_service.create_order_once, db, order_data(title=f"暴雨后积水{i}"),
                                   actor=world.operator, key=f"storm-{i}", scope="test") for i in range(WAITING)]
            # Every create has located and routed its order and now waits for the committer.
            assert wait_for(lambda: committer._queue.qsize() == WAITING)
        finally:
            release.set()  # a failed wait must not leave the committer held for ever
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
        try:
            assert wait_for(started.is_set)
            good = pool.submit(order_service.create_order_once, db, order_data(title="路灯不亮"),
                               actor=world.operator, key="good-1", scope="test")
            bad = pool.submit(db.grouped, half_then_fail)
            other = pool.submit(order_service.create_order_once, db, order_data(title="下水道堵塞"),
                                actor=world.operator, key="good-2", scope="test")
            assert wait_for(lambda: db.group_commits._queue.qsize() == 3, timeout=60)
        finally:
            release.set()  # a failed wait must not leave the committer held for ever
        with pytest.raises(RuntimeError, match="the disk is full"):
            bad.result()
        kept = {good.result().order.number, other.result().order.number}
    with db.read() as s:
        titles = set(s.scalars(select(WorkOrder.title)))
        events = s.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.action == Action.CREATE))
    assert kept == _numbers(db)
    assert titles == {"路灯不亮", "下水道堵塞"}, "nothing of the failed order was kept"
    assert events == 2


def test_a_kill_9_in_a_stream_of_creates_and_moves_loses_nothing_acknowledged_and_each_retry_lands_once(
        db, world, tmp_path: Path):
    """Operators register calls (each with an Idempotency-Key) while a dispatcher dispatches them (each with the
    version it saw); the server is killed with SIGKILL mid-stream and started again, and the clients retry
    everything they sent. Every acknowledged order and move is on disk, every retry lands exactly once, and no
    order is half-written: each has its key and creation event, one dispatch at most, and the status its trail
    ends in."""
    # Every call here is about one matter from one phone: joined automatically, it could not be dispatched.
    env = server_env(db, tmp_path / "home", MINHU_IN_PROCESS_WORKER="false", MINHU_DUPLICATES_AUTO_JOIN="false")
    creates: dict[str, dict[str, object]] = {}  # key -> body, recorded before sending
    created: dict[str, str] = {}  # key -> number, for each 201
    moves: dict[str, int] = {}  # number -> the version the dispatcher sent
    moved: set[str] = set()  # numbers acknowledged dispatched
    to_move: queue.Queue[str] = queue.Queue()
    lock = threading.Lock()
    stop = threading.Event()

    def operator(base: str, token: str, index: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            n = 0
            while not stop.is_set():
                n += 1
                key = f"crash-{index}-{n}"
                body = order_data(title=f"暴雨积水{index}-{n}").model_dump(mode="json")
                with lock:
                    creates[key] = body
                try:
                    answer = http.post("/api/v1/orders", json=body,
                                       headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
                except httpx.HTTPError:
                    return  # the server is gone: whatever was not answered was not promised
                if answer.status_code == 201:
                    with lock:
                        created[key] = answer.json()["number"]
                    to_move.put(answer.json()["number"])

    def dispatcher(base: str, token: str) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, timeout=30) as http:
            while not stop.is_set():
                try:
                    number = to_move.get(timeout=0.2)
                except queue.Empty:
                    continue
                try:
                    version = http.get(f"/api/v1/orders/{number}", headers=auth).json()["version"]
                    with lock:
                        moves[number] = version
                    answer = http.post(f"/api/v1/orders/{number}/actions/dispatch", headers=auth,
                                       json={"expected_version": version, "unit_id": world.street.id})
                except httpx.HTTPError:
                    return
                if answer.status_code == 200:
                    with lock:
                        moved.add(number)

    def tokens(base: str) -> tuple[str, str]:
        def token(username: str) -> str:
            answer = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            return str(answer.json()["access_token"])

        return token(world.operator.username), token(world.dispatcher.username)

    with serving(env, tmp_path / "serve.log") as (base, process):
        operator_token, dispatcher_token = tokens(base)
        threads = [threading.Thread(target=operator, args=(base, operator_token, i)) for i in range(12)]
        threads += [threading.Thread(target=dispatcher, args=(base, dispatcher_token)) for _ in range(2)]
        for thread in threads:
            thread.start()
        try:
            assert wait_for(lambda: len(created) >= 60 and len(moved) >= 10, timeout=120), "the stream never got going"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
    acknowledged, dispatched = dict(created), set(moved)

    with serving(env, tmp_path / "again.log") as (base, _process):  # started again; the clients retry
        operator_token, dispatcher_token = tokens(base)
        with httpx.Client(base_url=base, timeout=30) as http:
            for key, body in creates.items():
                again = http.post("/api/v1/orders", json=body,
                                  headers={"Authorization": f"Bearer {operator_token}", "Idempotency-Key": key})
                assert again.status_code in (200, 201), again.text
                if key in acknowledged:
                    assert (again.status_code, again.json()["number"]) == (200, acknowledged[key])
            for number, version in moves.items():
                again = http.post(f"/api/v1/orders/{number}/actions/dispatch",
                                  headers={"Authorization": f"Bearer {dispatcher_token}"},
                                  json={"expected_version": version, "unit_id": world.street.id})
                # 200: the first never landed; 409: it had (the version moved on). Never a second dispatch.
                assert again.status_code in (200, 409), again.text
                assert number not in dispatched or again.status_code == 409

    db.dispose()  # read what the disk holds, through fresh connections
    with db.read() as s:
        titles = list(s.scalars(select(WorkOrder.title)))
        keys = s.scalar(text("SELECT count(*) FROM idempotency_keys"))
        orders = {o.number: o for o in s.scalars(select(WorkOrder))}
        trail: dict[int, list[OrderEvent]] = {}
        for event in s.scalars(select(OrderEvent).order_by(OrderEvent.id)):
            trail.setdefault(event.order_id, []).append(event)
    assert sorted(titles) == sorted(str(body["title"]) for body in creates.values()), "each call registered once"
    assert keys == len(creates)
    assert set(acknowledged.values()) <= set(orders)
    for number, order in orders.items():
        steps = [e.action for e in trail[order.id]]
        assert steps[0] is Action.CREATE, number
        assert steps.count(Action.DISPATCH) == (1 if number in moves else 0), (number, steps)
        assert trail[order.id][-1].to_status is order.status, number
