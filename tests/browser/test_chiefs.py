"""East Lake's river chief and the administrator in Chromium: the administrator builds the chief's duty list from the
catalog, a pollution report on the lake then names the chief, and the chief's own page lists it with its light."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from minhu.core.db import Database
from minhu.geo.models import Post, PostKind
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.people import import_posts, parse_posts
from minhu.geo.transfer.write import import_map
from minhu.orders import service as order_service
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import Role
from minhu.routing import catalog
from minhu.routing import service as routing
from tests.browser.conftest import Screenshots, Visitors
from tests.factories import PASSWORD, World, order_data
from tests.geo import mapdata

pytestmark = pytest.mark.browser


def test_the_administrator_lists_water_pollution_and_the_chief_sees_the_report_on_the_lake(
        visitors: Visitors, db: Database, world: World, screenshot: Screenshots) -> None:
    import_map(db, parse_map(mapdata.small_city()))
    import_posts(db, parse_posts(mapdata.POSTS_CSV))
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        street = s.scalars(select(Unit).where(Unit.code == mapdata.S2)).one()
        account = org_service.create_user(s, username="hezhang", password=PASSWORD, full_name="河湖长 周敏",
                                          role=Role.HANDLER, unit=street, phone="13900001111")
        post = s.scalars(select(Post).where(Post.kind == PostKind.RIVER_CHIEF.value)).one()
        post.user_id = account.id
        post_id = post.id
    routing.forget_routing()

    admin = visitors.sign_in(world.admin, f"/chiefs/{post_id}")
    expect(admin.locator("#chief-title")).to_contain_text("沙湖河湖长 周敏")
    expect(admin.locator("#no-duties")).to_be_visible()
    admin.locator("#duty-category").select_option(value="0203")
    admin.locator("#save-duties").click()
    expect(admin.locator(".flash")).to_contain_text("已保存责任清单（1 项）")
    expect(admin.locator('#duty-items li[data-code="0203"]')).to_contain_text("水污染")
    screenshot(admin, "chief-duties")

    data = order_data(title="沙湖排污口偷排污水", content="沙湖边排污口往湖里排黑水。", address=None,
                      longitude=114.33, latitude=30.57)
    with db.transaction() as s:
        placed = order_service.place_order(s, data, reporter=world.operator, category="0203")
        number = order_service.create_order(s, data, actor=world.operator, placed=placed).number

    chief = visitors.sign_in(account, "/chiefs")
    row = chief.locator(f'#chiefs tr[data-post="{post_id}"]')
    expect(row).to_contain_text("沙湖")
    row.get_by_role("link", name="周敏").click()
    orders = chief.locator("#chief-orders")
    expect(orders).to_contain_text(number)
    expect(orders.locator('tr[data-light="green"]')).to_have_count(1)
    expect(chief.locator("#chief-counts")).to_contain_text("在办 1 件")
    expect(chief.locator("#duty-form")).to_have_count(0)  # only administrators edit the list
    screenshot(chief, "chief-page")
    orders.get_by_role("link", name=number).click()
    expect(chief.locator("#order-chiefs")).to_contain_text("责任河湖长：周敏（沙湖，责任清单事项：水污染）")
