"""The SMS gateway and webhooks against a real HTTP receiver on the loopback; the dead letters and resend."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from minhu.core import clock
from minhu.core.errors import Conflict
from minhu.notify import queries as notify_queries
from minhu.notify import service as notify_service
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.notify.senders import SmsGatewaySender, WebhookSender
from minhu.org.models import User
from tests.notify.helpers import POLICY, T0, enqueue, give_addresses, messages, only_message
from tests.notify.servers import HttpReceiver

SECRET = "gateway-shared-secret-0123456789"
SMS = (NotifyChannel.SMS,)


def gateway_senders(receiver: HttpReceiver) -> dict[NotifyChannel, SmsGatewaySender]:
    return {NotifyChannel.SMS: SmsGatewaySender(url=receiver.url, secret=SECRET, timeout=2)}


def test_the_sms_gateway_receives_a_signed_post_with_id_mobile_text_and_time(db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        enqueue(db, [world.handler], channels=SMS)
    with HttpReceiver(secret=SECRET) as gateway, clock.frozen(T0 + timedelta(seconds=3)):
        deliver_due(db, gateway_senders(gateway), POLICY)

    [post] = gateway.received
    message = only_message(db)
    assert post.signed, "X-Minhu-Signature is the HMAC-SHA256 of the body under the shared secret"
    assert post.headers["x-minhu-delivery"] == message.uid
    assert post.headers["content-type"].startswith("application/json")
    assert post.json == {"id": message.uid, "mobile": "13800000000",
                         "text": "【民呼】催办：工单WC20261123000012将于2026-11-26 18:00到期，请积玉桥街抓紧办理。",
                         "sent_at": "2026-11-26T02:00:03+00:00"}
    assert message.status is DeliveryStatus.SENT


def test_a_gateway_answering_500_forever_ends_in_the_dead_letter_list(db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        enqueue(db, [world.handler], channels=SMS)
    with HttpReceiver(secret=SECRET, status=500) as gateway:
        for offset in (0, 1, 6, 36):
            with clock.frozen(T0 + timedelta(minutes=offset)):
                deliver_due(db, gateway_senders(gateway), POLICY)
                if offset == 6:
                    with db.read() as s:
                        failing = notify_queries.failing(s)
                    assert [f.message.status for f in failing] == [DeliveryStatus.PENDING], "failing, not yet dead"

    assert len(gateway.received) == 4
    assert len(set(gateway.ids)) == 1, "every retry carries the same id"
    with db.read() as s:
        [dead] = notify_queries.failing(s)
    assert dead.message.status is DeliveryStatus.DEAD
    assert "HTTP 500" in (dead.message.last_error or "")
    assert dead.message.attempts == 4


def test_resending_from_the_dead_letters_delivers_once_and_is_recorded(db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        enqueue(db, [world.handler], channels=SMS)
    with HttpReceiver(secret="not-the-gateways-secret-at-all", status=401) as wrong:
        for offset in (0, 1, 6, 36):
            with clock.frozen(T0 + timedelta(minutes=offset)):
                deliver_due(db, gateway_senders(wrong), POLICY)
    assert only_message(db).status is DeliveryStatus.DEAD

    later = T0 + timedelta(days=1)
    with clock.frozen(later), db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        notify_service.resend(s, only_message(db).id, actor=admin)
    with clock.frozen(later), pytest.raises(Conflict), db.transaction() as s:
        notify_service.resend(s, only_message(db).id, actor=admin)
    with HttpReceiver(secret=SECRET) as gateway:
        for offset in (0, 1, 60):
            with clock.frozen(later + timedelta(minutes=offset)):
                deliver_due(db, gateway_senders(gateway), POLICY)

    assert len(gateway.received) == 1
    message = only_message(db)
    assert (message.status, message.attempts, message.last_error) == (DeliveryStatus.SENT, 1, None)
    with db.read() as s:
        [resend] = notify_queries.resends_of(s, message.id)
    assert (resend.actor_name, resend.previous_status, resend.previous_attempts) == ("adm 测试",
                                                                                   DeliveryStatus.DEAD, 4)
    assert "HTTP 401" in (resend.previous_error or "")
    assert resend.at == later


def test_only_an_administrator_resends(db, world):
    with db.transaction() as s:
        dispatcher = s.get(User, world.dispatcher.id)
        assert dispatcher is not None
        with pytest.raises(Exception, match="仅管理员"):
            notify_service.resend(s, 1, actor=dispatcher)


def test_a_webhook_subscriber_gets_each_event_it_asked_for_signed_with_its_own_secret(db, world):
    with HttpReceiver(secret="subscriber-secret-0001") as receiver, \
            HttpReceiver(secret="other-secret-0000002") as other:
        with db.transaction() as s:
            notify_service.add_webhook(s, name="区网格化平台", url=receiver.url, secret="subscriber-secret-0001",
                                       events=["order.red"])
            notify_service.add_webhook(s, name="全部", url=other.url, secret="other-secret-0000002", events=["*"])
            switched_off = notify_service.add_webhook(s, name="停用", url=other.url + "/off",
                                                      secret="third-secret-00000003", events=["*"])
            notify_service.set_webhook_active(s, switched_off.id, active=False)
        with clock.frozen(T0), db.transaction() as s:
            red = notify_service.enqueue_webhook(s, event="order.red", payload={"order_number": "WC1", "at": T0},
                                                 dedupe_key="red:WC1")
            again = notify_service.enqueue_webhook(s, event="order.red", payload={"order_number": "WC1"},
                                                   dedupe_key="red:WC1")
            urge = notify_service.enqueue_webhook(s, event="order.urge", payload={"order_number": "WC2"})
        with clock.frozen(T0):
            deliver_due(db, {NotifyChannel.WEBHOOK: WebhookSender(timeout=2)}, POLICY)

    assert (red, again, urge) == (2, 0, 1)
    [post] = receiver.received
    assert post.signed
    assert post.json["event"] == "order.red"
    assert post.json["payload"] == {"order_number": "WC1", "at": "2026-11-26T02:00:00+00:00"}
    assert post.json["id"] == post.headers["x-minhu-delivery"]
    assert sorted(r.json["event"] for r in other.received) == ["order.red", "order.urge"]
    assert all(r.signed for r in other.received)
    assert {m.status for m in messages(db)} == {DeliveryStatus.SENT}


def test_messages_of_a_channel_with_no_settings_are_dead_at_once_saying_what_to_configure(db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        enqueue(db, [world.handler], channels=(NotifyChannel.EMAIL,))
        deliver_due(db, {}, POLICY)
    message = only_message(db)
    assert message.status is DeliveryStatus.DEAD
    assert "MINHU_SMTP_HOST" in (message.last_error or "")


def test_the_log_masks_the_mobile_number_of_a_dead_sms(db, world, caplog):
    give_addresses(db, world.handler)
    with clock.frozen(T0), caplog.at_level(logging.ERROR, logger="minhu.notify"):
        enqueue(db, [world.handler], channels=SMS)
        deliver_due(db, {}, POLICY)
    assert only_message(db).status is DeliveryStatus.DEAD
    assert "sms to 138****0000" in caplog.text
    assert "13800000000" not in caplog.text
