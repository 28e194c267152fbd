"""One lamp, two doors (一事多办), in Chromium: a resident reports it on a phone with a pin on the map; a minute
later an operator takes a call about the same lamp from someone else, and intake joins the call to the resident's
matter; one handling later both reporters have the reply and a rating link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from minhu.core.db import Database
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.write import import_map
from minhu.notify.models import OutboxMessage
from minhu.orders.models import WorkOrder
from minhu.orders.states import STATUS_LABELS, Action, Status
from tests.browser.conftest import PHONE, Screenshots, Visitors, map_point
from tests.factories import World, act
from tests.geo import mapdata

pytestmark = pytest.mark.browser

LAT, LON = 30.545, 114.305  # in the small city's 和平社区
METRE = 1 / 111_320


def rating_sms(db: Database, number: str) -> list[OutboxMessage]:
    with db.read() as s:
        order = s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.order_id == order.id,
                                                          OutboxMessage.template_key == "order.rate")))


def test_one_lamp_reported_through_two_doors_is_handled_once_and_answered_twice(
        visitors: Visitors, db: Database, world: World, auto_join: None, screenshot: Screenshots) -> None:
    import_map(db, parse_map(mapdata.small_city()))

    # A newcomer on a phone: describes the lamp and pins it on the map.
    resident = visitors.open("/public/report", phone=True)
    resident.get_by_label("诉求类型").select_option(label="求助")
    resident.get_by_label("标题").fill("幸福里小区3栋路灯不亮")
    resident.get_by_label("具体情况").fill("幸福里小区3栋门口的路灯坏了一个多星期，晚上漆黑一片，老人出门不安全。")
    expect(resident.locator("#pin-map")).to_be_visible()
    expect(resident.locator("#pin-map path").first).to_be_attached()  # the outlines have arrived
    resident.touchscreen.tap(*map_point(resident, "pin-map", LAT, LON))
    expect(resident.locator("#pin-status")).to_contain_text("已在地图上标注位置")
    resident.get_by_label("手机号码").fill("13900003333")
    assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(resident, "report-with-pin-390")
    resident.get_by_role("button", name="提交").tap()
    expect(resident.get_by_role("heading", name="已收到您的诉求")).to_be_visible()
    first = resident.locator("#order-number").inner_text()
    with db.read() as s:
        pinned = s.scalars(select(WorkOrder).where(WorkOrder.number == first)).one()
    assert pinned.latitude == pytest.approx(LAT, abs=30 * METRE)
    assert pinned.longitude == pytest.approx(LON, abs=30 * METRE)
    assert pinned.community is not None
    assert pinned.community.name == "和平社区"

    # A minute later an operator takes a call about the same lamp from someone else.
    operator = visitors.sign_in(world.operator, "/orders/new")
    operator.get_by_label("诉求类型").select_option(label="求助")
    operator.get_by_label("联系电话").fill("13900004444")
    operator.get_by_label("标题").fill("路灯坏了没人修")
    operator.get_by_label("诉求内容").fill("市民来电：住在幸福里小区，三栋楼下那盏路灯一直不亮，晚上走路差点摔倒。")
    operator.get_by_label("纬度（WGS-84，可选）").fill(f"{LAT + 25 * METRE:.6f}")
    operator.get_by_label("经度（WGS-84，可选）").fill(f"{LON:.6f}")
    operator.get_by_role("button", name="登记并受理").click()
    expect(operator.locator(".flash")).to_contain_text(f"与工单 {first} 为同一事项，已自动并入")
    expect(operator.locator("#order-status")).to_have_text(STATUS_LABELS[Status.JOINED])
    second = re.search(r"WC\d{14}", operator.locator(".flash").inner_text())
    assert second is not None
    call = second.group(0)
    screenshot(operator, "call-joined-1440")

    # The dispatcher sees one matter with its two reporters.
    dispatcher = visitors.sign_in(world.dispatcher, f"/orders/{first}")
    expect(dispatcher.locator("#joined-orders")).to_contain_text(call)
    expect(dispatcher.locator("#duplicates")).to_contain_text("2 人次反映")
    screenshot(dispatcher, "matter-with-reporters-1440")

    # One handling; both reporters get the reply and a rating link.
    act(db, first, Action.ACCEPT, world.operator)
    act(db, first, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    act(db, first, Action.SIGN, world.handler)
    act(db, first, Action.REPLY, world.handler, note="已更换3栋门口路灯灯头，恢复照明。")
    act(db, first, Action.APPROVE, world.dispatcher)
    assert [m.recipient for m in rating_sms(db, first)] == ["13900003333"]
    assert [m.recipient for m in rating_sms(db, call)] == ["13900004444"]
    dispatcher.goto(f"/orders/{call}")
    expect(dispatcher.locator("#order-status")).to_have_text(STATUS_LABELS[Status.REVIEWED])
    expect(dispatcher.locator("main")).to_contain_text("已更换3栋门口路灯灯头，恢复照明。")
