"""The dispatcher's queue in Chromium, driven by the keyboard alone: move, pick a suggestion, dispatch, choose
another unit, accept a new order; an order someone else took is said so; keys never fire while typing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from minhu.core import clock
from minhu.core.db import Database
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action, Status
from minhu.routing import catalog
from minhu.routing import service as routing
from minhu.routing.models import RoutingDecision, RoutingRule
from tests.browser.conftest import Screenshots, Visitors
from tests.factories import World, act, make_order, order_data

pytestmark = pytest.mark.browser


@pytest.fixture
def matrix(db: Database, world: World) -> None:
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        s.add(RoutingRule(category_code="02", owner_unit_id=world.department.id, source="区职责清单"))
    routing.forget_routing()


def item(page: Page, number: str):
    return page.locator(f'#q-{number}')


def selected(page: Page):
    return page.locator(".queue-item.selected")


def test_j_2_enter_dispatches_the_second_order_on_its_second_suggestion(visitors: Visitors, db: Database,
                                                                       world: World, matrix: None,
                                                                       screenshot: Screenshots) -> None:
    start = clock.now() - timedelta(hours=3)
    numbers = []
    for hours, title in enumerate(("小区路灯不亮", "夜间施工噪音扰民", "垃圾清运不及时")):
        with clock.frozen(start + timedelta(hours=hours)):
            numbers.append(make_order(db, world, title=title, content=f"{title}，工地每晚施工到凌晨两点。").number)
    page = visitors.sign_in(world.dispatcher, "/dispatch")
    expect(selected(page)).to_have_attribute("data-number", numbers[0])
    screenshot(page, "queue")

    page.keyboard.press("j")
    expect(selected(page)).to_have_attribute("data-number", numbers[1])
    page.keyboard.press("2")
    second = item(page, numbers[1]).locator('input[name="category_code"]').nth(1)
    expect(second).to_be_checked()
    picked = second.get_attribute("value")
    page.keyboard.press("Enter")

    expect(page.locator("#queue-result")).to_contain_text(f"{numbers[1]} 已派单至 {world.department.name}")
    expect(item(page, numbers[1])).to_have_count(0)
    expect(selected(page)).to_have_attribute("data-number", numbers[2])  # on to the next
    screenshot(page, "queue-dispatched")
    with db.read() as s:
        order = s.scalars(select(WorkOrder).where(WorkOrder.number == numbers[1])).one()
        decision = s.scalars(select(RoutingDecision).where(RoutingDecision.order_id == order.id)).one()
    assert (order.status, order.owner_unit_id) == (Status.DISPATCHED, world.department.id)
    assert (decision.chosen_category, decision.chosen_owner_id) == (picked, world.department.id)


def test_another_unit_a_new_order_and_an_order_taken_meanwhile(visitors: Visitors, db: Database, world: World,
                                                               matrix: None) -> None:
    start = clock.now() - timedelta(hours=3)
    with clock.frozen(start):
        first = make_order(db, world, title="井盖缺失", content="路口井盖缺失，存在安全隐患。")
    with clock.frozen(start + timedelta(hours=1)):
        taken = make_order(db, world, title="广场舞音响声音过大", content="每晚广场舞音响声音很大。")
    with clock.frozen(start + timedelta(hours=2)), db.transaction() as s:
        new = order_service.create_order(s, order_data(channel="grid_patrol", title="楼道堆放杂物"),
                                         actor=world.gridworker)
    page = visitors.sign_in(world.dispatcher, "/dispatch")

    # u: pick another unit by typing its name; j typed there filters, it does not move the selection.
    page.keyboard.press("u")
    expect(page.locator("#unit-filter")).to_be_focused()
    page.keyboard.type("水果湖j")
    expect(selected(page)).to_have_attribute("data-number", first.number)
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    expect(page.locator("#queue-result")).to_contain_text(f"承办单位改为 {world.other_street.name}")
    page.keyboard.press("Enter")
    expect(page.locator("#queue-result")).to_contain_text(f"{first.number} 已派单至 {world.other_street.name}")
    expect(item(page, first.number)).to_have_count(0)

    # Someone else dispatches the selected order before the dispatcher presses Enter.
    expect(selected(page)).to_have_attribute("data-number", taken.number)
    act(db, taken.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    page.keyboard.press("Enter")
    expect(page.locator("#queue-result .flash.error")).to_contain_text("已移出队列")
    expect(item(page, taken.number)).to_have_count(0)

    # a accepts the new order; it stays, now with the dispatch form.
    expect(selected(page)).to_have_attribute("data-number", new.number)
    page.keyboard.press("Enter")
    expect(page.locator("#queue-result")).to_contain_text("须先受理")
    page.keyboard.press("a")
    expect(page.locator("#queue-result")).to_contain_text(f"{new.number} 已受理，请继续派单")
    expect(item(page, new.number).locator("form.dispatch-form")).to_have_count(1)

    page.keyboard.press("?")
    expect(page.locator("#key-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#key-help")).to_be_hidden()
    page.keyboard.press("o")
    expect(page).to_have_url(f"{visitors.base_url}/orders/{new.number}")
