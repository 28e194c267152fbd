"""The pages people see: the inbox with its unread count, the dead letters with resend, templates
with their preview and refusals, the duty roster."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from minhu.core import clock
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.notify.senders import InboxSender
from tests.intake.test_pages import csrf_of, login
from tests.notify.helpers import POLICY, T0, enqueue, give_addresses, messages, only_message

INBOX = (NotifyChannel.INBOX,)


def deliver_inbox(db) -> None:
    deliver_due(db, {NotifyChannel.INBOX: InboxSender()}, POLICY)


def test_the_inbox_shows_messages_and_the_unread_count_and_marking_read_lowers_it(client, db, world):
    enqueue(db, [world.handler], template="order.urge", channels=INBOX)
    enqueue(db, [world.handler], template="order.red", channels=INBOX)
    enqueue(db, [world.leader], template="order.red", channels=INBOX)
    deliver_inbox(db)
    login(client, world.handler)

    page = client.get("/inbox")
    assert page.status_code == 200
    assert "未读 2 条" in page.text
    assert "【催办】工单 WC20261123000012 即将到期" in page.text
    assert "【超期提醒】积玉桥街工单 WC20261123000012 已超期" in page.text
    assert re.search(r'id="inbox-badge"[^>]*>\s*<span class="count"[^>]*>2</span>', page.text), "top bar count"
    assert 'hx-get="/inbox/badge"' in client.get("/orders").text, "every page loads the count into its top bar"
    assert ">2</span>" in client.get("/inbox/badge").text

    urge = next(m for m in messages(db) if m.template_key == "order.urge")
    response = client.post(f"/inbox/{urge.id}/read", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 200
    assert "未读 1 条" in response.text
    assert ">1</span>" in client.get("/inbox/badge").text

    others = next(m for m in messages(db) if m.user_id == world.leader.id)
    refused = client.post(f"/inbox/{others.id}/read", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 404, "someone else's message is not there for me"

    client.post("/inbox/read-all", data={"csrf_token": csrf_of(page.text)})
    assert "未读 0 条" in client.get("/inbox").text
    assert client.get("/inbox/badge").text.strip() == ""


def test_an_undelivered_inbox_message_is_not_shown_yet(client, db, world):
    enqueue(db, [world.handler], channels=INBOX)
    login(client, world.handler)
    assert "未读 0 条" in client.get("/inbox").text


def test_the_dead_letters_list_the_error_and_resend_puts_the_message_back_once(client, db, world):
    give_addresses(db, world.handler)
    with clock.frozen(T0):
        enqueue(db, [world.handler], channels=(NotifyChannel.EMAIL,))
        deliver_due(db, {}, POLICY)  # no SMTP configured: dead at once
    login(client, world.admin)

    page = client.get("/admin/notify")
    assert page.status_code == 200
    assert "未配置邮件服务器（MINHU_SMTP_HOST）" in page.text
    assert "hand@example.org" in page.text
    message = only_message(db)
    response = client.post(f"/admin/notify/messages/{message.id}/resend", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 200
    assert f"消息 {message.id} 已重新排队" in response.text
    assert only_message(db).status is DeliveryStatus.PENDING

    again = client.post(f"/admin/notify/messages/{message.id}/resend", data={"csrf_token": csrf_of(page.text)},
                        headers={"accept": "text/html"})
    assert again.status_code == 409
    assert "不在失败列表中" in again.text


def test_only_administrators_manage_notifications(client, world):
    login(client, world.dispatcher)
    for path in ("/admin/notify", "/admin/notify/templates", "/admin/notify/templates/order.red",
                 "/admin/notify/roster"):
        assert client.get(path, headers={"accept": "text/html"}).status_code == 403, path
    assert "通知与对接" not in client.get("/orders").text


def template_form(page: str, **fields: str) -> dict[str, str]:
    form = {"csrf_token": csrf_of(page), "subject": "【超期提醒】{{ order_number }}",
            "body": "{{ recipient_name }}：{{ unit_name }}的工单已超期。", "sms": "工单{{ order_number }}已超期"}
    form.update(fields)
    return form


def test_a_template_with_an_unknown_variable_is_refused_with_the_variables_it_may_use(client, db, world):
    login(client, world.admin)
    page = client.get("/admin/notify/templates/order.red")
    assert page.status_code == 200
    assert "预览（示例数据）" in page.text
    assert "积玉桥街工单 WC20261123000012 已超期" in page.text, "the default rendered with the samples"

    refused = client.post("/admin/notify/templates/order.red",
                          data=template_form(page.text, body="{{ recipient_name }}：请{{ handler_phone }}回电"))
    assert refused.status_code == 422
    assert "正文使用了未知变量 handler_phone" in refused.text
    assert "可用变量：deadline、order_number、order_title、recipient_name、site_url、unit_name" in refused.text
    assert "请{{ handler_phone }}回电" in refused.text, "what was typed stays in the form"
    assert "【超期提醒】{{ unit_name }}工单" in client.get("/admin/notify/templates").text, "nothing was saved"

    broken = client.post("/admin/notify/templates/order.red", data=template_form(page.text, sms="{{ order_number"))
    assert broken.status_code == 422
    assert "短信第 1 行语法错误" in broken.text


def test_the_preview_renders_the_samples_and_a_saved_template_is_used_for_new_messages(client, db, world):
    login(client, world.admin)
    page = client.get("/admin/notify/templates/order.red")
    preview = client.post("/admin/notify/templates/order.red/preview", data=template_form(page.text),
                          headers={"hx-request": "true"})
    assert preview.status_code == 200
    assert "【超期提醒】WC20261123000012" in preview.text
    assert "张三：积玉桥街的工单已超期。" in preview.text
    bad = client.post("/admin/notify/templates/order.red/preview",
                      data=template_form(page.text, subject="{{ nobody }}"), headers={"hx-request": "true"})
    assert "标题使用了未知变量 nobody" in bad.text

    saved = client.post("/admin/notify/templates/order.red", data=template_form(page.text))
    assert saved.status_code == 200
    assert "已保存" in saved.text
    enqueue(db, [world.leader], template="order.red", channels=INBOX)
    assert only_message(db).body == "lead 测试：积玉桥街的工单已超期。"

    client.post("/admin/notify/templates/order.red/reset", data={"csrf_token": csrf_of(page.text)})
    assert "默认" in client.get("/admin/notify/templates").text


def test_a_template_with_a_huge_range_is_refused_on_the_form_in_bounded_time_and_not_saved(client, db, world):
    login(client, world.admin)
    page = client.get("/admin/notify/templates/order.red")
    huge = "{% for i in range(10**9) %}{{ order_number }}{% endfor %}"
    nested = "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()

    preview = client.post("/admin/notify/templates/order.red/preview", data=template_form(page.text, body=huge),
                          headers={"hx-request": "true"})
    saved = client.post("/admin/notify/templates/order.red", data=template_form(page.text, body=huge))
    looped = client.post("/admin/notify/templates/order.red", data=template_form(page.text, sms=nested))

    assert time.monotonic() - started < 10
    assert preview.status_code == 200  # the htmx preview shows what is wrong in place
    assert "正文无法生成：传给过滤器或函数的数不能超过 1000" in preview.text
    assert saved.status_code == 422
    assert "正文无法生成：传给过滤器或函数的数不能超过 1000" in saved.text
    assert "range(10**9)" in saved.text, "what was typed stays in the form"
    assert looped.status_code == 422
    assert "短信循环不能嵌套" in looped.text
    assert "【超期提醒】{{ unit_name }}工单" in client.get("/admin/notify/templates").text, "nothing was saved"


def test_a_template_saved_with_a_nul_is_refused(client, world):
    login(client, world.admin)
    page = client.get("/admin/notify/templates/order.red")
    refused = client.post("/admin/notify/templates/order.red", data=template_form(page.text, sms="超期\x00"),
                          headers={"Accept": "text/html"})
    assert refused.status_code == 422
    assert "文本不能包含 NUL 字符" in refused.text
    assert "【超期提醒】{{ unit_name }}工单" in client.get("/admin/notify/templates").text


def test_the_roster_page_says_when_nobody_is_on_duty_and_adds_a_shift(client, db, world):
    login(client, world.admin)
    page = client.get("/admin/notify/roster")
    assert "当前无人值班" in page.text
    assert "lead 测试" in page.text

    now = clock.city_now().replace(second=0, microsecond=0, tzinfo=None)
    response = client.post("/admin/notify/roster", data={
        "csrf_token": csrf_of(page.text), "user_id": str(world.dispatcher.id),
        "starts_at": (now - timedelta(hours=1)).isoformat(timespec="minutes"),
        "ends_at": (now + timedelta(hours=8)).isoformat(timespec="minutes"), "note": "夜班"})
    assert response.status_code == 200
    assert "已添加值班" in response.text
    assert "当前无人值班" not in response.text
    assert "disp 测试（区12345指挥中心）" in response.text

    backwards = client.post("/admin/notify/roster", data={
        "csrf_token": csrf_of(page.text), "user_id": str(world.dispatcher.id),
        "starts_at": now.isoformat(timespec="minutes"), "ends_at": now.isoformat(timespec="minutes")})
    assert "结束时间须晚于开始时间" in backwards.text
