"""A street's sub-centre (街道分中心): what the district sends the street, the street's dispatcher dispatches inside
it; the inner unit's reply goes to the street's review, then the centre's; what an inner unit returns goes back to
the street; a street that wants it lets A-level orders flow on to the grid by themselves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import InvalidInput
from minhu.dispatch import queue as centre_queue
from minhu.notify.models import OutboxMessage
from minhu.orders import queries
from minhu.orders.enums import Grade
from minhu.orders.errors import IllegalAction
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.models import StreetSetting, User
from minhu.org.roles import Role
from minhu.routing import service as routing
from minhu.routing.matrix import choose_owner
from minhu.street import queue as street_queue
from minhu.street.service import AUTO_INNER
from tests.factories import PASSWORD, World, act, make_order


@pytest.fixture
def shequ(db: Database, world: World) -> User:
    """和平社区's handler, inside 积玉桥街."""
    with db.transaction() as s:
        return org_service.create_user(s, username="shequ", password=PASSWORD, full_name="社区 承办",
                                       role=Role.HANDLER, unit=s.merge(world.community))


def _settings(db: Database, world: World, **values: bool) -> None:
    with db.transaction() as s:
        s.add(StreetSetting(street_id=world.street.id, **{"sub_centre": True, **values}))
    routing.forget_routing()


def _actions(db: Database, number: str) -> list[Action]:
    with db.read() as s:
        order = queries.get_for_update(s, number, viewer=None)
        return list(s.scalars(select(OrderEvent.action).where(OrderEvent.order_id == order.id)
                              .order_by(OrderEvent.at, OrderEvent.id)))


def test_the_street_dispatches_inside_and_reviews_the_reply_before_the_centre(db: Database, world: World,
                                                                             shequ: User) -> None:
    order = make_order(db, world, upto=Action.DISPATCH)
    order = act(db, order.number, Action.INNER_DISPATCH, world.street_dispatcher, unit_id=world.community.id)
    assert (order.status, order.owner_unit_id, order.sub_centre_id) == (Status.DISPATCHED, world.community.id,
                                                                        world.street.id)
    act(db, order.number, Action.SIGN, shequ)
    order = act(db, order.number, Action.REPLY, shequ, note="已修复健身器材")
    assert order.status is Status.STREET_REVIEW
    # The centre cannot approve what its street has not reviewed.
    with pytest.raises(IllegalAction):
        act(db, order.number, Action.APPROVE, world.dispatcher)
    order = act(db, order.number, Action.STREET_APPROVE, world.street_dispatcher)
    assert order.status is Status.REPLIED
    order = act(db, order.number, Action.APPROVE, world.dispatcher)
    assert order.status is Status.REVIEWED
    assert _actions(db, order.number)[-6:] == [Action.DISPATCH, Action.INNER_DISPATCH, Action.SIGN,
                                               Action.REPLY_TO_STREET, Action.STREET_APPROVE, Action.APPROVE]
    with db.read() as s:
        told = s.scalars(select(OutboxMessage).where(OutboxMessage.template_key == "order.street_notice")).all()
        assert {m.user_id for m in told} == {world.street_dispatcher.id}
        assert any("等待街道审核" in m.body for m in told)


def test_the_street_sends_a_reply_back_to_the_inner_unit(db: Database, world: World, shequ: User) -> None:
    order = make_order(db, world, upto=Action.DISPATCH)
    act(db, order.number, Action.INNER_DISPATCH, world.street_dispatcher, unit_id=world.community.id)
    act(db, order.number, Action.SIGN, shequ)
    act(db, order.number, Action.REPLY, shequ, note="已处理")
    order = act(db, order.number, Action.STREET_SEND_BACK, world.street_dispatcher, note="请附现场照片")
    assert (order.status, order.owner_unit_id) == (Status.HANDLING, world.community.id)


