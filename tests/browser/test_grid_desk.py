"""The grid worker's desk in Chromium on a phone (390×844): a patrol started, its place marked from the phone's
position and ended; an A-level matter solved on the spot registered with its photos before and after."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from minhu.core.db import Database
from minhu.orders.models import Attachment, WorkOrder
from minhu.orders.states import Status
from minhu.org.models import User
from minhu.people.models import GridRound, GridRoundPoint
from tests.browser.conftest import PHONE, Screenshots, Visitors
from tests.grid.test_grid_desk import A_ITEM, g1_worker  # noqa: F401 - fixtures
from tests.intake.test_photos import phone_photo

pytestmark = pytest.mark.browser


def test_a_grid_worker_patrols_and_solves_a_matter_on_the_spot_from_the_phone(
        visitors: Visitors, db: Database, g1_worker: User,  # noqa: F811 - the fixture imported above
        tmp_path: Path, screenshot: Screenshots) -> None:
    desk = visitors.sign_in(g1_worker, "/grid", phone=True)
    desk.context.grant_permissions(["geolocation"])
    desk.context.set_geolocation({"latitude": 30.5526, "longitude": 114.3053})
    expect(desk.get_by_role("heading", name="网格工作台")).to_be_visible()
    desk.get_by_role("button", name="开始巡查").tap()
    expect(desk.locator(".flash")).to_contain_text("巡查已开始")
    desk.get_by_label("此处情况（可选）").fill("3栋门口")
    desk.get_by_role("button", name="记录当前位置").tap()
    expect(desk.locator(".flash")).to_contain_text("已记录位置（30.55260，114.30530）")
    assert desk.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scroll"
    screenshot(desk, "grid-desk-patrol-390")
    desk.get_by_label("巡查情况").fill("沿和平大道巡查")
    desk.get_by_role("button", name="结束巡查").tap()
    expect(desk.locator(".flash")).to_contain_text("记录位置 1 个")

    before, after = tmp_path / "before.jpg", tmp_path / "after.jpg"
    before.write_bytes(phone_photo(size=(800, 600), gps=False))
    after.write_bytes(phone_photo(size=(800, 600), gps=False))
    desk.get_by_role("link", name="就地解决登记").tap()
    expect(desk.locator("#solved-part")).to_be_visible()
    desk.get_by_label("标题").fill("3栋单元门闭门器损坏")
    desk.get_by_label("现场情况").fill("3栋1单元门的闭门器坏了，门关不上。")
    desk.locator("#photo-input").set_input_files(str(before))
    expect(desk.locator("#photos .photo-list img")).to_have_count(1)
    desk.locator("select[name=category_code]").select_option(A_ITEM)
    desk.get_by_label("处置情况").fill("已联系物业当场更换闭门器，门已能正常关闭。")
    desk.locator("#after-photo-input").set_input_files(str(after))
    expect(desk.locator("#after-photos .photo-list img")).to_have_count(1)
    assert desk.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scroll"
    screenshot(desk, "grid-solved-390")
    desk.get_by_role("button", name="登记并办结").tap()

    expect(desk.locator(".flash")).to_contain_text("已登记就地解决")
    with db.read() as s:
        order = s.scalars(select(WorkOrder)).one()
        names = s.scalars(select(Attachment.filename).where(Attachment.order_id == order.id)
                          .order_by(Attachment.id)).all()
        patrol = s.scalars(select(GridRound)).one()
        points = s.scalars(select(GridRoundPoint)).all()
    assert (order.status, order.owner_unit_id) == (Status.REPLIED, g1_worker.unit_id)
    assert names == ["处置前照片1.jpg", "处置后照片1.jpg"]
    assert (patrol.note, [p.note for p in points]) == ("沿和平大道巡查", ["3栋门口"])
    expect(desk.locator("#mine")).to_contain_text(order.number)
