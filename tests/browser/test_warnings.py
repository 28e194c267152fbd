"""The street's handler in Chromium: the warning's message in the inbox leads to the warning, whose orders are
listed, and the warning is acknowledged and turned into a task for a community with a due date."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from minhu.core.db import Database
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import NotifyChannel
from minhu.notify.senders import InboxSender
from minhu.routing import catalog
from minhu.warning import scan
from tests.browser.conftest import Screenshots, Visitors
from tests.factories import World
from tests.notify.helpers import POLICY
from tests.warning.builders import DRAINS, WEEK, plant, plant_background

pytestmark = pytest.mark.browser


def test_the_handler_acknowledges_a_warning_and_turns_it_into_a_task(visitors: Visitors, db: Database, world: World,
                                                                     screenshot: Screenshots) -> None:
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    plant_background(db, world, range(1, 11))
    plant(db, world, week=WEEK, category=DRAINS, n=7)
    # Scanned on the suite's clock, not a later one: the message is due now and the inbox shows it.
    with db.transaction() as s:
        [warning_id] = scan.scan(s).raised
    deliver_due(db, {NotifyChannel.INBOX: InboxSender()}, POLICY)

    page = visitors.sign_in(world.handler, "/inbox")
    notice = page.locator("ul.inbox > li").first
    expect(notice).to_contain_text("【预警】和平社区「市政设施」诉求异常增多")
    notice.locator(f'a[href$="/warnings#warning-{warning_id}"]').click()
    card = page.locator(f"#warning-{warning_id}")
    expect(card).to_contain_text("7 件")
    expect(card.locator("ul.orders li")).to_have_count(7)
    screenshot(page, "warning-new")

    card.get_by_role("button", name="确认").click()
    expect(page.locator(".flash")).to_contain_text("预警已确认")
    card = page.locator(f"#warning-{warning_id}")
    expect(card).to_contain_text("已确认")
    card.locator("summary", has_text="转为任务").click()
    card.get_by_label("责任单位").select_option(label="　和平社区")
    card.get_by_label("完成期限").fill("2026-12-04")
    card.get_by_label("任务要求").fill("排查和平大道雨水口，周五前清淤")
    card.get_by_role("button", name="转为任务").click()
    expect(page.locator(".flash")).to_contain_text("预警已转为任务")
    expect(page.locator(f"#warning-{warning_id} .task")).to_contain_text("任务：和平社区，2026-12-04 前完成")
    screenshot(page, "warning-task")
