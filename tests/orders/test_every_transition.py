"""Every row of the transition table, from every state it starts in, taken through the order page and through
the API, on an order held by the centre and on one held by a street: no answer is a server error.

Each case reaches its state by real actions (a street never holds a new, accepted, returned, escalated or
voided order: only there is the owner written straight into the table), takes whatever the action needs
first when that keeps the state (a call before a report, a request before its decision), and acts as the
first person the rules let take it — or, when nobody may, as the dispatcher, who must then be refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from minhu.core import clock
from minhu.core.db import Database
from minhu.orders import permissions, queries
from minhu.orders import service as order_service
from minhu.orders.enums import Grade
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import ActionRequest
from minhu.orders.states import TRANSITIONS, Action, Status
from minhu.org import service as org_service
from minhu.org.models import User
from minhu.org.roles import Role
from tests.factories import PASSWORD, World, act, make_order, order_data
from tests.intake.test_pages import csrf_of, login

HOLDERS = ("centre", "street")
DOORS = ("page", "api")
CASES = [(t.action, source, holder, door) for t in TRANSITIONS for source in sorted(t.sources)
         for holder in HOLDERS for door in DOORS]


@dataclass
class Cast:
    """The world's people, with a handler at the centre (who takes on what the city sent back)."""

    world: World
    centre_handler: User

    @property
    def everyone(self) -> list[User]:
        w = self.world
        return [w.dispatcher, w.operator, w.reviewer, w.handler, self.centre_handler, w.other_handler,
                w.gridworker, w.leader, w.admin, w.street_dispatcher]

    def owner_handler(self, holder: str) -> User:
        return self.centre_handler if holder == "centre" else self.world.handler


@pytest.fixture
def cast(db: Database, world: World) -> Cast:
    with db.transaction() as s:
        handler = org_service.create_user(s, username="zhongxin", password=PASSWORD, full_name="中心 承办",
                                          role=Role.HANDLER, unit=s.merge(world.centre))
    return Cast(world, handler)


def _hold_by(db: Database, order: WorkOrder, holder: str, world: World) -> WorkOrder:
    """Where no action leads a street to hold an order in this state, the owner is written in."""
    unit = world.centre if holder == "centre" else world.street
    with db.transaction() as s:
        s.get_one(WorkOrder, order.id).owner_unit_id = unit.id
    with db.read() as s:
        return queries.get_for_update(s, order.number, viewer=None)


def _city_path(db: Database, cast: Cast, upto: Status, **overrides: Any) -> WorkOrder:
    """The centre holds an order once the city has it: sent up from a street, answered, then re-handled."""
    w = cast.world
    order = make_order(db, w, upto=Action.SIGN, **overrides)
    order = act(db, order.number, Action.ESCALATE_CITY, w.dispatcher, note="涉及两区交界")
    steps: list[tuple[Action, User, dict[str, Any]]] = [
        (Action.CITY_FEEDBACK, w.dispatcher, {"note": "市级已协调处理"}),
        (Action.APPROVE, w.dispatcher, {}),
        (Action.CALLBACK, w.reviewer,
         {"reached": True, "resolution": "unresolved", "satisfaction": "unsatisfied"}),
        (Action.REOPEN, w.reviewer, {"note": "市民反映仍未解决"}),
        (Action.SIGN, cast.centre_handler, {}),
        (Action.HANDLE, cast.centre_handler, {"note": "已联系市民"}),
        (Action.SUSPEND, w.dispatcher, {"note": "等待市级政策"}),
    ]
    if upto is Status.ARCHIVED:
        steps = [*steps[:3], (Action.ARCHIVE, w.reviewer, {})]
    for action, actor, fields in steps:
        if order.status is upto:
            return order
        order = act(db, order.number, action, actor, **fields)
    assert order.status is upto, (order.status, upto)
    return order


