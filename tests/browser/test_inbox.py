"""A handler's inbox in Chromium after a dispatch: the notice names the order, and its link opens the order page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from minhu.core.db import Database
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import NotifyChannel
from minhu.notify.senders import InboxSender
from minhu.orders.states import Action
from tests.browser.conftest import Screenshots, Visitors
from tests.factories import World, make_order
from tests.notify.helpers import POLICY

pytestmark = pytest.mark.browser


def test_the_handler_opens_a_dispatched_order_from_the_inbox_link(visitors: Visitors, db: Database, world: World,
                                                                    screenshot: Screenshots) -> None:
    order = make_order(db, world, upto=Action.DISPATCH)
    deliver_due(db, {NotifyChannel.INBOX: InboxSender()}, POLICY)

    page = visitors.sign_in(world.handler, "/inbox")
    notice = page.locator("ul.inbox > li").first
    expect(notice).to_contain_text(f"【派单】工单 {order.number}「{order.title}」")
    expect(notice).to_contain_text(f"已派单至{world.street.name}")
    link = notice.locator(f'a[href="/orders/{order.number}"]')
    expect(link).to_be_visible()
    screenshot(page, "inbox-dispatch")

    link.click()
    expect(page).to_have_url(f"{visitors.base_url}/orders/{order.number}")
    expect(page.locator("h1")).to_contain_text(order.title)
    expect(page.locator('form.action-form[data-action="sign"]')).to_be_visible()
