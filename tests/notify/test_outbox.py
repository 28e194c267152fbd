"""Enqueueing: rows rendered per recipient and channel in the caller's transaction, skips said aloud,
one row per dedupe key however often a caller retries."""

from __future__ import annotations

import logging

import pytest

from minhu.core import clock
from minhu.notify import service as notify_service
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.notify.models import NotifyTemplate
from minhu.notify.senders import InboxSender, SmsGatewaySender
from minhu.notify.templates import TemplateContextIncomplete, TemplateText, UnknownTemplate
from minhu.org.models import User
from tests.notify.helpers import ORDER_CONTEXT, POLICY, T0, enqueue, give_addresses, load, messages
from tests.notify.servers import HttpReceiver

ALL = (NotifyChannel.INBOX, NotifyChannel.EMAIL, NotifyChannel.SMS)


def test_each_recipient_gets_a_row_per_channel_rendered_with_their_name(db, world):
    give_addresses(db, world.handler, world.leader)

    assert enqueue(db, [world.handler, world.leader], template="order.red", channels=ALL) == 6

    rows = messages(db)
    by_channel = {(m.user_id, m.channel): m for m in rows}
    email = by_channel[(world.leader.id, NotifyChannel.EMAIL)]
    assert email.recipient == "lead@example.org"
    assert email.subject == "【超期提醒】积玉桥街工单 WC20261123000012 已超期"
    assert email.body.startswith("lead 测试：")
    sms = by_channel[(world.leader.id, NotifyChannel.SMS)]
    assert sms.recipient == "13800000001"
    assert sms.body == "【民呼】超期提醒：积玉桥街工单WC20261123000012已超过时限2026-11-26 18:00，请督促办理。"
    assert by_channel[(world.handler.id, NotifyChannel.INBOX)].recipient == str(world.handler.id)
    assert {m.status for m in rows} == {DeliveryStatus.PENDING}
    assert {m.template_key for m in rows} == {"order.red"}


def test_a_recipient_without_email_or_mobile_is_skipped_for_that_channel_and_the_log_says_who(db, world, caplog):
    give_addresses(db, world.handler)
    give_addresses(db, world.leader, email=False, phone=False)

    with caplog.at_level(logging.WARNING, logger="minhu.notify"):
        added = enqueue(db, [world.handler, world.leader], channels=ALL, dedupe_key="urge:1")

    assert added == 4, "handler: inbox, email, sms; leader: inbox only"
    assert {(m.user_id, m.channel) for m in messages(db)} == {
        (world.handler.id, NotifyChannel.INBOX), (world.handler.id, NotifyChannel.EMAIL),
        (world.handler.id, NotifyChannel.SMS), (world.leader.id, NotifyChannel.INBOX)}
    assert "lead 测试（lead）邮件：未登记邮箱" in caplog.text
    assert "lead 测试（lead）短信：未登记手机号" in caplog.text
    assert "urge:1" in caplog.text


def test_a_landline_gets_no_sms(db, world, caplog):
    with db.transaction() as s:
        user = s.get(User, world.leader.id)
        assert user is not None
        user.phone = "027-88886666"
    with caplog.at_level(logging.WARNING, logger="minhu.notify"):
        assert enqueue(db, [world.leader], channels=(NotifyChannel.SMS,)) == 0
    assert "登记的号码不是手机号" in caplog.text


def test_the_same_dedupe_key_enqueued_twice_is_delivered_once(db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        first = enqueue(db, [world.handler], channels=(NotifyChannel.SMS, NotifyChannel.INBOX), dedupe_key="urge:7")
        again = enqueue(db, [world.handler], channels=(NotifyChannel.SMS, NotifyChannel.INBOX), dedupe_key="urge:7")
    assert (first, again) == (2, 0)

    with HttpReceiver(secret="s" * 32) as gateway, clock.frozen(T0):
        senders = {NotifyChannel.SMS: SmsGatewaySender(url=gateway.url, secret="s" * 32, timeout=2),
                   NotifyChannel.INBOX: InboxSender()}
        deliver_due(db, senders, POLICY)
        deliver_due(db, senders, POLICY)

    assert len(gateway.received) == 1
    assert len(messages(db)) == 2


def test_messages_commit_with_the_callers_transaction_or_not_at_all(db, world):
    class Refused(Exception):
        pass

    def red_then_refuse() -> None:
        with db.transaction() as s:
            leader = s.get(User, world.leader.id)
            assert leader is not None
            notify_service.enqueue(s, template="order.red", context=ORDER_CONTEXT, recipients=[leader])
            raise Refused

    with pytest.raises(Refused):
        red_then_refuse()
    assert messages(db) == []


def test_an_edited_template_never_changes_a_message_already_queued(db, world):
    enqueue(db, [world.handler], channels=(NotifyChannel.INBOX,))
    with db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        notify_service.save_template(s, "order.urge", TemplateText(
            subject="请尽快办理 {{ order_number }}", body="{{ recipient_name }}，请尽快。", sms="请尽快"), actor=admin)
    enqueue(db, [world.handler], channels=(NotifyChannel.INBOX,))

    first, second = messages(db)
    assert first.subject == "【催办】工单 WC20261123000012 即将到期"
    assert second.subject == "请尽快办理 WC20261123000012"
    assert second.body == "hand 测试，请尽快。"


def test_a_caller_that_forgets_a_variable_is_told_which(db, world):
    with pytest.raises(TemplateContextIncomplete) as refused, db.transaction() as s:
        notify_service.enqueue(s, template="order.red", context={"order_number": "WC1"},
                               recipients=[load(db, world.leader)])
    assert refused.value.details["missing"] == ["deadline", "order_title", "unit_name"]


def test_an_unknown_template_is_refused(db, world):
    with pytest.raises(UnknownTemplate), db.transaction() as s:
        notify_service.enqueue(s, template="order.nothing", context={}, recipients=[load(db, world.leader)])


def test_an_inactive_user_is_not_notified(db, world, caplog):
    with db.transaction() as s:
        user = s.get(User, world.leader.id)
        assert user is not None
        user.active = False
    with caplog.at_level(logging.WARNING, logger="minhu.notify"):
        assert enqueue(db, [world.leader], channels=(NotifyChannel.INBOX,)) == 0
    assert "账号已停用" in caplog.text


def test_a_stored_template_that_no_longer_renders_falls_back_to_the_packaged_text(db, world, caplog):
    # As if saved under an older release whose template declared a variable this one no longer does.
    with db.transaction() as s:
        s.add(NotifyTemplate(key="order.urge", subject="{{ old_variable }}", body="旧正文", sms="旧短信"))
    with caplog.at_level(logging.ERROR, logger="minhu.notify"):
        assert enqueue(db, [world.handler], channels=(NotifyChannel.INBOX,)) == 1
    assert messages(db)[0].subject == "【催办】工单 WC20261123000012 即将到期"
    assert "no longer renders" in caplog.text
