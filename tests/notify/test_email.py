"""E-mail through a real SMTP server on the loopback, and through servers that refuse, hang or hang up."""

from __future__ import annotations

import time
from datetime import timedelta

from minhu.core import clock
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.notify.senders import SmtpSender
from tests.notify.helpers import POLICY, T0, enqueue, give_addresses, only_message
from tests.notify.servers import HOST, HangingSmtpServer, MailCatcher, VanishingSmtpServer


def smtp(port: int, timeout: float = 2.0) -> dict[NotifyChannel, SmtpSender]:
    return {NotifyChannel.EMAIL: SmtpSender(host=HOST, port=port, sender="民呼 <noreply@wuchang.example>",
                                            timeout=timeout)}


def test_an_urge_mail_arrives_with_its_chinese_subject_and_text(db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        assert enqueue(db, [world.handler]) == 1
    with MailCatcher() as server, clock.frozen(T0):
        report = deliver_due(db, smtp(server.port), POLICY)

    assert report.sent == 1
    [mail] = server.received
    assert mail["Subject"] == "【催办】工单 WC20261123000012 即将到期"
    assert mail["To"] == "hand@example.org"
    assert "民呼" in mail["From"]
    text = mail.get_content()
    assert "hand 测试：" in text
    assert "「夜间施工噪音扰民」由积玉桥街办理，办理时限为 2026-11-26 18:00" in text
    assert "/orders/WC20261123000012" in text
    message = only_message(db)
    assert message.status is DeliveryStatus.SENT
    assert message.sent_at == T0
    assert mail["Message-ID"] == f"<{message.uid}@wuchang.example>"


def run_schedule(db, senders, steps):
    """Deliver at each offset from T0; returns the message after each step."""
    seen = []
    for offset in steps:
        with clock.frozen(T0 + offset):
            deliver_due(db, senders, POLICY)
        seen.append(only_message(db))
    return seen


def test_a_refusing_server_is_retried_on_schedule_then_the_message_is_dead_with_its_error(db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        enqueue(db, [world.handler])
    minute = timedelta(minutes=1)
    with MailCatcher(refuse="550 5.1.1 mailbox unavailable") as server:
        first, early, second, third, fourth, later = run_schedule(
            db, smtp(server.port), [timedelta(0), 30 * minute / 60, minute, 6 * minute, 36 * minute, 600 * minute])

    assert (first.status, first.attempts, first.next_attempt_at) == (DeliveryStatus.PENDING, 1, T0 + minute)
    assert early.attempts == 1, "not due yet: no attempt before the back-off has passed"
    assert (second.attempts, second.next_attempt_at) == (2, T0 + 6 * minute)
    assert (third.attempts, third.next_attempt_at) == (3, T0 + 36 * minute)
    assert (fourth.status, fourth.attempts) == (DeliveryStatus.DEAD, 4)
    assert "550" in (fourth.last_error or "")
    assert "mailbox unavailable" in (fourth.last_error or "")
    assert later.attempts == 4, "a dead message is never tried again by itself"
    assert server.received == []


def test_a_hanging_server_times_out_each_attempt_and_never_blocks_the_worker(db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        enqueue(db, [world.handler])
    with HangingSmtpServer() as server:
        started = time.monotonic()
        with clock.frozen(T0):
            report = deliver_due(db, smtp(server.port, timeout=0.3), POLICY)
        took = time.monotonic() - started
        steps = run_schedule(db, smtp(server.port, timeout=0.3),
                             [timedelta(minutes=1), timedelta(minutes=6), timedelta(minutes=36)])
    assert report.retrying == 1
    assert took < 5, f"one attempt took {took:.1f} s against a 0.3 s timeout"
    dead = steps[-1]
    assert dead.status is DeliveryStatus.DEAD
    assert dead.attempts == 4
    assert "timed out" in (dead.last_error or "") or "未完成发送" in (dead.last_error or "")
    # At most one connection per attempt; a loaded machine may spend an attempt's 0.3 s before connecting.
    assert 1 <= server.connections <= 4


def test_a_server_that_hangs_up_mid_send_gets_the_message_again_and_keeps_one_copy(db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        enqueue(db, [world.handler])
    with VanishingSmtpServer(vanish=1) as server:
        dropped, delivered, after = run_schedule(db, smtp(server.port),
                                                 [timedelta(0), timedelta(minutes=1), timedelta(hours=3)])

    assert dropped.status is DeliveryStatus.PENDING
    assert "SMTPServerDisconnected" in (dropped.last_error or "")
    assert (delivered.status, delivered.attempts) == (DeliveryStatus.SENT, 2)
    assert len(server.accepted) == 1
    assert after.attempts == 2
    assert server.connections == 2


def test_a_server_that_always_hangs_up_ends_dead_and_never_accepted_a_copy(db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        enqueue(db, [world.handler])
    with VanishingSmtpServer(vanish=99) as server:
        steps = run_schedule(db, smtp(server.port), [timedelta(0), timedelta(minutes=1), timedelta(minutes=6),
                                                     timedelta(minutes=36), timedelta(hours=10)])

    assert steps[-1].status is DeliveryStatus.DEAD
    assert steps[-1].attempts == 4
    assert server.vanished == 4
    assert server.accepted == []
