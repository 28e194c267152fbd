"""``minhu notify`` as an administrator runs it: a test message, a webhook subscription, a delivery pass."""

from __future__ import annotations

from minhu.notify.enums import DeliveryStatus, NotifyChannel
from tests.conftest import Run
from tests.notify.helpers import give_addresses, messages


def test_a_test_message_is_queued_and_delivered_by_a_delivery_pass(run: Run, db, world):
    give_addresses(db, world.handler)
    queued = run("notify", "test", "hand", "--channel", "inbox,email")
    assert queued.exit_code == 0, queued.output
    assert "已排队 2 条测试消息" in queued.stdout

    delivered = run("notify", "deliver")
    assert delivered.exit_code == 0, delivered.output
    assert "已送达 1" in delivered.stdout, "the inbox message"
    assert "发送失败 1" in delivered.stdout, "no SMTP server is configured"
    assert "MINHU_SMTP_HOST" in delivered.output
    by_channel = {m.channel: m for m in messages(db)}
    assert by_channel[NotifyChannel.INBOX].status is DeliveryStatus.SENT
    assert by_channel[NotifyChannel.INBOX].subject == "【民呼】测试消息"


def test_unknown_people_and_channels_are_refused(run: Run, world):
    assert run("notify", "test", "nobody").exit_code != 0
    refused = run("notify", "test", "hand", "--channel", "fax")
    assert refused.exit_code != 0
    assert "未知渠道 fax" in refused.output


def test_a_webhook_is_subscribed_and_listed_and_a_short_secret_refused(run: Run, world):
    added = run("notify", "webhook-add", "https://grid.example.gov.cn/hooks/minhu", "--secret", "s" * 32,
                "--event", "order.red", "--event", "order.supervise", "--name", "网格化平台")
    assert added.exit_code == 0, added.output
    listed = run("notify", "webhooks")
    assert "https://grid.example.gov.cn/hooks/minhu" in listed.stdout
    assert "order.red,order.supervise" in listed.stdout
    short = run("notify", "webhook-add", "https://x.example/h", "--secret", "short")
    assert short.exit_code == 1
    assert "密钥至少 16 个字符" in short.output


def test_a_webhook_without_a_secret_gets_one_generated_and_is_paused_resumed_tested_and_deleted(run: Run, db, world):
    added = run("notify", "webhook-add", "http://127.0.0.1:9/hooks", "--event", "order.light.*")
    assert added.exit_code == 0, added.output
    assert "签名密钥（只显示这一次" in added.stdout
    assert "已添加 Webhook 1" in added.stdout
    assert run("notify", "webhook-pause", "1").exit_code == 0
    assert "1\t暂停" in run("notify", "webhooks").stdout
    paused_test = run("notify", "webhook-test", "1")
    assert paused_test.exit_code == 1
    assert "该订阅已暂停" in paused_test.output
    assert run("notify", "webhook-resume", "1").exit_code == 0
    assert "1\t启用" in run("notify", "webhooks").stdout
    assert run("notify", "webhook-test", "1").exit_code == 0
    assert [m.subject for m in messages(db)] == ["webhook.test"]
    assert run("notify", "webhook-delete", "1").exit_code == 0
    assert run("notify", "webhooks").stdout.strip() == ""
    missing = run("notify", "webhook-delete", "1")
    assert missing.exit_code == 1
    assert "Webhook 订阅 1 不存在" in missing.output
    wrong = run("notify", "webhook-add", "http://127.0.0.1:9/hooks", "--event", "order dispatch")
    assert wrong.exit_code == 1
    assert "事件名不正确" in wrong.output