def test_a_street_that_does_not_review_sends_inner_replies_straight_to_the_centre(db: Database, world: World,
                                                                                 shequ: User) -> None:
    _settings(db, world, review_inner_replies=False)
    order = make_order(db, world, upto=Action.DISPATCH)
    act(db, order.number, Action.INNER_DISPATCH, world.street_dispatcher, unit_id=world.community.id)
    act(db, order.number, Action.SIGN, shequ)
    order = act(db, order.number, Action.REPLY, shequ, note="已处理")
    assert order.status is Status.REPLIED


def test_what_an_inner_unit_returns_waits_in_the_streets_queue_not_the_centres(db: Database, world: World,
                                                                              shequ: User) -> None:
    order = make_order(db, world, upto=Action.DISPATCH)
    act(db, order.number, Action.INNER_DISPATCH, world.street_dispatcher, unit_id=world.community.id)
    order = act(db, order.number, Action.RETURN, shequ, return_reason="not_ours", note="属市政设施")
    assert (order.status, order.owner_unit_id) == (Status.RETURNED, world.street.id)
    with db.read() as s:
        street = s.merge(world.street, load=False)
        waiting = street_queue.street_queue(s, street, viewer=s.merge(world.street_dispatcher, load=False))
        assert [i.order.number for i in waiting.to_dispatch] == [order.number]
        assert waiting.to_dispatch[0].returned is not None
        centre = centre_queue.list_queue(s, viewer=s.merge(world.dispatcher, load=False))
        assert order.number not in [i.number for i in centre.items]
    # The street gives it up to the centre: it is the centre's again, and no street holds it inside.
    order = act(db, order.number, Action.RETURN, world.street_dispatcher, return_reason="not_ours",
                note="街道无市政维修力量")
    assert (order.status, order.sub_centre_id) == (Status.RETURNED, None)
    with db.read() as s:
        centre = centre_queue.list_queue(s, viewer=s.merge(world.dispatcher, load=False))
        assert order.number in [i.number for i in centre.items]


def test_dispatching_inside_to_a_unit_of_another_street_is_refused_and_changes_nothing(db: Database,
                                                                                      world: World) -> None:
    order = make_order(db, world, upto=Action.DISPATCH)
    for unit in (world.other_street, world.department, world.street):
        with pytest.raises(InvalidInput) as refused:
            act(db, order.number, Action.INNER_DISPATCH, world.street_dispatcher, unit_id=unit.id)
        assert refused.value.code == "unit_outside_street"
        assert "unit_id" in str(refused.value.details)
    with db.read() as s:
        after = queries.get_for_update(s, order.number, viewer=None)
        assert (after.version, after.owner_unit_id, after.sub_centre_id) == (order.version, world.street.id, None)


def test_only_the_streets_own_dispatcher_dispatches_inside(db: Database, world: World) -> None:
    with db.transaction() as s:
        stranger = org_service.create_user(s, username="sgh", password=PASSWORD, full_name="水果湖 派单",
                                           role=Role.STREET_DISPATCHER, unit=s.merge(world.other_street))
    order = make_order(db, world, upto=Action.DISPATCH)
    for actor in (stranger, world.handler, world.dispatcher):
        with pytest.raises(IllegalAction):
            act(db, order.number, Action.INNER_DISPATCH, actor, unit_id=world.community.id)


def test_a_street_dispatcher_belongs_to_a_street(db: Database, world: World) -> None:
    with db.transaction() as s, pytest.raises(InvalidInput) as refused:
        org_service.create_user(s, username="bad", password=PASSWORD, full_name="社区 派单",
                                role=Role.STREET_DISPATCHER, unit=s.merge(world.community))
    assert refused.value.code == "invalid_unit"


