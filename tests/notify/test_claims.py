"""Claims: two processes draining one outbox deliver every message exactly once; a message left
"sending" by a crashed sender goes back to the queue after the stuck timeout, and only once."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from multiprocessing.synchronize import Event

from sqlalchemy import update

from minhu.core import clock
from minhu.core.db import Database
from minhu.notify.delivery import DeliveryPolicy, claim_next, deliver_due, record_sent
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.notify.senders import InboxSender, SmsGatewaySender
from tests.notify.helpers import POLICY, T0, enqueue, give_addresses, messages, only_message
from tests.notify.servers import HttpReceiver

SECRET = "gateway-shared-secret-0123456789"
MESSAGES = 40


def drain(url: str, gateway_url: str, start: Event, results: multiprocessing.Queue[int]) -> None:
    """A delivery process: its own connections, delivering until nothing is due."""
    db = Database(url)
    senders = {NotifyChannel.SMS: SmsGatewaySender(url=gateway_url, secret=SECRET, timeout=5)}
    policy = DeliveryPolicy(per_run=5)
    sent = 0
    start.wait()
    while True:
        report = deliver_due(db, senders, policy)
        sent += report.sent
        if not report.attempted:
            break
    db.dispose()
    results.put(sent)


def test_two_processes_draining_one_outbox_deliver_each_message_exactly_once(db, world):
    give_addresses(db, world.handler)
    for n in range(MESSAGES):
        enqueue(db, [world.handler], channels=(NotifyChannel.SMS,), dedupe_key=f"urge:{n}")
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results: multiprocessing.Queue[int] = context.Queue()
    with HttpReceiver(secret=SECRET) as gateway:
        workers = [context.Process(target=drain, args=(db.url, gateway.url, start, results)) for _ in range(2)]
        for process in workers:
            process.start()
        start.set()
        for process in workers:
            process.join(timeout=120)
        assert all(process.exitcode == 0 for process in workers)

    per_process = sorted(results.get(timeout=5) for _ in workers)
    assert sum(per_process) == MESSAGES
    assert len(gateway.received) == MESSAGES
    assert len(set(gateway.ids)) == MESSAGES, "no message reached the gateway twice"
    assert all(r.signed for r in gateway.received)
    rows = messages(db)
    assert {m.status for m in rows} == {DeliveryStatus.SENT}
    assert {m.attempts for m in rows} == {1}


def test_a_message_left_sending_by_a_crashed_sender_is_sent_again_after_the_stuck_timeout(db, world):
    with clock.frozen(T0):
        enqueue(db, [world.handler], channels=(NotifyChannel.INBOX,))
        claimed = claim_next(db)  # ... and the process dies before it records anything
    assert claimed is not None
    crashed, crashed_token = claimed
    inbox = {NotifyChannel.INBOX: InboxSender()}

    with clock.frozen(T0 + timedelta(minutes=1)):
        deliver_due(db, inbox, POLICY)
    assert only_message(db).status is DeliveryStatus.SENDING, "within the stuck timeout nobody touches it"

    with clock.frozen(T0 + timedelta(minutes=3)):
        report = deliver_due(db, inbox, POLICY)
    message = only_message(db)
    assert (report.requeued, report.sent) == (1, 1)
    assert (message.status, message.attempts) == (DeliveryStatus.SENT, 2)
    assert not record_sent(db, crashed, crashed_token), "the crashed claim can no longer record anything"


def test_a_message_that_keeps_crashing_its_sender_ends_dead(db, world):
    with clock.frozen(T0):
        enqueue(db, [world.handler], channels=(NotifyChannel.INBOX,))
    at = T0
    for _ in range(POLICY.max_attempts):
        with clock.frozen(at):
            deliver_due(db, {}, DeliveryPolicy(per_run=0, stuck_after=POLICY.stuck_after,
                                               max_attempts=POLICY.max_attempts))
            assert claim_next(db) is not None
        at += timedelta(minutes=3)
    with clock.frozen(at):
        deliver_due(db, {NotifyChannel.INBOX: InboxSender()}, POLICY)
    message = only_message(db)
    assert (message.status, message.attempts) == (DeliveryStatus.DEAD, POLICY.max_attempts)
    assert "发送中断" in (message.last_error or "")


def test_due_inbox_messages_are_delivered_together_and_a_bad_recipient_still_ends_dead(db, world):
    for n in range(30):
        enqueue(db, [world.handler], channels=(NotifyChannel.INBOX,), dedupe_key=f"arrival:{n}")
    with db.transaction() as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == "arrival:7")
                  .values(recipient="handler@example.org"))
    report = deliver_due(db, {NotifyChannel.INBOX: InboxSender()}, POLICY)
    rows = {m.dedupe_key: m for m in messages(db)}
    assert (report.sent, report.dead) == (29, 1)
    assert rows["arrival:7"].status is DeliveryStatus.DEAD
    assert "用户编号" in (rows["arrival:7"].last_error or "")
    delivered = [m for key, m in rows.items() if key != "arrival:7"]
    assert {(m.status, m.attempts) for m in delivered} == {(DeliveryStatus.SENT, 1)}
    assert all(m.sent_at is not None and m.claim_token is None for m in delivered)
