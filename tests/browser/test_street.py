"""The street's queue (街道分中心) in Chromium, from the keyboard: Enter dispatches the selected order inside to the
unit routing proposes, u picks another of the street's units, a approves an inner unit's reply for the centre."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from minhu.core import clock
from minhu.core.db import Database
from minhu.orders import queries
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.roles import Role
from tests.browser.conftest import Screenshots, Visitors
from tests.factories import PASSWORD, World, act, make_order

pytestmark = pytest.mark.browser


def selected(page: Page):
    return page.locator(".queue-item.selected")


def _status(db: Database, number: str) -> tuple[Status, int]:
    with db.read() as s:
        order = queries.get_for_update(s, number, viewer=None)
        return order.status, order.owner_unit_id


def test_the_street_dispatcher_works_its_queue_from_the_keyboard(visitors: Visitors, db: Database, world: World,
                                                                 screenshot: Screenshots) -> None:
    with db.transaction() as s:
        shequ = org_service.create_user(s, username="shequ", password=PASSWORD, full_name="社区 承办",
                                        role=Role.HANDLER, unit=s.merge(world.community))
    start = clock.now() - timedelta(hours=3)
    with clock.frozen(start):
        first = make_order(db, world, upto=Action.DISPATCH, title="广场健身器材松动")
    with clock.frozen(start + timedelta(hours=1)):
        second = make_order(db, world, upto=Action.DISPATCH, title="单元门禁失灵")
    replied = make_order(db, world, upto=Action.DISPATCH, title="公园步道照明故障")
    act(db, replied.number, Action.INNER_DISPATCH, world.street_dispatcher, unit_id=world.community.id)
    act(db, replied.number, Action.SIGN, shequ)
    act(db, replied.number, Action.REPLY, shequ, note="已更换灯具，步道照明恢复")

    page = visitors.sign_in(world.street_dispatcher, "/street")
    expect(page.locator("h1")).to_contain_text("街道分中心")
    expect(selected(page)).to_have_attribute("data-number", first.number)
    screenshot(page, "street-queue")
    page.keyboard.press("?")  # the street's own keys
    expect(page.locator("#key-help")).to_contain_text("内派给建议单位")
    page.keyboard.press("Escape")
    expect(page.locator("#key-help")).to_be_hidden()

    # u: another unit of the street, typed by name; Enter there chooses it, Enter again dispatches inside.
    page.keyboard.press("u")
    expect(page.locator("#unit-filter")).to_be_focused()
    page.keyboard.type("和平社区")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#queue-result")).to_contain_text(f"{first.number} 已内派至 {world.community.name}")
    expect(page.locator(f"#q-{first.number}")).to_have_count(0)
    assert _status(db, first.number) == (Status.DISPATCHED, world.community.id)

    # The next is selected; the reply waiting for review is approved with a.
    expect(selected(page)).to_have_attribute("data-number", second.number)
    page.keyboard.press("j")
    expect(selected(page)).to_have_attribute("data-number", replied.number)
    expect(selected(page)).to_contain_text("已更换灯具")
    page.keyboard.press("a")
    expect(page.locator("#queue-result")).to_contain_text(f"{replied.number} 街道审核通过")
    assert _status(db, replied.number)[0] is Status.REPLIED
    expect(page.locator("#inside")).to_contain_text(first.number)
    screenshot(page, "street-queue-after")
