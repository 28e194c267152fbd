"""Routing: the catalog file, grading with reasons, the matrix's most specific rule, the classifier,
and an order routed at intake — suggested, graded, owned, dispatched by itself when sure."""

import re
from dataclasses import replace
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from minhu.app import create_app
from minhu.core.errors import InvalidInput
from minhu.demo.city import catalog_examples
from minhu.dispatch.report import production_report
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.roles import UnitKind
from minhu.routing import catalog, classifier, grading, matrix
from minhu.routing import service as routing
from minhu.routing.models import Category, Grade, RoutingDecision, RoutingRule
from tests.factories import act, make_order
from tests.intake.test_pages import login

HEADER = "code,parent,name,grade,owner,limit_class,keywords\n"


@pytest.fixture(scope="module")
def small_model() -> classifier.TextClassifier:
    """A classifier trained on examples written out of the catalog's keywords: small, quick, deterministic."""
    return classifier.train(catalog_examples())


@pytest.fixture
def routed(db, world, settings, app, small_model):
    """The default catalog, a district-wide rule, and the small model in use (where the app looks for it);
    after the app, whose start configures routing from the settings."""
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        s.add(RoutingRule(category_code="0501", owner_unit_id=world.department.id, source="职责清单"))
    classifier.save(small_model, settings.models_dir)
    routing.configure(models_dir=settings.models_dir, auto_dispatch_confidence=1.01)
    routing.forget_routing()
    yield db
    routing.configure(models_dir=None)


# --- the catalog file --------------------------------------------------------------------------------


def test_the_default_catalog_loads_with_the_seven_labelled_first_levels(db):
    with db.transaction() as s:
        result = catalog.load_catalog(s, catalog.read_catalog())
    with db.read() as s:
        first = {c.name for c in s.scalars(select(Category).where(Category.level == 1))}
        leaves = s.scalar(select(func.count()).select_from(Category).where(Category.level == 3))
    assert result.added > 150
    assert {"城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"} <= first
    assert leaves > 50


def test_a_bad_catalog_names_every_line_and_loads_nothing(db):
    text = HEADER + ("01,,城乡建设,C,department,normal,房屋|物业\n"
                     "0101,02,物业管理,B,property,normal,物业\n"
                     "0102,01,水电气暖,E,department,normal,停水\n"
                     "0103,01,,C,department,normal,\n")
    with pytest.raises(InvalidInput) as caught:
        catalog.parse_catalog(text.encode())
    fields = [d["field"] for d in caught.value.details]
    assert fields == ["第 3 行", "第 4 行", "第 5 行"]
    with pytest.raises(InvalidInput, match="UTF-8"):
        catalog.parse_catalog((HEADER + "01,,城乡建设,C,department,normal,\n").encode("gb18030"))
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Category)) == 0


def test_reloading_retires_a_dropped_code_and_exports_what_it_loaded(db):
    first = HEADER + "01,,城乡建设,C,department,normal,房屋\n0101,01,物业管理,B,property,normal,物业|物业费\n"
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.parse_catalog(first.encode()))
    with db.transaction() as s:
        result = catalog.load_catalog(s, catalog.parse_catalog((HEADER + "01,,城乡建设,C,department,normal,房屋\n")
                                                               .encode()))
    assert (result.updated, result.retired) == (1, 1)
    with db.read() as s:
        assert s.get(Category, "0101").active is False  # kept for the orders filed under it
        assert catalog.export_catalog(s, include_retired=True) == first


# --- grading -----------------------------------------------------------------------------------------


def category(grade: Grade, name: str = "楼道堆物") -> Category:
    return Category(code="090201", name=name, level=3, grade=grade, keywords=[])


def test_danger_raises_to_c_and_says_why():
    decision = grading.grade_order("楼道里有很浓的燃气味，请尽快处理", category(Grade.A))
    assert decision.grade is Grade.C
    assert decision.reasons[0] == "分类“楼道堆物”默认 A 级"
    assert "燃气味" in decision.reasons[1]


