"""The dispatcher's queue over HTTP, as a browser without JavaScript uses it: what waits and in which order,
why a returned order came back, one form to dispatch on the suggestion, and an order someone else took."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.models import User
from minhu.org.roles import Role
from minhu.routing import catalog
from minhu.routing import service as routing
from minhu.routing.models import RoutingDecision, RoutingRule
from tests.dispatch.forms import category_choices, item_form, item_html, queue_items
from tests.factories import PASSWORD, act, make_order, order_data
from tests.intake.test_pages import login


@pytest.fixture
def matrix(db, world):
    """The default catalog (routing suggests by its keywords) and a rule giving 环境保护 to the department."""
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        s.add(RoutingRule(category_code="02", owner_unit_id=world.department.id, source="区职责清单"))
    routing.forget_routing()
    return db


@pytest.fixture
def second_dispatcher(db, world) -> User:
    with db.transaction() as s:
        return org_service.create_user(s, username="disp2", password=PASSWORD, full_name="派单员 周",
                                       role=Role.DISPATCHER, unit=s.merge(world.centre))


def reported_on_patrol(db, world, **overrides) -> WorkOrder:
    """An order a grid worker registered: it waits for the centre to accept it (待受理)."""
    with db.transaction() as s:
        order = order_service.create_order(s, order_data(channel="grid_patrol", **overrides), actor=world.gridworker)
    assert order.status is Status.NEW
    return order


def post_form(client, fields: dict[str, str]):
    data = {k: v for k, v in fields.items() if k != "_url"}
    return client.post(fields["_url"], data=data, follow_redirects=False)


def test_the_queue_lists_what_waits_oldest_first_and_why_a_returned_order_came_back(client, db, world, matrix):
    start = clock.now() - timedelta(hours=5)
    with clock.frozen(start):
        oldest = make_order(db, world, title="小区路灯不亮")
    with clock.frozen(start + timedelta(hours=1)):
        returned = make_order(db, world, upto=Action.DISPATCH, title="餐馆油烟扰民")
    act(db, returned.number, Action.RETURN, world.handler, return_reason="not_ours", note="油烟归环保，不属街道")
    with clock.frozen(start + timedelta(hours=2)):
        reported = reported_on_patrol(db, world, title="井盖缺失")
    gone = make_order(db, world, upto=Action.DISPATCH, title="已派出的工单")

    login(client, world.dispatcher)
    page = client.get("/dispatch")
    assert page.status_code == 200
    assert queue_items(page.text) == [oldest.number, returned.number, reported.number]
    assert gone.number not in page.text
    back = item_html(page.text, returned.number)
    assert "已退单" in back
    assert "不属于本单位职责" in back
    assert world.street.name in back  # the unit that sent it back
    assert "油烟归环保，不属街道" in back
    # What routing said stands on each item: suggestions with confidence, grade and why, owner and rule.
    first = item_html(page.text, oldest.number)
    assert "%" in first
    assert "等级" in first
    assert "建议承办" in first
    # A new order is accepted first: it offers 受理, not 派单.
    assert item_form(page.text, reported.number, "accept") is not None
    assert item_form(page.text, reported.number, "dispatch") is None
    only_returned = client.get("/dispatch?status=returned")
    assert queue_items(only_returned.text) == [returned.number]


def test_one_form_dispatches_on_the_suggestion_and_records_the_choice(client, db, world, matrix):
    order = make_order(db, world, title="夜间施工噪音扰民", content="工地每晚施工到凌晨两点，噪音很大。")
    login(client, world.dispatcher)
    page = client.get("/dispatch").text
    form = item_form(page, order.number, "dispatch")
    assert form is not None
    choices = category_choices(page, order.number)
    assert len(choices) >= 2
    assert form["category_code"] == choices[0]  # as rendered: the first suggestion and the suggested owner
    assert form["unit_id"] == str(world.department.id)
    assert "区职责清单" in item_html(page, order.number)

    form["category_code"] = choices[1]  # key 2
    response = post_form(client, form)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/dispatch?focus={order.number}")
    after = client.get(response.headers["location"]).text
    assert f"{order.number} 已派单至 {world.department.name}" in after
    assert order.number not in queue_items(after)
    with db.read() as s:
        moved = s.get_one(WorkOrder, order.id)
        decision = s.scalars(select(RoutingDecision).where(RoutingDecision.order_id == order.id)).one()
    assert (moved.status, moved.owner_unit_id, moved.category_code) == (Status.DISPATCHED, world.department.id,
                                                                         choices[1])
    assert (decision.chosen_category, decision.chosen_owner_id) == (choices[1], world.department.id)
    assert decision.chosen_at is not None


def test_a_returned_order_keeps_the_category_a_dispatcher_gave_it(client, db, world, matrix):
    order = make_order(db, world, title="夜间施工噪音扰民", content="工地每晚施工到凌晨两点，噪音很大。")
    act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id, category_code="0302")
    act(db, order.number, Action.RETURN, world.handler, return_reason="not_ours", note="出租车归交通")
    login(client, world.dispatcher)
    page = client.get("/dispatch").text
    assert "0302" not in category_choices(page, order.number)  # not among routing's suggestions
    assert "现分类 交通运输 › 出租车与网约车" in item_html(page, order.number)
    form = item_form(page, order.number, "dispatch")
    assert form["category_code"] == "0302"  # Enter keeps it; 1, 2, 3 would change it
    post_form(client, {**form, "unit_id": str(world.department.id)})
    with db.read() as s:
        assert s.get_one(WorkOrder, order.id).category_code == "0302"


def test_the_unit_that_returned_an_order_is_not_preselected_again(client, db, world, matrix):
    order = make_order(db, world, title="夜间施工噪音扰民", content="工地每晚施工到凌晨两点，噪音很大。")
    with db.transaction() as s:
        officer = org_service.create_user(s, username="cg", password=PASSWORD, full_name="城管 李",
                                          role=Role.HANDLER, unit=s.merge(world.department))
    act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.department.id)
    act(db, order.number, Action.RETURN, officer, return_reason="not_ours", note="施工噪音归住建")
    login(client, world.dispatcher)
    page = client.get("/dispatch").text
    assert "刚退回此单，请另选" in item_html(page, order.number)
    form = item_form(page, order.number, "dispatch")
    assert form["unit_id"] == ""  # a choice is needed: Enter alone would send it straight back
    response = post_form(client, form)
    after = client.get(response.headers["location"]).text
    assert "派单须选择承办单位" in after
    assert order.number in queue_items(after)


def test_an_order_another_dispatcher_took_is_said_so_and_leaves_the_queue(client, db, world, matrix,
                                                                           second_dispatcher):
    order = make_order(db, world)
    login(client, world.dispatcher)
    form = item_form(client.get("/dispatch").text, order.number, "dispatch")
    act(db, order.number, Action.DISPATCH, second_dispatcher, unit_id=world.street.id)

    response = post_form(client, form)
    after = client.get(response.headers["location"]).text
    assert f"{order.number} 已被派单员 周派单至 {world.street.name}" in after
    assert "已移出队列" in after
    assert order.number not in queue_items(after)
    with db.read() as s:
        assert s.get_one(WorkOrder, order.id).owner_unit_id == world.street.id  # the first dispatch stands


def test_an_order_changed_meanwhile_is_refreshed_not_dispatched(client, db, world, matrix, second_dispatcher):
    order = make_order(db, world)
    login(client, world.dispatcher)
    stale = item_form(client.get("/dispatch").text, order.number, "dispatch")
    # Meanwhile it went to the street and came back: still waiting, but not what the dispatcher saw.
    act(db, order.number, Action.DISPATCH, second_dispatcher, unit_id=world.street.id)
    act(db, order.number, Action.RETURN, world.handler, return_reason="outside", note="不在本街辖区")

    response = post_form(client, stale)
    after = client.get(response.headers["location"]).text
    assert "已刷新为最新内容，请确认后再操作" in after
    assert "退单" in after
    assert order.number in queue_items(after)
    fresh = item_form(after, order.number, "dispatch")
    assert fresh["expected_version"] != stale["expected_version"]
    assert "不在本单位辖区" in item_html(after, order.number)
    with db.read() as s:
        assert s.get_one(WorkOrder, order.id).status is Status.RETURNED


def test_a_new_order_is_accepted_from_the_queue_and_then_waits_for_dispatch(client, db, world, matrix):
    order = reported_on_patrol(db, world)
    login(client, world.dispatcher)
    response = post_form(client, item_form(client.get("/dispatch").text, order.number, "accept"))
    after = client.get(response.headers["location"]).text
    assert f"{order.number} 已受理，请继续派单" in after
    assert item_form(after, order.number, "dispatch") is not None


def test_a_form_that_names_another_site_comes_back_to_the_order(client, db, world):
    order = make_order(db, world)
    login(client, world.dispatcher)
    html = client.get("/dispatch").text
    for outside in ("//evil.example/x", "https://evil.example/", "/\t/evil.example"):
        form = {**item_form(html, order.number, "dispatch"), "next": outside, "unit_id": "999999"}
        response = post_form(client, form)
        assert response.headers["location"] == f"/orders/{order.number}"


@pytest.mark.parametrize(("role", "queue", "figures"), [
    ("dispatcher", 200, 200), ("operator", 200, 200), ("reviewer", 200, 200), ("admin", 200, 200),
    ("leader", 403, 200), ("handler", 403, 403), ("gridworker", 403, 403),
])
def test_who_may_open_the_dispatch_pages(client, world, role, queue, figures):
    user = getattr(world, role)
    login(client, user)
    assert client.get("/dispatch").status_code == queue
    assert client.get("/dispatch/quality").status_code == figures
    assert client.get("/dispatch/units").status_code == figures
    nav = client.get("/orders").text.split("<nav>")[1].split("</nav>")[0]
    assert ("派单队列" in nav) == (queue == 200)
    assert ("分类质量" in nav and "单位统计" in nav) == (figures == 200)


def test_only_a_dispatcher_gets_the_dispatch_form(client, db, world):
    order = make_order(db, world)
    login(client, world.operator)  # operators accept; dispatching is the dispatcher's
    html = client.get("/dispatch").text
    assert order.number in queue_items(html)
    assert item_form(html, order.number, "dispatch") is None
