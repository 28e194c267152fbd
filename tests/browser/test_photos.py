"""A resident's photos in Chromium on a phone (390×844): two chosen at once, shown as kept, one taken out; the
photo's own position pinned on the map with one tap; the report registered with its photo."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from minhu.core.db import Database
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.write import import_map
from minhu.orders.models import Attachment, WorkOrder
from tests.browser.conftest import PHONE, Screenshots, Visitors
from tests.factories import World
from tests.geo import mapdata
from tests.intake.test_photos import LAT, LON, phone_photo

pytestmark = pytest.mark.browser


def test_a_resident_adds_photos_pins_the_place_one_was_taken_and_sends_them(
        visitors: Visitors, db: Database, world: World, tmp_path: Path, screenshot: Screenshots) -> None:
    import_map(db, parse_map(mapdata.small_city()))
    with_place, plain = tmp_path / "IMG_20261207_0830.jpg", tmp_path / "IMG_20261207_0831.png"
    with_place.write_bytes(phone_photo())
    plain.write_bytes(phone_photo("PNG", size=(1200, 900), gps=False, orientation=None))

    resident = visitors.open("/public/report", phone=True)
    resident.get_by_label("诉求类型").select_option(label="求助")
    resident.get_by_label("标题").fill("幸福里小区3栋路灯不亮")
    resident.get_by_label("具体情况").fill("3栋门口的路灯坏了一个多星期，晚上漆黑一片。")
    expect(resident.locator("#photo-add")).to_be_visible()
    resident.locator("#photo-input").set_input_files([str(with_place), str(plain)])

    expect(resident.locator("#photo-list img")).to_have_count(2)
    expect(resident.locator("#photo-status")).to_contain_text("已添加 2 张照片")
    for image in resident.locator("#photo-list img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0, "the kept photo is shown"
    expect(resident.get_by_role("button", name="使用照片拍摄位置")).to_be_visible()
    resident.get_by_role("button", name="使用照片拍摄位置").tap()
    expect(resident.locator("#pin-status")).to_contain_text("已使用照片拍摄位置")

    resident.get_by_role("button", name="移除这张照片").nth(1).tap()
    expect(resident.locator("#photo-list img")).to_have_count(1)
    resident.get_by_label("手机号码").fill("13900003333")
    assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scroll"
    screenshot(resident, "report-with-photos-390")
    resident.get_by_role("button", name="提交").tap()

    expect(resident.get_by_role("heading", name="已收到您的诉求")).to_be_visible()
    expect(resident.locator("#photos-kept")).to_contain_text("已附 1 张现场照片")
    number = resident.locator("#order-number").inner_text()
    with db.read() as s:
        order = s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()
        kept = s.scalars(select(Attachment).where(Attachment.order_id == order.id)).all()
    assert [a.filename for a in kept] == ["现场照片1.jpg"]
    assert order.latitude == pytest.approx(LAT, abs=1e-5)
    assert order.longitude == pytest.approx(LON, abs=1e-5)