def test_many_households_a_sensitive_group_and_a_repeat_each_raise_once():
    many = grading.grade_order("整栋楼停水三天", category(Grade.B))
    assert many.grade is Grade.C
    cared = grading.grade_order("独居老人家门口堆满杂物", category(Grade.A))
    assert cared.grade is Grade.B
    again = grading.grade_order("楼道堆物", category(Grade.A), repeat_unsolved=True, escalated=True)
    assert again.grade is Grade.C
    assert len(again.reasons) == 3
    assert grading.grade_order("随便说说", None).grade is grading.DEFAULT_GRADE


# --- the matrix --------------------------------------------------------------------------------------


def test_the_most_specific_rule_wins_and_says_which(db, world):
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        enforcement = org_service.create_unit(s, code="S1-ZF", name="积玉桥街综合执法中心",
                                              kind=UnitKind.ENFORCEMENT, parent=s.merge(world.street))
        s.add_all([RoutingRule(category_code="05", owner_unit_id=world.department.id, source="职责清单"),
                   RoutingRule(category_code="050104", owner_unit_id=world.other_street.id, source="联席会议纪要",
                               decided_on=date(2025, 4, 18)),
                   RoutingRule(category_code="05", place_unit_id=world.street.id, owner_unit_id=enforcement.id)])
    with db.read() as s:
        rules = list(s.scalars(select(RoutingRule)))
        street, grid = s.merge(world.street), s.merge(world.grid)
        student, pension = s.get(Category, "050104"), s.get(Category, "050201")
        # On the street's ground the street's own rule beats the district-wide ones, even a finer category.
        here = matrix.choose_owner(s, rules, student, Grade.C, street=street, community=None, place=grid)
        assert here.unit.code == "S1-ZF"
        elsewhere = matrix.choose_owner(s, rules, student, Grade.C, street=None, community=None, place=None)
        assert elsewhere.unit.id == world.other_street.id
        assert "联席会议纪要" in elsewhere.reason
        general = matrix.choose_owner(s, rules, pension, Grade.C, street=None, community=None, place=None)
        assert general.unit.id == world.department.id


def test_without_a_rule_the_grade_decides_the_level(db, world):
    with db.read() as s:
        street, community = s.merge(world.street), s.merge(world.community)
        a = matrix.choose_owner(s, [], None, Grade.A, street=street, community=community, place=None)
        b = matrix.choose_owner(s, [], None, Grade.B, street=street, community=community, place=None)
        c = matrix.choose_owner(s, [], None, Grade.C, street=street, community=community, place=None)
    assert (a.unit.id, b.unit.id, c.unit) == (world.community.id, world.street.id, None)
    assert "派单员" in c.reason


# --- the classifier ----------------------------------------------------------------------------------


def test_training_is_deterministic_and_the_top_three_are_ordered_probabilities(small_model):
    again = classifier.train(catalog_examples())
    text = ("工地夜间施工噪音", "每天晚上施工到凌晨，噪音很大")
    assert small_model.top(*text) == again.top(*text)
    top = small_model.top(*text)
    assert len(top) == 3
    assert top[0][0] == "环境保护"
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert sum(p for _, p in top) <= 1.0 + 1e-9
    assert small_model.top("", "   ") == []
    assert small_model.top("。", "！" * 20_000) == []
    assert small_model.top("a", "") == []


def test_training_files_with_gaps_are_refused_with_their_lines():
    with pytest.raises(InvalidInput, match="第 3、4 行"):
        classifier.read_examples("title,detail,label\n甲,乙,城乡建设\n丙,丁,\n戊,己,\n".encode())
    with pytest.raises(InvalidInput, match="GB18030"):
        classifier.read_examples("title,detail,label\n噪音,施工噪音,环境保护\n".encode("gb18030"))
    with pytest.raises(InvalidInput, match="缺少列"):
        classifier.read_examples(b"title,text\n")
    with pytest.raises(InvalidInput, match="两个类别"):
        classifier.train([classifier.Example("a", "b", "城乡建设")] * 10)


# --- an order at intake ------------------------------------------------------------------------------


