"""Routing and joint handling in the real pages: an order typed by the operator gets its suggestions, the
dispatcher whistles in two departments, the lead unit returns it, the dispatcher rules — all in the trail."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from minhu.config import Settings
from minhu.core.db import Database
from minhu.demo.city import catalog_examples
from minhu.orders.states import ACTION_LABELS, STATUS_LABELS, Action, Status
from minhu.org import service as org_service
from minhu.org.roles import UNIT_KIND_LABELS, Role, UnitKind
from minhu.routing import catalog, classifier
from minhu.routing import service as routing
from minhu.routing.models import RoutingRule
from tests.browser.conftest import Screenshots, Visitors
from tests.browser.test_order_life import action_form, take, timeline
from tests.factories import PASSWORD, World

pytestmark = pytest.mark.browser


def option(unit_name: str, kind: UnitKind) -> str:
    return f"{unit_name}（{UNIT_KIND_LABELS[kind]}）"


def test_suggest_whistle_return_and_rule(visitors: Visitors, db: Database, world: World, settings: Settings,
                                         app: object, screenshot: Screenshots) -> None:
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        s.add(RoutingRule(category_code="0501", owner_unit_id=world.department.id, source="职责清单"))
        market = org_service.create_unit(s, code="D2", name="区市场监管局", kind=UnitKind.DEPARTMENT,
                                         parent=s.merge(world.district))
        lead = org_service.create_user(s, username="deptlead", password=PASSWORD, full_name="部门承办 赵",
                                       role=Role.HANDLER, unit=s.merge(world.department))
    classifier.save(classifier.train(catalog_examples()), settings.models_dir)
    routing.configure(models_dir=settings.models_dir, auto_dispatch_confidence=1.01)
    routing.forget_routing()

    # The operator types the request; the dispatcher sees the three suggestions, the grade and the owner.
    operator = visitors.sign_in(world.operator, "/orders/new")
    operator.get_by_label("诉求类型").select_option(label="投诉")
    operator.get_by_label("标题").fill("公司拖欠工资三个月")
    operator.get_by_label("诉求内容").fill("老板拖欠工资三个月不发，要求支付劳动报酬。")
    operator.get_by_role("button", name="登记并受理").click()
    number = operator.locator(".mono.muted").first.inner_text()
    dispatcher = visitors.sign_in(world.dispatcher, f"/orders/{number}")
    suggestions = dispatcher.locator("#routing .suggestions li")
    expect(suggestions).to_have_count(3)
    expect(suggestions.first).to_contain_text("劳动和社会保障")
    expect(dispatcher.locator("#routing")).to_contain_text("职责清单")
    screenshot(dispatcher, "routing-suggestions")
    # The form starts from the suggestion: dispatching is one click.
    take(dispatcher, Action.DISPATCH)
    expect(dispatcher.locator("#order-status")).to_have_text(STATUS_LABELS[Status.DISPATCHED])
    expect(dispatcher.locator("#owner-unit")).to_have_text(world.department.name)

    # The lead department signs; the dispatcher whistles in two more units.
    leader = visitors.sign_in(lead, f"/orders/{number}")
    take(leader, Action.SIGN)
    dispatcher.reload()
    whistle = action_form(dispatcher, Action.WHISTLE)
    whistle.locator('select[name="unit_ids"]').select_option(
        label=[option(market.name, UnitKind.DEPARTMENT), option(world.street.name, UnitKind.STREET)])
    take(dispatcher, Action.WHISTLE, note="请市监、街道到场配合")
    expect(dispatcher.locator("#order-calls tbody tr")).to_have_count(2)
    expect(dispatcher.locator("#order-calls")).to_contain_text("待报到")

    # The street reports its part; the lead returns the order with a reason.
    street = visitors.sign_in(world.handler, f"/orders/{number}")
    take(street, Action.REPORT, note="已协助核实企业地址")
    expect(street.locator("#order-calls")).to_contain_text("已报到")
    leader.reload()
    take(leader, Action.RETURN, note="经核实为劳动仲裁事项，不属本局职责", choose={"return_reason": "不属于本单位职责"})

    # The dispatcher rules: to the street, and the ruling becomes a line of the matrix.
    dispatcher.reload()
    expect(dispatcher.locator("#order-status")).to_have_text(STATUS_LABELS[Status.RETURNED])
    form = action_form(dispatcher, Action.DISPATCH)
    form.locator('select[name="unit_id"]').select_option(label=option(world.street.name, UnitKind.STREET))
    form.locator('input[name="make_rule"]').check()
    take(dispatcher, Action.DISPATCH, note="裁定由街道牵头协调")
    expect(dispatcher.locator("#owner-unit")).to_have_text(world.street.name)
    steps = timeline(dispatcher)
    for action in (Action.DISPATCH, Action.SIGN, Action.WHISTLE, Action.REPORT, Action.RETURN):
        expect(steps.filter(has_text=ACTION_LABELS[action]).first).to_be_visible()
    expect(steps.last).to_contain_text("裁定由街道牵头协调")
    screenshot(dispatcher, "ruled")
    with db.read() as s:
        rules = s.query(RoutingRule).filter(RoutingRule.source.contains(number)).all()
    assert [r.owner_unit_id for r in rules] == [world.street.id]
