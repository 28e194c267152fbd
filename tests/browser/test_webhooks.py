"""The webhook subscriptions page in a real browser at 1440×900: added and paused with the keyboard alone,
the secret shown once (selected when focused, to copy), deleted only after a yes, and a long address with
many events never widens the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, expect

from minhu.core.db import Database
from minhu.notify import queries as notify_queries
from tests.browser.conftest import Screenshots, Visitors
from tests.factories import World

pytestmark = pytest.mark.browser
LONG_URL = ("https://grid-platform.wuchang.example.gov.cn/api/v2/integrations/minhu/webhooks/receiver"
            "?tenant=420106&token=abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz")


def test_an_administrator_adds_and_pauses_a_subscription_by_keyboard_without_sideways_scroll(
        visitors: Visitors, db: Database, world: World, screenshot: Screenshots) -> None:
    page = visitors.sign_in(world.admin, "/admin/notify")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("link", name="Webhook 订阅").click()
    expect(page.get_by_role("heading", name="Webhook 订阅")).to_be_visible()

    page.get_by_label("接收地址").focus()
    page.keyboard.type(LONG_URL)
    page.keyboard.press("Tab")
    page.keyboard.type("区网格化平台")
    for event in ("派单", "签收", "退单", "办结答复", "催办", "督办"):
        box = page.get_by_role("checkbox", name=event, exact=True)
        box.focus()
        page.keyboard.press("Space")
    page.get_by_role("checkbox", name="全部时限灯").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="添加订阅").focus()
    page.keyboard.press("Enter")

    expect(page.locator("#created")).to_contain_text("签名密钥只在此显示一次")
    with db.read() as s:
        [subscription] = notify_queries.webhooks(s)
    expect(page.locator("#new-secret")).to_have_value(subscription.secret)
    page.locator("#new-secret").focus()
    assert page.evaluate("() => { const e = document.getElementById('new-secret');"
                         " return e.selectionStart === 0 && e.selectionEnd === e.value.length; }"), "ready to copy"
    row = page.locator(f"#webhook-{subscription.id}")
    expect(row).to_contain_text("区网格化平台")
    expect(row).to_contain_text("全部时限灯")
    screenshot(page, "webhooks-1440")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"

    row.get_by_role("button", name="暂停").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#webhook-{subscription.id}")).to_contain_text("已暂停")
    expect(page.locator("#new-secret")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Deleting asks first: no keeps the subscription, yes deletes it.
    questions: list[str] = []

    def answer(dialog: Dialog, yes: bool) -> None:
        questions.append(dialog.message)
        if yes:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, yes=False))
    page.locator(f"#webhook-{subscription.id}").get_by_role("button", name="删除").click()
    assert questions == ["删除该订阅？尚未发出的事件将不再发送。"]
    expect(page.locator(f"#webhook-{subscription.id}")).to_be_visible()
    page.once("dialog", lambda dialog: answer(dialog, yes=True))
    page.locator(f"#webhook-{subscription.id}").get_by_role("button", name="删除").click()
    expect(page.locator(f"#webhook-{subscription.id}")).to_have_count(0)
    assert len(questions) == 2