def test_an_order_gets_suggestions_a_grade_with_reasons_and_an_owner_with_its_rule(routed, world, client,
                                                                                 token_for):
    body = {"type": "complaint", "channel": "hotline", "title": "公司拖欠工资三个月",
            "content": "我在一家公司上班，老板拖欠工资三个月不发，要求支付劳动报酬。"}
    created = client.post("/api/v1/orders", json=body, headers=token_for(world.operator)).json()
    assert created["category_code"].startswith("05")
    assert created["grade"] == "C"
    with routed.read() as s:
        decision = s.scalars(select(RoutingDecision)).one()
    assert len(decision.suggestions) == 3
    assert decision.suggestions[0]["source"] == "model"
    assert decision.suggested_owner_id == world.department.id
    assert "职责清单" in decision.owner_reason
    assert decision.grade_reasons
    assert created["status"] == "accepted"  # the threshold is out of reach here: it waits for the dispatcher


def test_a_sure_order_dispatches_itself_and_the_trail_says_why(routed, world, client, token_for):
    routing.configure(models_dir=routing.config().models_dir, auto_dispatch_confidence=0.3)
    body = {"type": "complaint", "channel": "hotline", "title": "公司拖欠工资",
            "content": "老板拖欠工资不发，要求支付劳动报酬，讨薪无果。"}
    created = client.post("/api/v1/orders", json=body, headers=token_for(world.operator)).json()
    assert created["status"] == "dispatched"
    assert created["owner_unit"]["id"] == world.department.id
    events = client.get(f"/api/v1/orders/{created['number']}/events", headers=token_for(world.dispatcher)).json()
    dispatch = events[-1]
    assert dispatch["action"] == "dispatch"
    assert dispatch["actor_name"] == "系统（自动派单）"
    assert "自动派单" in dispatch["note"]


def test_without_a_setting_the_models_derived_threshold_decides(routed, world, client, token_for, settings,
                                                                  small_model):
    body = {"type": "complaint", "channel": "hotline", "title": "公司拖欠工资",
            "content": "老板拖欠工资不发，要求支付劳动报酬，讨薪无果。"}
    routing.configure(models_dir=settings.models_dir)
    classifier.save(replace(small_model, dispatch_threshold=0.3), settings.models_dir)
    assert routing.dispatch_threshold() == 0.3
    assert client.post("/api/v1/orders", json=body, headers=token_for(world.operator)).json()["status"] \
        == "dispatched"
    # No confidence was right often enough: nothing dispatches itself.
    classifier.save(replace(small_model, dispatch_threshold=None), settings.models_dir)
    assert routing.dispatch_threshold() > 1
    assert client.post("/api/v1/orders", json=body, headers=token_for(world.operator)).json()["status"] \
        == "accepted"
    classifier.save(replace(small_model, dispatch_threshold=0.3), settings.models_dir)
    routing.configure(models_dir=settings.models_dir, auto_dispatch_confidence=1.01)  # the setting overrides
    assert client.post("/api/v1/orders", json=body, headers=token_for(world.operator)).json()["status"] \
        == "accepted"


def test_the_dispatchers_choice_is_recorded_against_the_suggestion(routed, world, db):
    order = make_order(db, world, title="小区路灯不亮", content="小区里的路灯坏了一个星期。")
    act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id, category_code="080303")
    with db.read() as s:
        decision = s.scalars(select(RoutingDecision)).one()
        assert (decision.chosen_category, decision.chosen_owner_id) == ("080303", world.street.id)
    with db.read() as s:
        report = production_report(s)
    assert report.decided == 1
    other = make_order(db, world)
    with pytest.raises(InvalidInput, match="分类 990909 不存在"):
        act(db, other.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id, category_code="990909")
    with db.read() as s:
        chosen = s.scalars(select(RoutingDecision).where(RoutingDecision.chosen_at.is_not(None))).all()
    assert [d.order_id for d in chosen] == [order.id]


