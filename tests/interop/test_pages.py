"""The administrators' page of webhook subscriptions: add (the secret shown once), pause and resume, send a
test event, delete; refusals in Chinese; other roles kept out."""

from __future__ import annotations

import re

from minhu.notify import queries as notify_queries
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.notify.senders import WebhookSender
from tests.intake.test_pages import csrf_of, login
from tests.notify.helpers import POLICY
from tests.notify.servers import HttpReceiver

PAGE = "/admin/notify/webhooks"


def subscriptions(db):
    with db.read() as s:
        return list(notify_queries.webhooks(s))


def add(client, page: str, **form):
    data = {"csrf_token": csrf_of(page), **form}
    return client.post(PAGE, data=data)


def test_an_administrator_adds_a_subscription_and_sees_its_secret_once(client, db, world):
    login(client, world.admin)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "还没有 Webhook 订阅" in page.text
    assert 'href="/admin/notify/webhooks"' in client.get("/admin/notify").text, "linked from 通知管理"
    assert 'value="order.dispatch"' in page.text
    assert 'value="order.light.red"' in page.text

    added = add(client, page.text, url="http://127.0.0.1:9/hooks", name="区网格化平台",
                events=["order.dispatch", "order.light.*"])
    assert added.status_code == 200
    [subscription] = subscriptions(db)
    assert subscription.events == ["order.dispatch", "order.light.*"]
    assert len(subscription.secret) >= 32
    assert "签名密钥只在此显示一次" in added.text
    assert subscription.secret in added.text
    listed = client.get(PAGE).text
    assert "区网格化平台" in listed
    assert "http://127.0.0.1:9/hooks" in listed
    assert "派单" in listed
    assert "全部时限灯" in listed
    assert subscription.secret not in listed, "the secret is never shown again"


def test_a_wrong_address_or_no_event_is_refused_in_chinese_keeping_what_was_typed(client, db, world):
    login(client, world.admin)
    page = client.get(PAGE).text
    wrong = add(client, page, url="ftp://example.org/x", name="旧系统", events=["order.sign"])
    assert wrong.status_code == 422
    assert "地址须以 http:// 或 https:// 开头" in wrong.text
    assert 'value="ftp://example.org/x"' in wrong.text
    assert re.search(r'value="order.sign"\s+checked', wrong.text), "the events chosen stay chosen"
    none = add(client, page, url="https://example.org/x")
    assert none.status_code == 422
    assert "至少订阅一个事件" in none.text
    assert subscriptions(db) == []


def test_pause_resume_test_and_delete_from_the_page(client, db, world):
    login(client, world.admin)
    with HttpReceiver(secret="unused") as receiver:
        page = client.get(PAGE).text
        add(client, page, url=receiver.url, name="区网格化平台", events=["*"])
        [subscription] = subscriptions(db)
        receiver.secret = subscription.secret

        paused = client.post(f"{PAGE}/{subscription.id}/pause", data={"csrf_token": csrf_of(page)})
        assert paused.status_code == 200
        assert "已暂停" in paused.text
        assert subscriptions(db)[0].active is False
        refused = client.post(f"{PAGE}/{subscription.id}/test", data={"csrf_token": csrf_of(page)})
        assert "该订阅已暂停" in refused.text

        resumed = client.post(f"{PAGE}/{subscription.id}/resume", data={"csrf_token": csrf_of(page)})
        assert "已恢复" in resumed.text
        tested = client.post(f"{PAGE}/{subscription.id}/test", data={"csrf_token": csrf_of(page)})
        assert "已向「区网格化平台」排队一条测试事件" in tested.text
        deliver_due(db, {NotifyChannel.WEBHOOK: WebhookSender(timeout=2)}, POLICY)

        [post] = receiver.received
        assert post.signed
        assert post.json["event"] == "webhook.test"
        listed = client.get(PAGE).text
        assert "测试事件 · 已送达" in listed, "the last delivery is on the page"

        deleted = client.post(f"{PAGE}/{subscription.id}/delete", data={"csrf_token": csrf_of(page)})
        assert "已删除订阅「区网格化平台」" in deleted.text
        assert subscriptions(db) == []
        assert "还没有 Webhook 订阅" in deleted.text


def test_deleting_a_subscription_stops_what_was_still_queued_for_it(client, db, world):
    login(client, world.admin)
    page = client.get(PAGE).text
    add(client, page, url="http://127.0.0.1:9/hooks", events=["*"])
    [subscription] = subscriptions(db)
    client.post(f"{PAGE}/{subscription.id}/test", data={"csrf_token": csrf_of(page)})
    client.post(f"{PAGE}/{subscription.id}/delete", data={"csrf_token": csrf_of(page)})
    report = deliver_due(db, {NotifyChannel.WEBHOOK: WebhookSender(timeout=2)}, POLICY)
    assert report.attempted == 0
    with db.read() as s:
        [failed] = notify_queries.failing(s)
    assert failed.message.status is DeliveryStatus.DEAD
    assert failed.message.last_error == "Webhook 订阅已删除"


def test_only_administrators_manage_subscriptions_and_forms_need_the_csrf_token(client, db, world):
    login(client, world.dispatcher)
    assert client.get(PAGE).status_code == 403
    login(client, world.admin)
    assert client.post(PAGE, data={"url": "https://example.org/x", "events": ["*"]}).status_code == 403
    assert subscriptions(db) == []
