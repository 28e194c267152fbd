"""网上直评 on a phone: the citizen opens the link the SMS carried, answers with two taps, and is thanked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from minhu.core.db import Database
from minhu.notify.models import OutboxMessage
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action, Status
from tests.browser.conftest import PHONE, Screenshots, Visitors
from tests.factories import World, make_order

pytestmark = pytest.mark.browser

def test_the_citizen_rates_from_the_texted_link_on_a_phone(visitors: Visitors, db: Database, world: World,
                                                           screenshot: Screenshots):
    order = make_order(db, world, upto=Action.APPROVE, title="小区路灯不亮")
    with db.read() as s:
        sms = s.scalars(select(OutboxMessage).where(OutboxMessage.order_id == order.id,
                                                    OutboxMessage.template_key == "order.rate")).one()
    found = re.search(r"https?://\S+?(/r/[A-Za-z0-9_-]+)", sms.body)
    assert found is not None, sms.body
    assert sms.recipient == "13812345678"

    page = visitors.open(found.group(1), phone=True)
    expect(page.get_by_role("heading", name="请评价办理结果")).to_be_visible()
    expect(page.locator("#rate-order")).to_contain_text("小区路灯不亮")
    expect(page.locator("#rate-order")).to_contain_text("已处理完毕")  # the unit's reply
    # Phone-sized: nothing wider than the screen, and each choice a thumb can hit.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    choice = page.get_by_label("部分解决")
    box = page.locator("fieldset.big-choices label").first.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    screenshot(page, "rate-form-390")
    choice.tap()
    page.get_by_label("基本满意").tap()
    page.get_by_label("意见和建议（选填）").fill("修好了，但还有一盏不亮")
    page.get_by_role("button", name="提交评价").tap()
    expect(page.get_by_role("heading", name="感谢您的评价")).to_be_visible()
    expect(page.locator("#rated-resolution")).to_have_text("部分解决")
    expect(page.locator("#rated-satisfaction")).to_have_text("基本满意")
    screenshot(page, "rate-thanks-390")
    page.reload()  # the link again: the answer, read-only
    expect(page.get_by_role("heading", name="感谢您的评价")).to_be_visible()
    expect(page.get_by_role("button", name="提交评价")).to_have_count(0)
    with db.read() as s:
        rated = s.scalars(select(WorkOrder).where(WorkOrder.number == order.number)).one()
    assert rated.status is Status.CALLED_BACK
    assert rated.callback_reached is True
