"""The one map in a real browser: the jurisdiction drawn without tiles, live orders on it, a click on a
grid showing who answers for it and what is open there."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from minhu.core.db import Database
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.people import import_posts, parse_posts
from minhu.geo.transfer.write import import_map
from tests.browser.conftest import Screenshots, Visitors, map_point
from tests.factories import World, make_order
from tests.geo import mapdata


def click_at(page: Page, lon: float, lat: float) -> None:
    """Click the map where (lon, lat) is drawn."""
    page.mouse.click(*map_point(page, "map", lat, lon))


def test_the_map_shows_the_city_and_a_grid_tells_who_answers_for_it(visitors: Visitors, db: Database, world: World,
                                                                    screenshot: Screenshots) -> None:
    import_map(db, parse_map(mapdata.small_city()))
    import_posts(db, parse_posts(mapdata.POSTS_CSV))
    on_grid_one = make_order(db, world, title="井盖缺失", latitude=30.545, longitude=114.305)
    make_order(db, world, title='<img src=x onerror="document.title=1">路灯不亮', latitude=30.57, longitude=114.33)

    page = visitors.sign_in(world.dispatcher, "/map")
    expect(page.locator("#map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#map-status")).to_contain_text("网格 3 个 · 在办工单 2 件")
    # No tile server: every image the page loaded is our own.
    hosts = page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
    assert set(hosts) == {page.url.split("/")[2]}
    screenshot(page, "map")

    # A citizen's title is shown as text, never run as HTML.
    box = page.locator("#map").bounding_box()
    assert box is not None
    x, y = page.evaluate("() => { const p = document.getElementById('map').minhuMap"
                         ".latLngToContainerPoint([30.57, 114.33]); return [p.x, p.y]; }")
    page.mouse.move(box["x"] + x, box["y"] + y)
    expect(page.locator(".leaflet-tooltip")).to_contain_text('<img src=x onerror="document.title=1">路灯不亮')
    assert page.locator(".leaflet-tooltip img").count() == 0
    assert page.title() != "1"

    # A click inside grid 1, away from the order's point, opens the grid's card.
    click_at(page, 114.302, 30.558)
    card = page.locator(".leaflet-popup .unit-card")
    expect(card).to_contain_text("和平社区1网格")
    expect(card).to_contain_text("李娜")
    expect(card).to_contain_text("网格员")
    expect(card.get_by_role("link", name="井盖缺失")).to_be_visible()
    screenshot(page, "map-grid-card")

    # The order's own point leads to its page.
    page.locator(".leaflet-popup-close-button").click()
    click_at(page, 114.305, 30.545)
    expect(page).to_have_url(f"{visitors.base_url}/orders/{on_grid_one.number}")
    expect(page.locator("#order-place")).to_contain_text("和平社区 · 和平社区1网格")


def test_the_heat_layer_colours_each_grid_by_its_recent_orders(visitors: Visitors, db: Database, world: World,
                                                               screenshot: Screenshots) -> None:
    import_map(db, parse_map(mapdata.small_city()))
    for title in ("井盖缺失", "路灯不亮", "垃圾堆放"):
        make_order(db, world, title=title, latitude=30.545, longitude=114.305)
    page = visitors.sign_in(world.dispatcher, "/map")
    expect(page.locator("#map")).to_have_attribute("data-ready", "true")
    page.get_by_label("诉求热力（近 30 天）").check()
    page.mouse.move(*map_point(page, "map", 30.558, 114.302))
    expect(page.locator(".leaflet-tooltip")).to_contain_text("和平社区1网格：3 件")
    screenshot(page, "map-heat")
