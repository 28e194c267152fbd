"""The operator's console in Chromium at 1440×900, by keyboard: a caller's number brings up their history; the
request typed brings up its place, routing and the lamp a resident reported a minute before; Alt+1 links the
call to that matter, Ctrl+Enter registers it; a draft survives the browser closing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from minhu.core.db import Database
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.write import import_map
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status
from tests.browser.conftest import Screenshots, Visitors
from tests.duplicates.test_intake import register
from tests.factories import World, make_order
from tests.geo import mapdata

pytestmark = pytest.mark.browser
LAT, LON = 30.545, 114.305  # in the small city's 和平社区
METRE = 1 / 111_320
LAMP = {"title": "幸福里小区3栋路灯不亮", "content": "幸福里小区3栋门口的路灯坏了一个多星期，晚上漆黑一片。",
        "address": None, "latitude": LAT, "longitude": LON}


def test_an_operator_links_a_call_to_the_matter_a_resident_reported_by_keyboard(
        visitors: Visitors, db: Database, world: World, screenshot: Screenshots) -> None:
    import_map(db, parse_map(mapdata.small_city()))
    lamp = register(db, world, actor=None, citizen_phone="13900003333", **LAMP)
    make_order(db, world, citizen_phone="13711112222", title="楼道堆物堵塞消防通道")

    page = visitors.sign_in(world.operator, "/console")
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(page.get_by_label("来电号码")).to_be_focused()
    page.keyboard.type("13711112222")
    # The first answers wait for the server's first classification and map (a second or more on a busy machine).
    expect(page.locator("#caller-orders")).to_contain_text("楼道堆物堵塞消防通道", timeout=20_000)
    expect(page.locator("#caller-summary")).to_contain_text("在办 1 件")

    page.get_by_label("诉求类型").select_option(label="求助")
    page.get_by_label("标题").fill("3栋门口路灯坏了")
    page.get_by_label("诉求内容").focus()
    page.keyboard.type("幸福里小区三栋楼下的路灯一直不亮，晚上很黑。")
    page.evaluate(f"""() => {{ const f = document.getElementById('console-form');
        f.elements.latitude.value = '{LAT + 20 * METRE}'; f.elements.longitude.value = '{LON}';
        f.dispatchEvent(new Event('change', {{bubbles: true}})); }}""")
    candidate = page.locator(f"#console-duplicates li[data-number='{lamp.number}']")
    expect(candidate).to_be_visible(timeout=20_000)
    expect(candidate).to_contain_text("相距")
    expect(page.locator("#located")).to_contain_text("和平社区")
    expect(page.locator("#console-map path").first).to_be_attached()
    page.keyboard.press("Alt+1")
    expect(page.locator("#console-chosen")).to_contain_text(lamp.number)
    expect(candidate).to_have_class("chosen")
    screenshot(page, "console-1440")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"

    # The browser closes mid-call: the draft comes back.
    page.reload()
    expect(page.get_by_label("标题")).to_have_value("3栋门口路灯坏了")
    expect(page.locator("#draft-note")).to_contain_text("已恢复未提交的草稿")
    expect(page.locator("#console-chosen")).to_contain_text(lamp.number)

    page.keyboard.press("Control+Enter")
    expect(page.locator(".flash").first).to_contain_text(f"已并入工单 {lamp.number}", timeout=20_000)
    expect(page.locator("#console-today")).to_contain_text("今日受理 1 件")
    expect(page.get_by_label("标题")).to_have_value("")
    with db.read() as s:
        call = s.scalars(select(WorkOrder).where(WorkOrder.title == "3栋门口路灯坏了")).one()
    assert call.status is Status.JOINED
    assert call.duplicate_of_id == lamp.id
    page.reload()
    expect(page.get_by_label("标题")).to_have_value("")  # the registered call's draft is gone
