"""The dispatcher who can choose, in Chromium: a bike-lane proposal that routing took for 传染病防控 is found in
the catalog picker by typing, the grade and the owner follow the chosen category, units are found by name in
tree order, and the order goes out under the right category — on a 1440×900 screen that never scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from minhu.core.db import Database
from minhu.orders.states import STATUS_LABELS, Action, Status
from minhu.routing import service as routing
from tests.browser.conftest import Screenshots, Visitors
from tests.dispatch.test_choosing import BIKE_LANES, load_catalog, misrouted
from tests.factories import World, act

pytestmark = pytest.mark.browser


@pytest.fixture
def catalogued(db: Database, world: World) -> Iterator[Database]:
    load_catalog(db, world)
    yield db
    routing.forget_routing()


def no_sideways_scroll(page: Page) -> None:
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"{page.url} is {width}px wide in a {viewport}px window"


def test_the_dispatcher_finds_another_category_sees_grade_and_owner_follow_and_dispatches(
        visitors: Visitors, catalogued: Database, world: World, screenshot: Screenshots) -> None:
    number = misrouted(catalogued, world)
    page = visitors.sign_in(world.dispatcher)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/orders/{number}")
    form = page.locator('form[data-action="dispatch"]')
    expect(page.locator("#order-grade")).to_have_text("C 复杂")
    # The wrong suggestion is a quick choice with its confidence; the 0% one is not offered.
    expect(form.locator(".quick-choice")).to_have_count(1)
    expect(form.locator(".quick-choice")).to_contain_text("传染病防控 62%")

    # Type, arrow down to the match, Enter: the form asks routing again for that category.
    search = page.locator("#dispatch-category-filter")
    search.fill("非机动车")
    expect(page.locator("#dispatch-category option:not([hidden])")).to_contain_text(
        ["交通运输", "交通运输 › 交通秩序与停车", "交通运输 › 交通秩序与停车 › 非机动车与共享单车"])
    search.press("ArrowDown")
    search.press("Enter")
    expect(page.locator("#dispatch-category")).to_have_value(BIKE_LANES)
    expect(page.locator("#dispatch-grade")).to_have_value("B")
    expect(page.locator("#dispatch-unit")).to_have_value(str(world.street.id))
    expect(page.locator("#dispatch-proposal")).to_contain_text("街道职责清单")
    expect(form.locator(".category-picker .picker-chosen")).to_contain_text("非机动车与共享单车")
    expect(page).to_have_url(f"{visitors.base_url}/orders/{number}")  # Enter chose; it did not submit

    # Units are found by name, each match under its street and community; typing changes nothing chosen.
    units = page.locator("#dispatch-unit-filter")
    units.fill("和平 网格")
    shown = page.locator("#dispatch-unit option:not([hidden])")
    expect(shown).to_have_text([f"{world.street.name}（街道）", f"{world.community.name}（社区）",
                                f"{world.grid.name}（网格）"])
    expect(page.locator("#dispatch-unit")).to_have_value(str(world.street.id))
    screenshot(page, "dispatch-picker")
    no_sideways_scroll(page)
    units.press("Escape")
    expect(page.locator("#dispatch-unit option:not([hidden])")).to_have_count(5)
    # Enter takes the unit whose own name was typed, not the one chosen before that still matches.
    page.locator("#dispatch-unit").select_option(str(world.grid.id))
    units.fill(world.community.name)
    units.press("Enter")
    expect(page.locator("#dispatch-unit")).to_have_value(str(world.community.id))
    units.fill(world.street.name)
    units.press("Enter")
    expect(page.locator("#dispatch-unit")).to_have_value(str(world.street.id))

    form.locator('textarea[name="note"]').fill("非机动车道建议，非防疫事项")
    form.get_by_role("button", name="派单").click()
    expect(page.locator("#order-status")).to_have_text(STATUS_LABELS[Status.DISPATCHED])
    expect(page.locator("#order-category")).to_have_text("交通运输 › 交通秩序与停车 › 非机动车与共享单车")
    expect(page.locator("#order-grade")).to_have_text("B 一般")
    expect(page.locator("#owner-unit")).to_have_text(world.street.name)
    screenshot(page, "dispatched-under-chosen-category")
    no_sideways_scroll(page)


def test_the_whistle_picker_filters_and_enter_adds_a_unit(visitors: Visitors, catalogued: Database,
                                                          world: World) -> None:
    number = misrouted(catalogued, world)
    act(catalogued, number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    act(catalogued, number, Action.SIGN, world.handler)
    page = visitors.sign_in(world.handler, f"/orders/{number}")
    page.set_viewport_size({"width": 1440, "height": 900})
    search = page.locator("#whistle-units-filter")
    search.fill("城管")
    search.press("Enter")
    expect(page.locator("#whistle-units")).to_have_values([str(world.department.id)])
    expect(page.locator(".unit-picker .picker-chosen").first).to_contain_text(world.department.name)
    no_sideways_scroll(page)
