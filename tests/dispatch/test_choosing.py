"""A dispatcher who can choose: any active category of the catalog, not only the suggested ones; another
category re-grades the order and re-proposes its owner by routing's own grading and matrix; the order page
shows the category path and grade to every role; a 0% suggestion is not offered; unit pickers list the
units in tree order."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from minhu.core.db import Database
from minhu.orders import queries
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import UnitKind
from minhu.routing import catalog
from minhu.routing import service as routing
from minhu.routing.models import Category, Grade, RoutingDecision, RoutingRule
from tests.factories import World, act, make_order
from tests.intake.test_pages import login

BIKE_LANES = "030404"  # 交通运输 › 交通秩序与停车 › 非机动车与共享单车, B by default
EPIDEMICS = "070302"  # 卫生计生 › 公共卫生 › 传染病防控, C by default


def load_catalog(db: Database, world: World) -> None:
    """The default catalog, no classifier (keyword suggestions only), a matrix line for 交通秩序与停车."""
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        s.add(RoutingRule(category_code="0304", owner_unit_id=world.street.id, source="街道职责清单"))
    routing.forget_routing()


@pytest.fixture
def catalogued(db: Database, world: World) -> Iterator[Database]:
    load_catalog(db, world)
    yield db
    routing.forget_routing()


def misrouted(db: Database, world: World) -> str:
    """A bike-lane proposal that routing took for 传染病防控 (62%), with a last suggestion of 0%."""
    order = make_order(db, world, type="suggestion", title="建议增设非机动车道",
                       content="中山路上没有非机动车道，电动车和汽车混行，建议划设非机动车道。")
    with db.transaction() as s:
        s.execute(update(RoutingDecision).where(RoutingDecision.order_id == order.id).values(suggestions=[
            {"code": EPIDEMICS, "name": "传染病防控", "path": "卫生计生 › 公共卫生 › 传染病防控", "confidence": 0.62,
             "source": "model"},
            {"code": "03", "name": "交通运输", "path": "交通运输", "confidence": 0.0, "source": "model"}]))
        s.get_one(type(order), order.id).category_code = EPIDEMICS
        s.get_one(type(order), order.id).grade = Grade.C
    return order.number


def expected(db: Database, number: str, code: str) -> routing.Assessment:
    """What routing itself says of the order under ``code``: the oracle the form's answer must equal."""
    with db.read() as s:
        order = queries.find_by_number(s, number)
        assert order is not None
        return routing.assess(s, s.get_one(Category, code), title=order.title, content=order.content,
                              street=order.street, community=order.community, place=order.place_unit)


def test_choosing_another_category_re_grades_and_re_proposes_the_owner(catalogued, world, client, token_for):
    number = misrouted(catalogued, world)
    oracle = expected(catalogued, number, BIKE_LANES)
    assert (oracle.grade.grade, oracle.owner.unit.id) == (Grade.B, world.street.id)
    login(client, world.dispatcher)
    page = client.get(f"/dispatch/orders/{number}/proposal", params={"category_code": BIKE_LANES},
                      headers={"accept": "application/json"})
    api = client.get(f"/api/v1/dispatch/orders/{number}/proposal", params={"category_code": BIKE_LANES},
                     headers=token_for(world.dispatcher))
    for answer in (page, api):
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["category_path"] == "交通运输 › 交通秩序与停车 › 非机动车与共享单车"
        assert body["grade"] == oracle.grade.grade.value == "B"
        assert body["grade_reasons"] == list(oracle.grade.reasons)
        assert body["owner"]["id"] == world.street.id
        assert "街道职责清单" in body["owner_reason"]


def test_a_proposal_refuses_an_unknown_or_retired_category_and_roles_outside_the_centre(
        catalogued, world, client, token_for):
    number = misrouted(catalogued, world)
    with catalogued.transaction() as s:
        s.get_one(Category, "030403").active = False
    routing.forget_routing()
    url = f"/api/v1/dispatch/orders/{number}/proposal"
    for code, message in (("990909", "分类 990909 不存在或已停用"), ("030403", "分类 030403 不存在或已停用"),
                          ("x", None)):
        answer = client.get(url, params={"category_code": code}, headers=token_for(world.dispatcher))
        assert answer.status_code == 422
        if message:
            assert answer.json()["error"]["message"] == message
    handler = client.get(url, params={"category_code": BIKE_LANES}, headers=token_for(world.handler))
    assert handler.status_code == 403
    assert handler.json()["error"]["message"] == "分派建议仅供指挥中心使用"


