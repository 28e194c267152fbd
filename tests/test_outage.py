"""The database goes away while minhu serves: requests fail fast with a 503 in Chinese, nothing half-written is
kept, the service recovers by itself when the database returns, and the outbox resumes without loss or doubles.

On SQLite another process holds the file's write lock; on PostgreSQL the connection to the server is cut
(``tests/outage.py``)."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from minhu.app import create_app
from minhu.config import Settings
from minhu.core import clock
from minhu.core.outages import is_unavailable
from minhu.notify.delivery import delivery_job
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.notify.senders import InboxSender, SmsGatewaySender
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action
from minhu.worker.runner import Job, Worker
from tests.factories import PASSWORD, make_order
from tests.intake.test_pages import login
from tests.notify.helpers import POLICY, enqueue, give_addresses, messages
from tests.notify.servers import HttpReceiver
from tests.outage import WAIT_SECONDS, Outage

ORDER = {"type": "complaint", "channel": "hotline", "title": "小区停水两天", "content": "和平社区三栋停水两天了。",
         "citizen_phone": "13812345678", "address": "和平大道"}


@pytest.fixture
def outage(db, world) -> Iterator[Outage]:
    gone = Outage(db.url)
    yield gone
    gone.close()


@pytest.fixture
def served(outage, tmp_path) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path / "home", database_url=outage.url, secret_key="test-secret",
                        database_wait_seconds=WAIT_SECONDS)
    with TestClient(create_app(settings, db=outage.database)) as client:
        yield client


def test_a_request_fails_fast_with_503_and_the_retry_after_the_outage_registers_once(served, outage, world, db):
    token = served.post("/api/v1/auth/token", json={"username": world.operator.username, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}", "Idempotency-Key": "storm-0001"}
    login(served, world.dispatcher)
    outage.begin()
    try:
        started = time.monotonic()
        refused = served.post("/api/v1/orders", json=ORDER, headers=headers)
        took = time.monotonic() - started
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "database_unavailable"
        assert refused.json()["error"]["message"] == "数据库暂时不可用，请稍后重试"
        assert refused.headers["Retry-After"] == "5"
        assert took < 10  # the wait is bounded by the setting, not by a driver's default of minutes
        for path in ("/public/report", "/orders"):  # a resident's page, a signed-in dispatcher's page
            page = served.get(path, headers={"accept": "text/html"})
            assert page.status_code in (200, 503), (path, page.status_code)
            if page.status_code == 503:  # PostgreSQL: even reads need the server; SQLite's readers go on
                assert "数据库暂时不可用" in page.text
    finally:
        outage.end()
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == 0  # nothing half-written
    # The first request after the return may meet a connection the server dropped; the pool replaces it.
    answers = [served.post("/api/v1/orders", json=ORDER, headers=headers).status_code for _ in range(2)]
    assert answers[-1] in (200, 201)
    assert 201 in answers
    assert served.get("/healthz").status_code == 200
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == 1


def test_writes_waiting_together_fail_together_at_once_as_an_outage(outage, world):
    """Intake's writes share one commit (group commit): when the database is gone the whole batch fails with the
    outage's own error (a 503), each caller within the wait, not one after another."""
    database = outage.database
    database.ping()  # a pooled connection, which the outage leaves stale
    outage.begin()
    try:
        with ThreadPoolExecutor(6) as pool:
            started = time.monotonic()
            futures = [pool.submit(database.grouped, lambda s: s.execute(text("SELECT 1")).scalar()) for _ in range(6)]
            errors = [f.exception(timeout=60) for f in futures]
            took = time.monotonic() - started
    finally:
        outage.end()
    assert all(is_unavailable(e) for e in errors), [type(e).__name__ for e in errors]
    assert took < 6 * WAIT_SECONDS + 5


def test_the_outbox_resumes_after_the_outage_without_loss_or_doubles(outage, world, db, caplog):
    give_addresses(db, world.handler, world.leader, world.dispatcher)
    enqueue(db, [world.handler, world.leader, world.dispatcher], channels=(NotifyChannel.SMS,))
    with HttpReceiver(secret="s" * 32) as gateway:
        senders = {NotifyChannel.SMS: SmsGatewaySender(url=gateway.url, secret="s" * 32, timeout=2),
                   NotifyChannel.INBOX: InboxSender()}
        worker = Worker(outage.database, [Job("notify.deliver", every=timedelta(seconds=1),
                                              run=delivery_job(senders, POLICY), exclusive=False)])
        outage.begin()
        try:
            assert worker.run_once(worker.jobs[0])  # fails inside, logged; the worker goes on
        finally:
            outage.end()
        assert gateway.received == []
        assert "notify.deliver failed" in caplog.text
        later = clock.now() + timedelta(minutes=1)
        with clock.frozen(later):
            for _ in range(3):
                worker.run_once(worker.jobs[0])
    assert len(gateway.received) == 3
    assert len(set(gateway.ids)) == 3
    assert {m.status for m in messages(db)} == {DeliveryStatus.SENT}


def test_an_order_read_while_writes_are_refused_is_still_shown_and_its_view_goes_to_the_log(served, outage, world,
                                                                                            db, caplog):
    """The first look of a call-back role at a full number is written into the trail; when the database takes no
    writes the page it already read is still shown, and the log keeps who saw which number."""
    order = make_order(db, world, upto=Action.SIGN)
    login(served, world.dispatcher)
    outage.begin()
    try:
        page = served.get(f"/orders/{order.number}", headers={"accept": "text/html"})
    finally:
        outage.end()
    if page.status_code == 503:  # PostgreSQL: the read itself needs the server
        assert "数据库暂时不可用" in page.text
        return
    assert page.status_code == 200
    assert "13812345678" in page.text
    assert any(order.number in r.getMessage() and "查看完整电话未能记入留痕" in r.getMessage() for r in caplog.records)
    with db.read() as session:
        viewed = session.scalar(select(func.count()).select_from(OrderEvent).where(
            OrderEvent.order_id == order.id, OrderEvent.action == Action.VIEW_PHONE))
    assert viewed == 0
