"""The one writer of status: transitions, reasons, scope, the trail."""

import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from minhu.core.errors import Forbidden, InvalidInput
from minhu.orders import queries
from minhu.orders import service as order_service
from minhu.orders.errors import IllegalAction, NoteRequired, StaleOrder
from minhu.orders.models import WorkOrder
from minhu.orders.queries import OrderFilters
from minhu.orders.states import Action, Status
from tests.factories import act, make_order, order_data


def events(db, number):
    with db.read() as s:
        return queries.events_of(s, queries.find_by_number(s, number))


def test_operator_registers_an_accepted_order_with_a_daily_number(db, world):
    first = make_order(db, world)
    second = make_order(db, world)
    assert first.status is Status.ACCEPTED
    assert re.fullmatch(r"WC\d{8}\d{6}", first.number)
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert [e.action for e in events(db, first.number)] == [Action.CREATE]


def test_a_residents_request_waits_for_acceptance_within_thirty_minutes(db, world):
    with db.transaction() as s:
        order = order_service.create_order(s, order_data(channel="mobile"), actor=None)
    assert order.status is Status.NEW
    assert (order.accept_due_at - order.created_at).total_seconds() == 30 * 60
    assert events(db, order.number)[0].actor_name == "市民"
    accepted = act(db, order.number, Action.ACCEPT, world.operator)
    assert accepted.status is Status.ACCEPTED


def test_whole_life_leaves_one_event_per_step_with_who_and_from_where(db, world):
    order = make_order(db, world, upto=Action.ARCHIVE)
    trail = events(db, order.number)
    assert [e.action for e in trail] == [Action.CREATE, Action.DISPATCH, Action.SIGN, Action.HANDLE, Action.REPLY,
                                         Action.APPROVE, Action.CALLBACK, Action.ARCHIVE]
    sign = trail[2]
    assert (sign.from_status, sign.to_status) == (Status.DISPATCHED, Status.SIGNED)
    assert sign.actor_name == world.handler.full_name
    assert sign.actor_unit_name == "积玉桥街"
    assert trail[1].payload == {"unit_id": world.street.id, "unit_name": "积玉桥街"}
    assert order.closed_at is not None
    assert order.satisfaction.value == "satisfied"


def test_illegal_action_lists_what_is_allowed_now(db, world):
    order = make_order(db, world, upto=Action.DISPATCH)
    with pytest.raises(IllegalAction) as caught:
        act(db, order.number, Action.REPLY, world.handler, note="办完了")
    assert caught.value.status == 409
    assert set(caught.value.details["allowed_actions"]) == {"sign", "return"}


def test_a_handler_of_another_street_cannot_sign(db, world):
    order = make_order(db, world, upto=Action.DISPATCH)
    with pytest.raises(IllegalAction):
        act(db, order.number, Action.SIGN, world.other_handler)


def test_stale_version_is_a_conflict_and_changes_nothing(db, world):
    order = make_order(db, world, upto=Action.SIGN)
    with pytest.raises(StaleOrder):
        act(db, order.number, Action.HANDLE, world.handler, note="进展", expected_version=order.version - 1)
    assert len(events(db, order.number)) == 3


def test_return_needs_a_reason_and_sends_the_order_back_to_the_centre(db, world):
    order = make_order(db, world, upto=Action.SIGN)
    with pytest.raises(NoteRequired):
        act(db, order.number, Action.RETURN, world.handler, note="   ")
    with pytest.raises(InvalidInput, match="退单原因"):
        act(db, order.number, Action.RETURN, world.handler, note="不属于本街道辖区")
    returned = act(db, order.number, Action.RETURN, world.handler, note="不属于本街道辖区", return_reason="outside")
    assert returned.status is Status.RETURNED
    assert returned.owner_unit_id == world.centre.id
    redispatched = act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.department.id)
    assert redispatched.owner_unit_id == world.department.id


def test_dispatch_needs_a_unit_that_can_receive_orders(db, world):
    order = make_order(db, world)
    with pytest.raises(Exception, match="承办单位") as caught:
        act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.centre.id)
    assert caught.value.status == 422


