"""升级 (A→B→C→D) and the hand-over to the city: a unit asks, the level above takes the order on or
refuses; the centre sends what the district cannot solve to the city and records its answer. Also the
return limit (退单时限) that every dispatch starts."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.core.errors import InvalidInput
from minhu.orders import permissions, queries
from minhu.orders.enums import Grade
from minhu.orders.errors import IllegalAction
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.roles import Role
from tests.factories import PASSWORD, act, make_order
from tests.intake.test_pages import csrf_of, login


def _set_grade(db, order, grade):
    with db.transaction() as s:
        s.get_one(WorkOrder, order.id).grade = grade


@pytest.fixture
def community_handler(db, world):
    with db.transaction() as s:
        return org_service.create_user(s, username="sheqv", password=PASSWORD, full_name="社区 张",
                                       role=Role.HANDLER, unit=s.merge(world.community))


def _escalations(db, order):
    with db.read() as s:
        return [(e.from_grade, e.to_grade, e.accepted) for e in s.get_one(WorkOrder, order.id).escalations]


def test_a_community_asks_for_b_and_its_street_takes_the_order_on(db, world, community_handler):
    order = make_order(db, world)
    _set_grade(db, order, Grade.A)
    act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.community.id)
    act(db, order.number, Action.SIGN, community_handler)
    asked = act(db, order.number, Action.ESCALATE, community_handler, note="涉及整栋楼外墙，社区无力处置")
    assert asked.status is Status.HANDLING
    assert asked.grade is Grade.A
    assert _escalations(db, order) == [(Grade.A, Grade.B, None)]
    # Not for the asking unit itself, nor for another street, to decide.
    with pytest.raises(IllegalAction):
        act(db, order.number, Action.ACCEPT_ESCALATION, community_handler)
    with pytest.raises(IllegalAction):
        act(db, order.number, Action.ACCEPT_ESCALATION, world.other_handler)
    taken = act(db, order.number, Action.ACCEPT_ESCALATION, world.handler, note="街道接办")
    assert (taken.status, taken.grade, taken.owner_unit_id) == (Status.DISPATCHED, Grade.B, world.street.id)
    assert taken.return_due_at is not None
    assert _escalations(db, order) == [(Grade.A, Grade.B, True)]
    with db.read() as s:
        trail = [(e.action, e.payload.get("to_grade")) for e in queries.events_of(s, s.get_one(WorkOrder, order.id))]
    assert trail[-2:] == [(Action.ESCALATE, "B"), (Action.ACCEPT_ESCALATION, "B")]


def test_the_centre_refuses_then_accepts_a_street_asking_for_c(db, world):
    order = make_order(db, world, upto=Action.SIGN)
    _set_grade(db, order, Grade.B)
    act(db, order.number, Action.ESCALATE, world.handler, note="需规划、住建多部门协调")
    # A street does not judge its own request for C.
    with pytest.raises(IllegalAction):
        act(db, order.number, Action.ACCEPT_ESCALATION, world.handler)
    with pytest.raises(InvalidInput, match="待上级审核"):
        act(db, order.number, Action.ESCALATE, world.handler, note="再申请一次")
    refused = act(db, order.number, Action.REFUSE_ESCALATION, world.dispatcher, note="属街道职责，请街道协调")
    assert (refused.status, refused.grade, refused.owner_unit_id) == (Status.HANDLING, Grade.B, world.street.id)
    assert _escalations(db, order) == [(Grade.B, Grade.C, False)]
    act(db, order.number, Action.ESCALATE, world.handler, note="已协调未果，再次申请")
    with pytest.raises(InvalidInput, match="承办单位") as error:
        act(db, order.number, Action.ACCEPT_ESCALATION, world.dispatcher)
    assert error.value.details[0]["field"] == "unit_id"
    taken = act(db, order.number, Action.ACCEPT_ESCALATION, world.dispatcher, unit_id=world.department.id)
    assert (taken.status, taken.grade, taken.owner_unit_id) == (Status.DISPATCHED, Grade.C, world.department.id)
    assert _escalations(db, order) == [(Grade.B, Grade.C, False), (Grade.B, Grade.C, True)]


def test_an_escalation_must_ask_for_a_higher_grade(db, world):
    order = make_order(db, world, upto=Action.SIGN)
    _set_grade(db, order, Grade.C)
    with pytest.raises(InvalidInput, match="高于当前") as error:
        act(db, order.number, Action.ESCALATE, world.handler, note="想降级", grade="B")
    assert error.value.details[0]["field"] == "grade"
    _set_grade(db, order, Grade.D)
    with pytest.raises(InvalidInput, match="已是 D 级"):
        act(db, order.number, Action.ESCALATE, world.handler, note="再升")


def test_the_centre_sends_an_order_to_the_city_and_records_its_answer(db, world, tmp_path, run):
    order = make_order(db, world, upto=Action.SIGN)
    _set_grade(db, order, Grade.C)
    act(db, order.number, Action.ESCALATE, world.handler, note="跨区问题，区级无法解决")
    with pytest.raises(InvalidInput, match="上报市级"):
        act(db, order.number, Action.ACCEPT_ESCALATION, world.dispatcher, unit_id=world.department.id)
    with pytest.raises(IllegalAction):  # only the centre sends to the city
        act(db, order.number, Action.ESCALATE_CITY, world.handler, note="直接上报")
    sent = act(db, order.number, Action.ESCALATE_CITY, world.dispatcher, note="涉及两区交界，报市指挥中心")
    assert (sent.status, sent.grade, sent.owner_unit_id) == (Status.ESCALATED, Grade.D, world.centre.id)
    assert _escalations(db, order) == [(Grade.C, Grade.D, True)]

    target = tmp_path / "city.json"
    result = run("export", "city", "--output", str(target))
    assert result.exit_code == 0, result.output
    package = json.loads(target.read_text("utf-8"))
    assert package["format"] == "minhu.city-escalation/1"
    [exported] = package["orders"]
    assert exported["number"] == order.number
    assert exported["grade"] == "D"
    assert exported["reason"] == "涉及两区交界，报市指挥中心"
    assert exported["citizen"]["phone"] == "13812345678"
    assert [r["to_grade"] for r in exported["requests"]] == ["D"]
    assert "上报市级" in [step["action"] for step in exported["trail"]]

    answered = act(db, order.number, Action.CITY_FEEDBACK, world.dispatcher, note="市住建局已协调两区共同处置")
    assert answered.status is Status.REPLIED
    assert answered.reply_text == "市住建局已协调两区共同处置"
    assert act(db, order.number, Action.APPROVE, world.dispatcher).status is Status.REVIEWED


def test_a_unit_returns_within_the_limit_only(db, world):
    order = make_order(db, world, upto=Action.DISPATCH)
    assert order.return_due_at == order.dispatched_at + timedelta(hours=24)
    with clock.frozen(clock.now() + timedelta(hours=25)):
        with pytest.raises(InvalidInput, match="退单时限已过") as error:
            act(db, order.number, Action.RETURN, world.handler, note="非本街道", return_reason="not_ours")
    assert error.value.code == "return_period_over"
    with clock.frozen(clock.now() + timedelta(hours=25)), db.read() as s:
        late = s.get_one(WorkOrder, order.id)
        assert Action.RETURN not in [t.action for t in permissions.allowed_actions(world.handler, late)]
    returned = act(db, order.number, Action.RETURN, world.handler, note="非本街道", return_reason="not_ours")
    assert returned.status is Status.RETURNED


def test_a_reopened_order_cannot_be_returned(db, world):
    order = make_order(db, world, upto=Action.CALLBACK)
    act(db, order.number, Action.REOPEN, world.reviewer, note="市民反映仍未解决")
    act(db, order.number, Action.SIGN, world.handler)
    with pytest.raises(InvalidInput, match="重办") as error:
        act(db, order.number, Action.RETURN, world.handler, note="不归我们", return_reason="not_ours")
    assert error.value.code == "return_period_over"


def test_the_api_shows_the_centre_routing_on_create_and_the_city_package(client, world, token_for):
    body = {"type": "complaint", "channel": "hotline", "title": "燃气泄漏", "content": "楼道里有很重的燃气味。"}
    created = client.post("/api/v1/orders", json=body, headers=token_for(world.operator)).json()
    assert created["routing"]["grade_reasons"], created
    patrol = client.post("/api/v1/orders", json={**body, "channel": "grid_patrol"},
                         headers=token_for(world.gridworker)).json()
    assert patrol["routing"] is None
    refused = client.get("/api/v1/city/escalations", headers=token_for(world.handler))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "centre_only"
    package = client.get("/api/v1/city/escalations", headers=token_for(world.dispatcher)).json()
    assert package["orders"] == []
    assert package["from"]["name"] == "武昌区"


def _version_on(page: str) -> str:
    match = re.search(r'name="expected_version" value="(\d+)"', page)
    assert match, "page has no action form"
    return match.group(1)


def test_a_street_handler_escalates_and_the_centre_decides_on_the_order_page(client, db, world):
    order = make_order(db, world, upto=Action.SIGN)
    _set_grade(db, order, Grade.B)
    login(client, world.handler)
    page = client.get(f"/orders/{order.number}").text
    assert 'data-action="escalate"' in page
    assert "退单时限" in page
    asked = client.post(f"/orders/{order.number}/act", data={
        "csrf_token": csrf_of(page), "action": "escalate", "expected_version": _version_on(page),
        "grade": "C", "note": "需多部门协调"}, follow_redirects=True)
    assert "已申请升级" in asked.text
    assert "待审核" in asked.text
    client.post("/logout", data={"csrf_token": csrf_of(asked.text)})
    login(client, world.dispatcher)
    page = client.get(f"/orders/{order.number}").text
    assert 'data-action="accept_escalation"' in page
    assert "积玉桥街 申请升为 C 级：需多部门协调" in page
    taken = client.post(f"/orders/{order.number}/act", data={
        "csrf_token": csrf_of(page), "action": "accept_escalation", "expected_version": _version_on(page),
        "unit_id": str(world.department.id)}, follow_redirects=True)
    assert "已同意升级" in taken.text
    assert "已同意" in taken.text
    assert "C 复杂" in taken.text


def test_the_city_package_names_who_exported_a_citizen_and_leaves_out_a_confidential_one(client, db, world,
                                                                                         token_for):
    plain = make_order(db, world, upto=Action.SIGN)
    secret = make_order(db, world, upto=Action.SIGN, confidential=True, title="举报小区内非法经营")
    for order in (plain, secret):
        act(db, order.number, Action.ESCALATE_CITY, world.dispatcher, note="涉及两区交界，报市指挥中心")
    package = client.get("/api/v1/city/escalations", headers=token_for(world.dispatcher)).json()
    citizens = {o["number"]: o["citizen"] for o in package["orders"]}
    assert citizens[plain.number]["phone"] == "13812345678"
    assert citizens[secret.number] == {"name": None, "phone": None, "anonymous": False, "confidential": True}
    with db.read() as s:
        exports = {(e.order_id, e.actor_name, e.payload.get("export")) for e in
                   s.scalars(select(OrderEvent).where(OrderEvent.action == Action.VIEW_PHONE))}
    assert exports == {(plain.id, world.dispatcher.full_name, "city")}