def reach(db: Database, cast: Cast, status: Status, holder: str, **overrides: Any) -> WorkOrder:
    """An order in ``status`` held by the centre or by the street (积玉桥街)."""
    w = cast.world
    if status is Status.NEW:
        with db.transaction() as s:
            order = order_service.create_order(s, order_data(channel="grid_patrol", **overrides), actor=w.gridworker)
        return order if holder == "centre" else _hold_by(db, order, holder, w)
    if status in (Status.ACCEPTED, Status.RETURNED, Status.VOIDED):
        order = make_order(db, w, **overrides)
        if status is not Status.ACCEPTED:
            order = act(db, order.number, Action.DISPATCH, w.dispatcher, unit_id=w.street.id)
            order = act(db, order.number, Action.RETURN, w.handler, note="不属于本街", return_reason="not_ours")
        if status is Status.VOIDED:
            order = act(db, order.number, Action.VOID, w.dispatcher, note="重复登记")
        return order if holder == "centre" else _hold_by(db, order, holder, w)
    if status is Status.JOINED:
        order = make_order(db, w, upto=None if holder == "centre" else Action.DISPATCH, **overrides)
        main = make_order(db, w, title="夜间施工噪音扰民（首次来电）")
        return act(db, order.number, Action.MERGE, w.dispatcher, duplicate_of=main.number)
    if status is Status.ESCALATED:
        order = make_order(db, w, upto=Action.SIGN, **overrides)
        order = act(db, order.number, Action.ESCALATE_CITY, w.dispatcher, note="涉及两区交界")
        return order if holder == "centre" else _hold_by(db, order, holder, w)
    if status is Status.STREET_REVIEW:
        # The street dispatches inside to the grid, whose reply waits for the street's review.
        order = make_order(db, w, upto=Action.DISPATCH, **overrides)
        order = act(db, order.number, Action.INNER_DISPATCH, w.street_dispatcher, unit_id=w.grid.id)
        order = act(db, order.number, Action.SIGN, w.gridworker)
        order = act(db, order.number, Action.REPLY, w.gridworker, note="已就地处置")
        return order if holder == "street" else _hold_by(db, order, holder, w)
    if holder == "centre":
        return _city_path(db, cast, status, **overrides)
    upto = {Status.DISPATCHED: Action.DISPATCH, Status.SIGNED: Action.SIGN, Status.HANDLING: Action.HANDLE,
            Status.REPLIED: Action.REPLY, Status.REVIEWED: Action.APPROVE, Status.CALLED_BACK: Action.CALLBACK,
            Status.ARCHIVED: Action.ARCHIVE, Status.SUSPENDED: Action.SIGN}[status]
    order = make_order(db, w, upto=upto, **overrides)
    if status is Status.SUSPENDED:
        order = act(db, order.number, Action.SUSPEND, w.dispatcher, note="等待施工方答复")
    return order


def prepare(db: Database, cast: Cast, order: WorkOrder, action: Action, holder: str) -> WorkOrder:
    """What ``action`` waits for, when taking it keeps the order where it is (a signed order moves on)."""
    if order.status is not Status.HANDLING:
        return order
    w, handler = cast.world, cast.owner_handler(holder)
    if action is Action.REPORT:
        return act(db, order.number, Action.WHISTLE, w.dispatcher, note="需多部门联动", unit_ids=[w.other_street.id])
    if action in (Action.ACCEPT_ESCALATION, Action.REFUSE_ESCALATION) and order.grade is not Grade.D:
        return act(db, order.number, Action.ESCALATE, handler, note="需职能部门处置")
    if action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        return act(db, order.number, Action.ASK_EXTENSION, handler, note="需协调施工方",
                   extend_to=(clock.now() + timedelta(days=60)).isoformat())
    return order


def fields_for(db: Database, cast: Cast, action: Action) -> dict[str, Any]:
    """What the action's form asks for, as the API's body (the page posts the same names)."""
    w = cast.world
    needs: dict[Action, dict[str, Any]] = {
        Action.DIRECT_REPLY: {"note": "按政策可以办理，请携带身份证到街道服务中心"},
        Action.DISPATCH: {"unit_id": w.department.id},
        Action.RETURN: {"note": "不属于本单位职责", "return_reason": "not_ours"},
        Action.HANDLE: {"note": "已到现场"}, Action.REPLY: {"note": "已处理完毕"},
        Action.SEND_BACK: {"note": "答复不完整"},
        Action.CALLBACK: {"reached": True, "resolution": "resolved", "satisfaction": "satisfied"},
        Action.CALLBACK_UNREACHED: {"reached": False},
        Action.REOPEN: {"note": "市民不满意"}, Action.VOID: {"note": "重复登记"}, Action.RESTORE: {"note": "误作废"},
        Action.WHISTLE: {"note": "需多部门联动", "unit_ids": [w.other_street.id]},
        Action.REPORT: {"note": "已到场"}, Action.ESCALATE: {"note": "需职能部门处置"},
        Action.ACCEPT_ESCALATION: {"unit_id": w.department.id}, Action.REFUSE_ESCALATION: {"note": "本级可以解决"},
        Action.ESCALATE_CITY: {"note": "涉及两区交界"}, Action.CITY_FEEDBACK: {"note": "市级已协调"},
        Action.SUSPEND: {"note": "等待政策"},
        Action.ASK_EXTENSION: {"note": "需协调", "extend_to": clock.now() + timedelta(days=60)},
        Action.REFUSE_EXTENSION: {"note": "时限足够"},
        Action.RULE: {"note": "经核实", "ruling": "reasonable_solved"},
        Action.UNMERGE: {"note": "不是同一事项"},
        Action.INNER_DISPATCH: {"unit_id": w.community.id}, Action.STREET_SEND_BACK: {"note": "答复不完整"},
    }
    if action is Action.MERGE:
        main = make_order(db, w, title="夜间施工噪音扰民（首次来电）")
        return {"duplicate_of": main.number}
    return needs.get(action, {})