def test_direct_reply_is_only_for_consultations(db, world):
    complaint = make_order(db, world)
    with pytest.raises(IllegalAction):
        act(db, complaint.number, Action.DIRECT_REPLY, world.operator, note="答复")
    consultation = make_order(db, world, type="consultation")
    answered = act(db, consultation.number, Action.DIRECT_REPLY, world.operator, note="请携带身份证到政务中心办理")
    assert answered.status is Status.ARCHIVED
    assert answered.reply_text == "请携带身份证到政务中心办理"


def test_unsatisfied_callback_reopens_to_the_same_unit(db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    called = act(db, order.number, Action.CALLBACK, world.reviewer, reached=True, resolution="unresolved",
                 satisfaction="unsatisfied", note="问题依旧")
    assert called.satisfaction.value == "unsatisfied"
    reopened = act(db, order.number, Action.REOPEN, world.dispatcher, note="市民不满意，重新办理")
    assert reopened.status is Status.DISPATCHED
    assert reopened.owner_unit_id == world.street.id
    assert reopened.satisfaction is None


def test_callback_without_reaching_the_citizen_needs_no_rating(db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    with pytest.raises(Exception, match="联系到市民") as caught:
        act(db, order.number, Action.CALLBACK, world.reviewer, reached=True)
    assert caught.value.status == 422
    unreached = act(db, order.number, Action.CALLBACK, world.reviewer, reached=False, note="无人接听")
    assert unreached.status is Status.REVIEWED  # one unanswered try: the reviewer calls again later
    assert unreached.callback_attempts == 1


def test_void_is_reversible_by_the_centre(db, world):
    order = make_order(db, world)
    voided = act(db, order.number, Action.VOID, world.dispatcher, note="重复来电")
    assert voided.status is Status.VOIDED
    assert voided.closed_at is not None
    restored = act(db, order.number, Action.RESTORE, world.dispatcher, note="误作废")
    assert restored.status is Status.ACCEPTED
    assert restored.closed_at is None


def test_the_trail_refuses_updates_and_deletes(db, world):
    order = make_order(db, world, upto=Action.SIGN)
    for statement in ("UPDATE order_events SET note = 'changed'", "DELETE FROM order_events"):
        with pytest.raises(DBAPIError), db.transaction() as s:
            s.execute(text(statement))
    assert len(events(db, order.number)) == 3


def test_handlers_see_their_subtree_only(db, world):
    mine = make_order(db, world, upto=Action.DISPATCH)
    elsewhere = make_order(db, world)
    act(db, elsewhere.number, Action.DISPATCH, world.dispatcher, unit_id=world.other_street.id)
    with db.read() as s:
        seen_by_handler, _ = queries.list_orders(s, viewer=world.handler, filters=OrderFilters())
        seen_by_grid, _ = queries.list_orders(s, viewer=world.gridworker, filters=OrderFilters())
        seen_by_leader, _ = queries.list_orders(s, viewer=world.leader, filters=OrderFilters())
    assert [o.number for o in seen_by_handler] == [mine.number]
    assert seen_by_grid == []
    assert {o.number for o in seen_by_leader} == {mine.number, elsewhere.number}


def test_revealing_the_phone_is_in_the_trail_and_confidential_orders_refuse(db, world):
    order = make_order(db, world, upto=Action.DISPATCH)
    with db.transaction() as s:
        found = queries.get_for_update(s, order.number, viewer=world.handler)
        assert order_service.reveal_phone(s, found, actor=world.handler) == "13812345678"
    assert events(db, order.number)[-1].action is Action.VIEW_PHONE
    secret = make_order(db, world, upto=Action.DISPATCH, confidential=True)
    with pytest.raises(Forbidden), db.transaction() as s:
        order_service.reveal_phone(s, queries.get_for_update(s, secret.number, viewer=None), actor=world.handler)


def test_a_created_order_is_fully_loaded_after_its_transaction(db, world):
    registered = order_service.create_order_once(db, order_data(), actor=world.operator, key=None, scope="t")
    order = registered.order
    assert registered.created
    for column in WorkOrder.__table__.columns:
        getattr(order, column.key)  # a column the create forgot would raise DetachedInstanceError here
    assert order.owner_unit.name == world.centre.name
    assert order.attachments == []
    assert order.version == 1