def test_the_dispatcher_dispatches_with_a_category_nobody_suggested_from_the_page(catalogued, world, client):
    number = misrouted(catalogued, world)
    oracle = expected(catalogued, number, BIKE_LANES)
    login(client, world.dispatcher)
    html = client.get(f"/orders/{number}").text
    form = html.split('data-action="dispatch"')[1].split("</form>")[0]
    # Every active category is offered, with its path; the suggestion of 0% is not.
    assert f'<option value="{BIKE_LANES}"' in form
    assert "交通运输 › 交通秩序与停车 › 非机动车与共享单车" in form
    assert 'class="quick-choice" data-code="070302"' in form
    assert 'data-code="03">' not in form
    assert "0%" not in form.replace("62%", "")
    version = re.search(r'name="expected_version" value="(\d+)"', form).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    # The page's form sends the grade it shows: the one the proposal set for the chosen category.
    sent = client.post(f"/orders/{number}/act", data={
        "csrf_token": csrf, "action": "dispatch", "expected_version": version, "category_code": BIKE_LANES,
        "grade": oracle.grade.grade.value, "unit_id": str(world.street.id)}, follow_redirects=False)
    assert sent.status_code == 303
    page = client.get(f"/orders/{number}").text
    assert "已派单" in page
    assert re.search(r'id="order-category">交通运输 › 交通秩序与停车 › 非机动车与共享单车<', page)
    assert re.search(r'id="order-grade">B 一般<', page)


def test_the_api_dispatches_with_any_active_category_and_grades_it_as_routing_would(
        catalogued, world, client, token_for):
    number = misrouted(catalogued, world)
    oracle = expected(catalogued, number, BIKE_LANES)
    headers = token_for(world.dispatcher)
    version = client.get(f"/api/v1/orders/{number}", headers=headers).json()["version"]
    unknown = client.post(f"/api/v1/orders/{number}/actions/dispatch", headers=headers, json={
        "expected_version": version, "unit_id": world.street.id, "category_code": "989898"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0] == {"field": "category_code", "message": "分类 989898 不存在"}
    done = client.post(f"/api/v1/orders/{number}/actions/dispatch", headers=headers, json={
        "expected_version": version, "unit_id": world.street.id, "category_code": BIKE_LANES})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["category_code"], body["grade"]) == (BIKE_LANES, oracle.grade.grade.value)
    assert body["category_path"] == "交通运输 › 交通秩序与停车 › 非机动车与共享单车"
    events = client.get(f"/api/v1/orders/{number}/events", headers=headers).json()
    assert (events[-1]["payload"]["category"], events[-1]["payload"]["grade"]) == (BIKE_LANES, "B")


def test_a_retired_category_is_refused_with_a_chinese_field_error(catalogued, world, client, token_for):
    number = misrouted(catalogued, world)
    with catalogued.transaction() as s:
        s.get_one(Category, BIKE_LANES).active = False
    routing.forget_routing()
    headers = token_for(world.dispatcher)
    version = client.get(f"/api/v1/orders/{number}", headers=headers).json()["version"]
    answer = client.post(f"/api/v1/orders/{number}/actions/dispatch", headers=headers, json={
        "expected_version": version, "unit_id": world.street.id, "category_code": BIKE_LANES})
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == [
        {"field": "category_code", "message": "分类“非机动车与共享单车”已停用，请选择其他分类"}]


def test_a_grade_chosen_with_the_category_is_kept(catalogued, world):
    number = misrouted(catalogued, world)
    order = act(catalogued, number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id,
                category_code=BIKE_LANES, grade="C")
    assert (order.category_code, order.grade) == (BIKE_LANES, Grade.C)


def test_a_zero_percent_suggestion_is_shown_nowhere(catalogued, world, client, token_for):
    number = misrouted(catalogued, world)
    routed = client.get(f"/api/v1/orders/{number}", headers=token_for(world.dispatcher)).json()["routing"]
    assert [s["code"] for s in routed["suggestions"]] == [EPIDEMICS]
    login(client, world.dispatcher)
    section = client.get(f"/orders/{number}").text.split('id="routing"')[1].split("</section>")[0]
    assert "62%" in section
    assert "0%" not in section.replace("62%", "")
    queue = client.get("/dispatch").text.split(f'id="q-{number}"')[1].split("</li>")[0]
    assert "62%" in queue
    assert "0%" not in queue.replace("62%", "")