def test_dispatching_inside_keeps_the_districts_finish_deadline(db: Database, world: World, shequ: User) -> None:
    order = make_order(db, world, upto=Action.DISPATCH)
    finish, sign = order.finish_due_at, order.sign_due_at
    with clock.frozen(clock.now() + timedelta(hours=2)):
        inner = act(db, order.number, Action.INNER_DISPATCH, world.street_dispatcher, unit_id=world.community.id)
    assert inner.finish_due_at == finish
    assert sign is None or inner.sign_due_at != sign  # the inner unit's own time to sign starts at its dispatch


def test_a_level_orders_flow_on_to_the_grid_when_the_street_says_so(db: Database, world: World) -> None:
    _settings(db, world, a_level_straight=True)
    order = make_order(db, world)
    with db.transaction() as s:
        row = s.get_one(WorkOrder, order.id)
        row.grade, row.grid_id, row.community_id, row.street_id = Grade.A, world.grid.id, world.community.id, \
            world.street.id
    order = act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    assert (order.status, order.owner_unit_id, order.sub_centre_id) == (Status.DISPATCHED, world.grid.id,
                                                                        world.street.id)
    with db.read() as s:
        last = s.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                         .order_by(OrderEvent.id.desc())).first()
        assert last is not None
        assert (last.action, last.actor_name) == (Action.INNER_DISPATCH, AUTO_INNER)
    # The grid worker's answer still goes to the street first.
    act(db, order.number, Action.SIGN, world.gridworker)
    assert act(db, order.number, Action.REPLY, world.gridworker, note="已就地处置").status is Status.STREET_REVIEW


def test_without_the_setting_an_a_level_order_waits_for_the_streets_dispatcher(db: Database, world: World) -> None:
    _settings(db, world)
    order = make_order(db, world)
    with db.transaction() as s:
        row = s.get_one(WorkOrder, order.id)
        row.grade, row.grid_id, row.community_id = Grade.A, world.grid.id, world.community.id
    order = act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    assert order.owner_unit_id == world.street.id
    with db.read() as s:
        waiting = street_queue.street_queue(s, s.merge(world.street, load=False),
                                            viewer=s.merge(world.street_dispatcher, load=False))
        proposal = waiting.to_dispatch[0].proposal
        assert proposal is not None
        assert proposal.unit is not None
        assert proposal.unit.id == world.grid.id


def test_routing_sends_a_sub_centre_streets_a_orders_to_the_street(db: Database, world: World) -> None:
    with db.read() as s:
        street, community = s.merge(world.street, load=False), s.merge(world.community, load=False)
        plain = choose_owner(s, [], None, Grade.A, street=street, community=community, place=community)
        sub = choose_owner(s, [], None, Grade.A, street=street, community=community, place=community,
                           sub_centre=True)
    assert plain.unit is not None
    assert plain.unit.id == world.community.id
    assert sub.unit is not None
    assert sub.unit.id == world.street.id
    assert "街道分中心" in sub.reason


def test_the_api_reads_the_queue_and_keeps_the_settings(client, token_for, db: Database, world: World,
                                                        shequ: User) -> None:
    order = make_order(db, world, upto=Action.DISPATCH)
    queue = client.get("/api/v1/street/queue", headers=token_for(world.street_dispatcher))
    assert queue.status_code == 200
    assert [i["order"]["number"] for i in queue.json()["to_dispatch"]] == [order.number]
    assert client.get("/api/v1/street/queue", headers=token_for(world.handler)).status_code == 403

    url = f"/api/v1/streets/{world.street.id}/settings"
    body = {"sub_centre": True, "review_inner_replies": False, "a_level_straight": True}
    assert client.put(url, json=body, headers=token_for(world.handler)).status_code == 403
    saved = client.put(url, json=body, headers=token_for(world.street_dispatcher))
    assert saved.status_code == 200, saved.text
    assert client.get(url, headers=token_for(world.admin)).json()["a_level_straight"] is True
    bad = client.put(url, json={"sub_centre": "yes"}, headers=token_for(world.admin))
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]
    other = client.put(f"/api/v1/streets/{world.community.id}/settings", json=body, headers=token_for(world.admin))
    assert other.status_code == 404