def actor_for(cast: Cast, order: WorkOrder, action: Action) -> tuple[User, bool]:
    """The first person allowed to take ``action`` now, else the dispatcher (who must be refused); and whether
    taking it succeeds (a D order, which the city sent back, cannot rise further)."""
    for user in cast.everyone:
        if any(t.action is action for t in permissions.allowed_actions(user, order)):
            return user, not (action is Action.ESCALATE and order.grade is Grade.D)
    return cast.world.dispatcher, False


def _form(fields: dict[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, datetime):  # a datetime-local field, in the city's time
            form[name] = value.astimezone(clock.city_tz()).strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, bool):
            form[name] = "true" if value else "false"
        else:
            form[name] = value if isinstance(value, list) else str(value)
    return form


def _json(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize(("action", "source", "holder", "door"), CASES,
                         ids=[f"{a.value}-from-{s.value}-held-by-{h}-{d}" for a, s, h, d in CASES])
def test_no_action_answers_with_a_server_error(db: Database, cast: Cast, client: TestClient, token_for,
                                                action: Action, source: Status, holder: str, door: str) -> None:
    overrides = {"type": "consultation"} if action is Action.DIRECT_REPLY else {}
    order = prepare(db, cast, reach(db, cast, source, holder, **overrides), action, holder)
    # An unanswered call is taken as a callback that reached nobody.
    taken = Action.CALLBACK if action is Action.CALLBACK_UNREACHED else action
    with db.read() as s:
        order = queries.get_for_update(s, order.number, viewer=None)
        actor, allowed = actor_for(cast, order, taken)
    fields = fields_for(db, cast, action)
    if door == "api":
        response = client.post(f"/api/v1/orders/{order.number}/actions/{taken.value}",
                               json={"expected_version": order.version, **_json(fields)}, headers=token_for(actor))
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error["code"], error
            assert _chinese(error["message"]), error
        succeeded = response.status_code < 400
    else:
        login(client, actor)
        csrf = csrf_of(client.get("/orders").text)
        response = client.post(f"/orders/{order.number}/act", follow_redirects=True, data={
            "csrf_token": csrf, "action": taken.value, "expected_version": str(order.version), **_form(fields)})
        assert response.status_code == 200, response.text
        succeeded = 'class="flash error"' not in response.text and "flash-error" not in response.text
    with db.read() as s:
        moved = queries.get_for_update(s, order.number, viewer=None).version != order.version
    # Whoever the rules let take it succeeds; anybody else is refused and nothing changes.
    assert (succeeded, moved) == (allowed, allowed), response.text[-2000:]


def test_the_centre_sends_an_accepted_order_to_the_city_through_the_page(db: Database, cast: Cast, client) -> None:
    order = make_order(db, cast.world)
    login(client, cast.world.dispatcher)
    page = client.get(f"/orders/{order.number}").text
    sent = client.post(f"/orders/{order.number}/act", follow_redirects=True, data={
        "csrf_token": csrf_of(page), "action": "escalate_city", "expected_version": str(order.version),
        "note": "涉及两区交界，报市指挥中心"})
    assert sent.status_code == 200
    assert "已上报市级" in sent.text
    with db.read() as s:
        assert queries.get_for_update(s, order.number, viewer=None).status is Status.ESCALATED


def test_service_escalates_an_accepted_order_with_the_actor_from_another_session(db: Database, cast: Cast) -> None:
    order = make_order(db, cast.world)
    with db.read() as s:
        dispatcher = s.get_one(User, cast.world.dispatcher.id)
        dispatcher.unit  # noqa: B018 - loaded in a session that then closes, as the pages' user is
    with db.transaction() as s:
        held = queries.get_for_update(s, order.number, viewer=None)
        order_service.apply_action(s, held, Action.ESCALATE_CITY, actor=dispatcher,
                                   params=ActionRequest(expected_version=held.version, note="报市级"))
    with db.read() as s:
        assert queries.get_for_update(s, order.number, viewer=None).owner_unit_id == cast.world.centre.id