@pytest.mark.parametrize("role", ["operator", "dispatcher", "handler", "gridworker", "leader", "reviewer", "admin"])
def test_every_role_reads_the_category_path_and_grade(catalogued, world, client, role):
    order = make_order(catalogued, world, title="建议增设非机动车道", content="中山路没有非机动车道。")
    order = act(catalogued, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.grid.id,
                category_code=BIKE_LANES, grade="A")
    login(client, getattr(world, role))
    page = client.get(f"/orders/{order.number}")
    assert page.status_code == 200
    assert re.search(r'id="order-category">交通运输 › 交通秩序与停车 › 非机动车与共享单车<', page.text)
    assert re.search(r'id="order-grade">A 简单<', page.text)


def _option_ids(html: str, select_id: str) -> list[int]:
    block = html.split(f'id="{select_id}"')[1].split("</select>")[0]
    return [int(v) for v in re.findall(r'<option value="(\d+)"', block)]


def test_unit_pickers_list_departments_first_then_each_street_with_its_offices_communities_and_grids(
        db, world, client):
    with db.transaction() as s:
        def unit(code: str, name: str, kind: UnitKind, parent: Unit) -> Unit:
            return org_service.create_unit(s, code=code, name=name, kind=kind, parent=s.merge(parent))

        # Created late, so their ids (and paths as text: /1/3/4/12/ before /1/3/4/5/) sort wrongly.
        office = unit("S1-O1", "积玉桥街城管科", UnitKind.OFFICE, world.street)
        enforcement = unit("S1-ZF", "积玉桥街综合执法中心", UnitKind.ENFORCEMENT, world.street)
        second = unit("S1C2", "积玉桥社区", UnitKind.COMMUNITY, world.street)
        grid0 = unit("S1C1G0", "和平社区0网格", UnitKind.GRID, world.community)
        other_community = unit("S2C1", "东亭社区", UnitKind.COMMUNITY, world.other_street)
        market = unit("D0", "区市场监管局", UnitKind.DEPARTMENT, world.district)
        ids = {u.name: u.id for u in (office, enforcement, second, grid0, other_community, market)}
    tree_order = [ids["区市场监管局"], world.department.id,
                  world.street.id, ids["积玉桥街城管科"], ids["积玉桥街综合执法中心"],
                  world.community.id, ids["和平社区0网格"], world.grid.id, ids["积玉桥社区"],
                  world.other_street.id, ids["东亭社区"]]
    order = make_order(db, world)
    login(client, world.dispatcher)
    html = client.get(f"/orders/{order.number}").text
    assert _option_ids(html, "dispatch-unit") == tree_order
    assert f'class="d2" data-up="{world.community.id}"' in html  # a grid sits under its community
    assert _option_ids(client.get("/dispatch").text, "unit-picker") == tree_order
    ledger = client.get("/dissatisfied").text.split('id="ledger-unit"')[1].split("</select>")[0]
    codes = re.findall(r'<option value="([^"]*)"', ledger)
    assert codes[:4] == ["", "D0", "D1", "S1"]
    # The whistle calls anyone but the owner; an escalation goes to no grid.
    act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    act(db, order.number, Action.SIGN, world.handler)
    html = client.get(f"/orders/{order.number}").text
    assert _option_ids(html, "whistle-units") == [i for i in tree_order if i != world.street.id]


def test_the_escalation_picker_offers_streets_and_departments_in_tree_order_not_grids(db, world, client):
    order = make_order(db, world, upto=Action.SIGN)
    with db.transaction() as s:
        s.get_one(type(order), order.id).grade = Grade.B
    act(db, order.number, Action.ESCALATE, world.handler, note="需多部门协调", grade="C")
    login(client, world.dispatcher)
    html = client.get(f"/orders/{order.number}").text
    assert _option_ids(html, "escalation-unit") == [world.department.id, world.street.id, world.community.id,
                                                    world.other_street.id]
    assert re.search(r'<select name="unit_id" id="escalation-unit" size="\d+" required>', html)
