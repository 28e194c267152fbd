"""The district leader in Chromium: the week's page lists the red order and the whistle nobody answered; a meeting
with an instruction to a unit that has no account is refused whole, with the unit named and what was typed kept;
put right, it is saved, and the street's handler receives its instruction from the order's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from minhu.core import clock
from minhu.core.db import Database
from minhu.orders.states import Action
from tests.browser.conftest import Screenshots, Visitors
from tests.factories import World, act, make_order

pytestmark = pytest.mark.browser


def test_the_leader_records_the_weeks_meeting_and_the_unit_receives_it(visitors: Visitors, timed: Database,
                                                                        world: World,
                                                                        screenshot: Screenshots) -> None:
    db = timed
    with clock.frozen(clock.now() - timedelta(days=20)):
        late = make_order(db, world, upto=Action.SIGN, title="和平大道污水外溢")
    act(db, late.number, Action.WHISTLE, world.handler, unit_ids=[world.other_street.id], note="请水果湖街配合")

    page = visitors.sign_in(world.leader, "/scheduling")
    expect(page.locator("#red-orders")).to_contain_text(late.number)
    expect(page.locator("#pending-calls")).to_contain_text("水果湖街")
    expect(page.locator("#no-meeting")).to_be_visible()
    screenshot(page, "scheduling-week-empty")

    page.locator("#new-meeting").click()
    page.get_by_label("主持人").fill("王强区长")
    page.locator('textarea[name="i0_text"]').fill("周五前办结并回复市民")
    page.locator('input[name="i0_order"]').fill(late.number)
    page.locator('textarea[name="i1_text"]').fill("牵头整治和平大道占道经营")
    page.locator('select[name="i1_unit"]').select_option(value=str(world.department.id))
    page.locator("#save-meeting").click()
    error = page.locator("#meeting-error")
    expect(error).to_contain_text("未保存")
    expect(error).to_contain_text("第 2 条批示")
    expect(error).to_contain_text("区城管执法局没有在用的账号")
    expect(page.locator("#row-1 .flash")).to_be_visible()
    expect(page.locator('textarea[name="i0_text"]')).to_have_value("周五前办结并回复市民")
    screenshot(page, "scheduling-meeting-refused")

    page.locator('select[name="i1_unit"]').select_option(value=str(world.street.id))
    page.get_by_label("主持人").press("Enter")  # Enter in a field saves; it adds no rows
    expect(page.locator(".flash")).to_contain_text("已记录调度会，2 条批示已下达")
    instructions = page.locator("#week-instructions")
    expect(instructions).to_contain_text("主持：王强区长")
    expect(instructions.locator("tr[data-state=pending]")).to_have_count(2)
    screenshot(page, "scheduling-week")

    handler = visitors.sign_in(world.handler, f"/orders/{late.number}")
    expect(handler.locator("#timeline")).to_contain_text("领导批示")
    panel = handler.locator("#order-instructions")
    expect(panel).to_contain_text("周五前办结并回复市民")
    panel.locator("summary", has_text="接收").click()
    panel.get_by_label("落实情况（可选）").fill("已联系市民，周四办结")
    panel.get_by_role("button", name="确认接收").click()
    expect(handler.locator(".flash")).to_contain_text("已接收批示")
    expect(handler.locator("#order-instructions")).to_contain_text("已联系市民，周四办结")

    page.goto(page.url)
    expect(page.locator("#week-instructions tr[data-state=acknowledged]")).to_have_count(1)
