"""The matrix editor in the real page: a conflicting rule is refused at the form with the rule it meets
named, nothing is saved, the corrected rule is; 试算 then names the new rule."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from minhu.core.db import Database
from minhu.org import service as org_service
from minhu.org.roles import UnitKind
from minhu.routing import catalog
from minhu.routing import service as routing
from minhu.routing.models import RoutingRule
from tests.browser.conftest import Screenshots, Visitors
from tests.factories import World

pytestmark = pytest.mark.browser


def test_a_conflict_is_shown_at_the_form_and_nothing_is_saved(visitors: Visitors, db: Database, world: World,
                                                              screenshot: Screenshots) -> None:
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        market = org_service.create_unit(s, code="D2", name="区市场监管局", kind=UnitKind.DEPARTMENT,
                                         parent=s.merge(world.district))
        rule = RoutingRule(category_code="060101", owner_unit_id=market.id, source="联席会议纪要（2025年第3期）")
        s.add(rule)
        s.flush()
        rule_id = rule.id
    routing.forget_routing()

    admin = visitors.sign_in(world.admin, "/admin/matrix")
    form = admin.locator("#rule-form")
    form.locator("#rule-category").select_option("060101")
    form.locator("#rule-owner").select_option(label=world.department.name)
    form.get_by_label("依据（如联席会议纪要）").fill("街道提议")
    form.get_by_role("button", name="保存规则").click()

    trouble = admin.locator("#rule-trouble")
    expect(trouble).to_contain_text(f"与规则 #{rule_id} 冲突")
    expect(trouble).to_contain_text("区市场监管局")
    expect(admin.locator("#owner-error")).to_have_text(f"与规则 #{rule_id} 冲突")
    expect(admin.locator("#conflicting-rule")).to_have_attribute("href", f"/admin/matrix/rules/{rule_id}")
    expect(admin.locator("#rule-form").get_by_label("依据（如联席会议纪要）")).to_have_value("街道提议")
    screenshot(admin, "matrix-conflict")
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(RoutingRule)) == 1

    # On the street's ground the same category may go elsewhere: a finer place, no conflict.
    admin.locator("#rule-form #rule-place").select_option(label=f"　{world.street.name}")
    admin.locator("#rule-form").get_by_role("button", name="保存规则").click()
    expect(admin.locator(".flash").first).to_contain_text("已新增规则")
    expect(admin.locator("#rules")).to_contain_text(world.street.name)

    admin.locator("#try-category").select_option("060101")
    admin.locator("#try-place").select_option(label=f"　　{world.community.name}")
    admin.locator("#try-form").get_by_role("button", name="试算").click()
    expect(admin.locator("#try-owner")).to_have_text(world.department.name)
    expect(admin.locator("#try-result")).to_contain_text("街道提议")
