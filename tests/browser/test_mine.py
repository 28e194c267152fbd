"""我的诉求 on a phone (390×844): from the report page to a code by SMS, the resident's own orders listed, one
opened with its steps."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from minhu.core.db import Database
from tests.browser.conftest import PHONE, Screenshots, Visitors
from tests.factories import World, make_order
from tests.intake.test_mine import MINE, OTHER, last_code

pytestmark = pytest.mark.browser


def test_a_resident_proves_the_phone_by_sms_and_follows_every_order(
        visitors: Visitors, db: Database, world: World, screenshot: Screenshots) -> None:
    lamp = make_order(db, world, citizen_phone=MINE, title="幸福里小区3栋路灯不亮")
    make_order(db, world, citizen_phone=MINE, title="垃圾站三天没有清运")
    make_order(db, world, citizen_phone=OTHER, title="别人的诉求")

    resident = visitors.open("/public/report", phone=True)
    resident.get_by_role("link", name="我的诉求").tap()
    resident.get_by_label("手机号码").fill(MINE)
    resident.get_by_role("button", name="获取验证码").tap()
    expect(resident.locator("#code-sent")).to_contain_text("136****6666")
    resident.get_by_label("验证码").fill(last_code(db))
    screenshot(resident, "mine-code-390")
    resident.get_by_role("button", name="查看我的诉求").tap()

    expect(resident.locator("#mine-list li")).to_have_count(2)
    expect(resident.locator("#mine-list")).not_to_contain_text("别人的诉求")
    assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scroll"
    screenshot(resident, "mine-list-390")
    resident.get_by_role("link", name="幸福里小区3栋路灯不亮").tap()
    expect(resident.locator("#order-number")).to_have_text(lamp.number)
    expect(resident.locator("#track-result .timeline li").first).to_be_visible()
    screenshot(resident, "mine-order-390")
