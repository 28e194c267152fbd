"""The responsibility matrix editor: a rule is checked against the others before it is saved — on the API
and on the page alike — the matrix lists the rules that never decide, and 试算 says which rule would."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from minhu.core.errors import InvalidInput
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.roles import UnitKind
from minhu.routing import catalog
from minhu.routing import service as routing
from minhu.routing.models import RoutingRule
from tests.factories import act, make_order
from tests.intake.test_pages import csrf_of, login


@pytest.fixture
def matrix(db, world):
    """The packaged catalog, a district-wide rule giving 0801 (市容环卫) to the department, and a co-handler."""
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        rule = RoutingRule(category_code="0801", owner_unit_id=world.department.id, source="职责清单",
                           decided_on=date(2025, 3, 12))
        s.add(rule)
        market = org_service.create_unit(s, code="D2", name="区市场监管局", kind=UnitKind.DEPARTMENT,
                                         parent=s.merge(world.district))
        s.flush()
        ids = {"rule": rule.id, "market": market.id}
    routing.forget_routing()
    return ids


def rules_count(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(RoutingRule)) or 0


def test_a_conflicting_rule_is_refused_naming_the_other_rule_and_its_owner(matrix, world, client, token_for, db):
    body = {"category_code": "0801", "owner_unit_id": matrix["market"], "source": "新纪要"}
    refused = client.post("/api/v1/routing/rules", json=body, headers=token_for(world.admin))
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "rule_conflict"
    assert f"规则 #{matrix['rule']}" in error["message"]
    assert world.department.name in error["message"]
    assert error["details"][0]["rule_id"] == matrix["rule"]
    assert error["details"][0]["owner"]["name"] == world.department.name
    assert rules_count(db) == 1
    # The same owner again is a duplicate; another place or a finer category is no conflict at all.
    duplicate = client.post("/api/v1/routing/rules", json={**body, "owner_unit_id": world.department.id},
                            headers=token_for(world.admin))
    assert duplicate.json()["error"]["code"] == "rule_duplicate"
    here = client.post("/api/v1/routing/rules", json={**body, "place_unit_id": world.street.id},
                       headers=token_for(world.admin))
    finer = client.post("/api/v1/routing/rules", json={**body, "category_code": "080102"},
                        headers=token_for(world.admin))
    assert (here.status_code, finer.status_code) == (201, 201)
    described = f"规则 #{here.json()['id']}：市容环卫 @ 积玉桥街 → 区市场监管局（依据：新纪要）"
    assert here.json()["description"] == described


def test_editing_into_a_conflict_is_refused_and_inactive_rules_conflict_with_nothing(matrix, world, client,
                                                                                    token_for):
    admin = token_for(world.admin)
    other = client.post("/api/v1/routing/rules", json={"category_code": "0802", "owner_unit_id": matrix["market"]},
                        headers=admin).json()
    moved = client.patch(f"/api/v1/routing/rules/{other['id']}", json={"category_code": "0801"}, headers=admin)
    assert moved.json()["error"]["code"] == "rule_conflict"
    assert client.patch(f"/api/v1/routing/rules/{matrix['rule']}", json={"active": False},
                        headers=admin).json()["active"] is False
    assert client.patch(f"/api/v1/routing/rules/{other['id']}", json={"category_code": "0801"},
                        headers=admin).status_code == 200
    back = client.patch(f"/api/v1/routing/rules/{matrix['rule']}", json={"active": True}, headers=admin)
    assert back.json()["error"]["code"] == "rule_conflict"  # reactivating is checked like a new rule
    assert client.patch("/api/v1/routing/rules/99999", json={"active": True}, headers=admin).status_code == 404


def test_rules_that_cannot_stand_are_refused_with_the_field_named(matrix, world, client, token_for, db):
    admin = token_for(world.admin)
    with db.transaction() as s:
        closed = org_service.create_unit(s, code="D9", name="区老城改办", kind=UnitKind.DEPARTMENT,
                                         parent=s.merge(world.district))
        closed.active = False
        s.flush()
        closed_id = closed.id
    cases = [
        ({"category_code": "0899", "owner_unit_id": world.department.id}, "category_code", "分类 0899 不存在"),
        ({"category_code": "0803", "owner_unit_id": world.centre.id}, "owner_unit_id", "不能接收工单"),
        ({"category_code": "0803", "owner_unit_id": closed_id}, "owner_unit_id", "已撤销"),
        ({"category_code": "0803", "owner_unit_id": world.department.id, "co_handler_ids": [world.department.id]},
         "co_handler_ids", "已是承办单位"),
        ({"category_code": "0803", "owner_unit_id": world.department.id, "co_handler_ids": [closed_id]},
         "co_handler_ids", "已撤销"),
        ({"category_code": "0803", "place_unit_id": world.department.id, "owner_unit_id": world.department.id},
         "place_unit_id", "地点须为区、街道、社区或网格"),
    ]
    for body, field, words in cases:
        refused = client.post("/api/v1/routing/rules", json=body, headers=admin)
        assert refused.status_code == 422, body
        details = refused.json()["error"]["details"]
        assert [d["field"] for d in details] == [field], body
        assert words in details[0]["message"], body
    assert rules_count(db) == 1


def test_the_page_shows_a_conflict_at_the_form_and_saves_nothing(matrix, world, client, db):
    login(client, world.admin)
    page = client.get("/admin/matrix")
    assert page.status_code == 200
    assert f'id="rule-{matrix["rule"]}"' in page.text
    form = {"csrf_token": csrf_of(page.text), "category_code": "0801", "place_unit_id": "",
            "owner_unit_id": str(matrix["market"]), "source": "新纪要", "note": "试图改派"}
    refused = client.post("/admin/matrix/rules", data=form)
    assert refused.status_code == 422
    trouble = refused.text.split('id="rule-trouble"')[1].split("</div>")[0]
    assert f"与规则 #{matrix['rule']} 冲突" in trouble
    assert world.department.name in trouble
    assert 'value="新纪要"' in refused.text  # what was typed is kept
    assert rules_count(db) == 1
    saved = client.post("/admin/matrix/rules", data={**form, "category_code": "080102"}, follow_redirects=False)
    assert saved.status_code == 303
    assert rules_count(db) == 2
    # Deactivating from the list, and reactivating on the rule's page (生效 ticked).
    listed = client.get("/admin/matrix?category=0801")
    assert "080102" in listed.text
    client.post(f"/admin/matrix/rules/{matrix['rule']}/active", data={"csrf_token": form["csrf_token"],
                                                                       "active": "false"})
    with db.read() as s:
        assert s.get(RoutingRule, matrix["rule"]).active is False
    edit = client.get(f"/admin/matrix/rules/{matrix['rule']}")
    assert 'name="active" value="true" >' in edit.text  # unticked
    client.post(f"/admin/matrix/rules/{matrix['rule']}", data={
        "csrf_token": form["csrf_token"], "category_code": "0801", "owner_unit_id": str(world.department.id),
        "source": "职责清单", "decided_on": "2025-03-12", "active": "true"})
    with db.read() as s:
        assert s.get(RoutingRule, matrix["rule"]).active is True


def test_shadowed_rules_are_listed_with_the_rule_that_always_wins(matrix, world, client, token_for, db):
    with db.transaction() as s:
        # Same scope as the fixture's rule, added behind the checks' back (an old import): it never wins.
        s.add(RoutingRule(category_code="0801", owner_unit_id=matrix["market"], source="旧数据"))
        # Covers the whole of 080101 on the street, more specific than the district-wide 0801 rule: both win
        # somewhere, so neither is listed.
        s.add(RoutingRule(category_code="080101", place_unit_id=world.street.id, owner_unit_id=world.street.id))
        # A street-wide rule on 08 under a grid-level one on 08: the grid's rule wins only on its grid.
        s.add(RoutingRule(category_code="08", place_unit_id=world.street.id, owner_unit_id=world.street.id))
        s.add(RoutingRule(category_code="08", place_unit_id=world.grid.id, owner_unit_id=world.community.id))
        retired = RoutingRule(category_code="0207", owner_unit_id=world.department.id)
        s.add(retired)
        s.flush()
        ids = {r.source or r.category_code: r.id for r in s.scalars(select(RoutingRule))}
    admin = token_for(world.admin)
    client.patch("/api/v1/catalog/0207", json={"active": False}, headers=admin)
    found = client.get("/api/v1/routing/rules/check", headers=token_for(world.dispatcher)).json()
    by_rule = {f["rule"]["id"]: f for f in found}
    assert set(by_rule) == {ids["旧数据"], ids["0207"]}
    assert by_rule[ids["旧数据"]]["by"]["id"] == matrix["rule"]
    assert "在先" in by_rule[ids["旧数据"]]["reason"]
    assert by_rule[ids["0207"]]["by"] is None
    assert "已停用" in by_rule[ids["0207"]]["reason"]
    login(client, world.dispatcher)
    html = client.get("/admin/matrix/check").text
    assert f'href="/admin/matrix/rules/{ids["旧数据"]}"' in html


def test_a_rule_that_still_decides_some_orders_is_not_listed(matrix, world, client, token_for, db):
    with db.transaction() as s:
        s.add(RoutingRule(category_code="0207", owner_unit_id=world.department.id, source="全辖区"))
        # Finer, but only for orders placed in the district: an order nobody could place still reaches the other.
        s.add(RoutingRule(category_code="0207", place_unit_id=world.district.id, owner_unit_id=matrix["market"],
                          source="区"))
    assert client.get("/api/v1/routing/rules/check", headers=token_for(world.admin)).json() == []


def test_the_try_form_names_the_rule_that_decides_and_why(matrix, world, client, token_for, db):
    admin = token_for(world.admin)
    here = client.post("/api/v1/routing/rules", json={"category_code": "0801", "place_unit_id": world.street.id,
                                                      "owner_unit_id": world.street.id,
                                                      "co_handler_ids": [matrix["market"]]}, headers=admin).json()
    tried = client.get("/api/v1/routing/try", params={"category": "080102", "place_unit_id": world.grid.id},
                       headers=token_for(world.dispatcher)).json()
    assert tried["owner"]["name"] == world.street.name
    assert tried["rule"]["id"] == here["id"]
    assert [r["id"] for r in tried["applicable"]] == [here["id"], matrix["rule"]]
    assert [u["name"] for u in tried["co_handlers"]] == ["区市场监管局"]
    assert tried["grade"] == "B"
    elsewhere = client.get("/api/v1/routing/try", params={"category": "080102", "place_unit_id": world.other_street.id},
                           headers=admin).json()
    assert elsewhere["rule"]["id"] == matrix["rule"]
    nobody = client.get("/api/v1/routing/try", params={"category": "090203", "place_unit_id": world.grid.id},
                        headers=admin).json()
    assert (nobody["rule"], nobody["owner"]["name"]) == (None, world.community.name)
    assert "A 级事项由所在社区办理" in nobody["reason"]
    bad = client.get("/api/v1/routing/try", params={"category": "080102", "place_unit_id": world.department.id},
                     headers=admin)
    assert bad.json()["error"]["details"][0]["field"] == "place_unit_id"
    login(client, world.dispatcher)
    fragment = client.get("/admin/matrix/try", params={"try_category": "080102", "try_place": world.grid.id},
                          headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="try-result">')
    assert f'<span id="try-owner">{world.street.name}</span>' in fragment.text
    assert f"规则 #{here['id']}" in fragment.text
    whole = client.get("/admin/matrix", params={"try_category": "080102", "try_place": world.grid.id})
    assert f'<span id="try-owner">{world.street.name}</span>' in whole.text


def test_dispatchers_read_the_matrix_and_only_administrators_change_it(matrix, world, client, token_for):
    assert client.get("/api/v1/routing/rules", headers=token_for(world.dispatcher)).status_code == 200
    for person in (world.operator, world.handler, world.leader):
        assert client.get("/api/v1/routing/rules", headers=token_for(person)).status_code == 403
    refused = client.post("/api/v1/routing/rules", json={"category_code": "0803", "owner_unit_id": world.department.id},
                          headers=token_for(world.dispatcher))
    assert refused.status_code == 403
    login(client, world.dispatcher)
    page = client.get("/admin/matrix")
    assert page.status_code == 200
    assert 'id="rule-form"' not in page.text
    assert client.post("/admin/matrix/rules", data={"csrf_token": csrf_of(page.text), "owner_unit_id": "1"}
                       ).status_code == 403
    login(client, world.operator)
    assert client.get("/admin/matrix").status_code == 403


def test_a_ruling_on_a_returned_order_supersedes_the_rule_it_contradicts(matrix, world, db):
    order = make_order(db, world, upto=Action.SIGN, title="店外占道经营", content="商铺在门口摆摊占道经营。")
    with db.transaction() as s:
        s.get_one(type(order), order.id).category_code = "080102"
    act(db, order.number, Action.RETURN, world.handler, note="不属于街道", return_reason="not_ours")
    # The matrix gives 0801 (and so 080102) to the department; the ruling gives 080102 to the market regulator.
    with db.transaction() as s:
        s.add(RoutingRule(category_code="080102", owner_unit_id=world.department.id, source="旧规则"))
    act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=matrix["market"], make_rule=True,
        note="经裁定由市场监管局牵头")
    with db.read() as s:
        on_it = s.scalars(select(RoutingRule).where(RoutingRule.category_code == "080102")
                          .order_by(RoutingRule.id)).all()
    assert [(r.source, r.active) for r in on_it] == [("旧规则", False), (f"派单员裁定（工单 {order.number}）", True)]
    assert f"由派单员裁定（工单 {order.number}）取代" in on_it[0].note
    assert on_it[1].owner_unit_id == matrix["market"]


def test_the_whole_district_is_one_scope_and_a_ruling_needs_a_precise_category(matrix, client, world, token_for, db):
    # The district unit is the whole jurisdiction: a rule there would hide a conflict with a district-wide one.
    body = {"category_code": "0801", "place_unit_id": world.district.id, "owner_unit_id": matrix["market"]}
    refused = client.post("/api/v1/routing/rules", json=body, headers=token_for(world.admin))
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "place_unit_id"
    assert "即全辖区" in refused.json()["error"]["message"]
    # One returned order's ruling may not hand a whole first-level field to one unit.
    order = make_order(db, world, upto=Action.SIGN, title="护栏松动")
    with db.transaction() as s:
        s.get_one(type(order), order.id).category_code = "08"
    act(db, order.number, Action.RETURN, world.handler, note="不属于街道", return_reason="not_ours")
    with pytest.raises(InvalidInput, match="范围太大"):
        act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=matrix["market"], make_rule=True)