def test_a_broken_model_never_stops_intake(routed, world, client, token_for, settings):
    current = (settings.models_dir / "classifier" / "CURRENT").read_text()
    (settings.models_dir / "classifier" / current / "model.pkl").write_bytes(b"not a pickle")
    classifier.forget_loaded()
    body = {"type": "help", "channel": "hotline", "title": "求助", "content": "楼道里堆满杂物。"}
    created = client.post("/api/v1/orders", json=body, headers=token_for(world.operator))
    assert created.status_code == 201
    assert created.json()["status"] == "accepted"


def test_the_dispatcher_sees_the_suggestions_and_a_form_set_to_them(routed, world, client, db):
    order = make_order(db, world, title="公司拖欠工资", content="老板拖欠工资三个月不发。")
    login(client, world.dispatcher)
    html = client.get(f"/orders/{order.number}").text
    section = html.split('id="routing"')[1].split("</section>")[0]
    assert "劳动和社会保障 › 劳动关系" in section
    assert "职责清单" in section
    assert re.search(rf'<option value="{world.department.id}"[^>]* selected>', html)
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)})
    act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    login(client, world.handler)
    assert 'id="routing"' not in client.get(f"/orders/{order.number}").text  # the centre's working notes


@pytest.mark.parametrize(("title", "content", "unsure"), [
    ("Broken street light", "The street light outside building 3 has been off for a week.", True),
    ("路灯 broken", "楼下 street light 不亮了 for 3 days", False),
    ("灯", "坏", False),
    ("？", "！" * 19_999 + "x", True),  # punctuation but for one letter: punctuation alone is refused
])
def test_odd_text_is_taken_with_a_grade_and_never_guessed_from_nothing(routed, world, client, token_for,
                                                                        title, content, unsure):
    body = {"type": "complaint", "channel": "hotline", "title": title, "content": content}
    response = client.post("/api/v1/orders", json=body, headers=token_for(world.operator))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["routing"]["grade_reasons"]
    if unsure:  # English the model never saw, or punctuation only: no sure guess, the dispatcher decides
        assert all(s["confidence"] < 0.85 for s in created["routing"]["suggestions"])


def test_a_category_the_reporter_picked_stands_and_dispatches_itself_only_when_the_model_agrees(routed, world):
    routing.configure(models_dir=routing.config().models_dir, auto_dispatch_confidence=0.3)
    wages = {"title": "公司拖欠工资", "content": "老板拖欠工资不发，要求支付劳动报酬，讨薪无果。"}
    with routed.read() as s:
        agreed = routing.route(s, **wages, street=None, community=None, place=None, chosen="0501")
        picked = routing.route(s, **wages, street=None, community=None, place=None, chosen="080303")
        plain = routing.route(s, **wages, street=None, community=None, place=None)
    assert plain.category is not None
    assert plain.category.code.startswith("0501")
    assert plain.auto_dispatch
    assert agreed.category is not None
    assert agreed.category.code == "0501"
    assert agreed.auto_dispatch, "the model names a category inside the one picked"
    assert picked.category is not None
    assert picked.category.code == "080303"
    assert not picked.auto_dispatch, "the model disagrees: a dispatcher decides"
    assert [s.code for s in picked.suggestions] == [s.code for s in plain.suggestions]


def test_a_fresh_server_loads_the_classifier_before_its_first_order(routed, settings, small_model):
    """The app's start loads the model in use, so the first citizen's order does not wait for it."""
    classifier.forget_loaded()
    app = create_app(settings, db=routed)
    with TestClient(app):  # runs the start-up
        assert classifier._loaded.get(settings.models_dir, ("", None))[1] is not None


def test_a_fresh_server_places_a_made_up_order_at_start_and_keeps_nothing_of_it(routed, settings, small_model):
    """The start runs placing once (so a storm's first orders find it compiled and read), writes no order and
    keeps no routing tables: a catalog loaded after the start is the one the first order is routed by."""
    with routed.read() as session:
        before = session.scalar(select(func.count()).select_from(WorkOrder))
    with TestClient(create_app(settings, db=routed)):
        assert routing._tables.lookup(str(routed.write_engine.url)) == (False, None)
    with routed.read() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == before
