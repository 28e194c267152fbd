"""吹哨报到 and returns: the centre calls units onto an order, each reports its part (late ones counted),
a unit returns an order with a reason, and the dispatcher's ruling becomes a line of the matrix."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.core.errors import InvalidInput
from minhu.orders import queries
from minhu.orders.errors import IllegalAction
from minhu.orders.models import OrderCall
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.roles import Role, UnitKind
from minhu.routing import catalog
from minhu.routing.models import RoutingRule
from tests.factories import act, make_order


@pytest.fixture
def second_department(db, world):
    with db.transaction() as s:
        unit = org_service.create_unit(s, code="D2", name="区市场监管局", kind=UnitKind.DEPARTMENT,
                                       parent=s.merge(world.district))
        officer = org_service.create_user(s, username="shijian", password="a-long-password", full_name="市监 王",
                                          role=Role.HANDLER, unit=unit)
        officer_dept = org_service.create_user(s, username="chengguan", password="a-long-password",
                                               full_name="城管 李", role=Role.HANDLER, unit=s.merge(world.department))
    return unit, officer, officer_dept


def test_the_dispatcher_whistles_two_departments_and_each_reports(db, world, second_department):
    unit, officer, officer_dept = second_department
    order = make_order(db, world, upto=Action.SIGN)
    whistled = act(db, order.number, Action.WHISTLE, world.dispatcher, unit_ids=[world.department.id, unit.id],
                   note="请城管、市监到场联合执法")
    assert whistled.status is Status.HANDLING
    with db.read() as s:
        calls = s.scalars(select(OrderCall).where(OrderCall.order_id == order.id).order_by(OrderCall.id)).all()
        assert [c.unit_id for c in calls] == [world.department.id, unit.id]
        # A called unit now sees the order it was called onto, and may report on it.
        seen = queries.get_visible(s, order.number, viewer=officer)
        assert seen.id == order.id
    act(db, order.number, Action.REPORT, officer, note="已到场，责令商户整改")
    with clock.frozen(clock.now() + timedelta(hours=30)):  # past the 24-hour report limit
        act(db, order.number, Action.REPORT, officer_dept, note="已到场查处占道经营")
    with db.read() as s:
        calls = s.scalars(select(OrderCall).where(OrderCall.order_id == order.id).order_by(OrderCall.id)).all()
        assert [(c.reported_at is not None, c.late) for c in calls] == [(True, True), (True, False)]
        trail = [e.action for e in queries.events_of(s, s.get_one(type(order), order.id))]
    assert trail[-3:] == [Action.WHISTLE, Action.REPORT, Action.REPORT]
    # Reporting twice, or without being called, is not open.
    with pytest.raises(IllegalAction):
        act(db, order.number, Action.REPORT, officer, note="再报一次")
    # The lead unit replies; the order finishes as before.
    replied = act(db, order.number, Action.REPLY, world.handler, note="已联合处置完毕")
    assert replied.status is Status.REPLIED


def test_a_whistle_names_real_units_other_than_the_lead(db, world, second_department):
    unit, _officer, _ = second_department
    order = make_order(db, world, upto=Action.SIGN)
    with pytest.raises(InvalidInput, match="牵头单位"):
        act(db, order.number, Action.WHISTLE, world.handler, unit_ids=[world.street.id], note="叫自己")
    with pytest.raises(InvalidInput, match="请选择"):
        act(db, order.number, Action.WHISTLE, world.handler, unit_ids=[], note="没有单位")
    act(db, order.number, Action.WHISTLE, world.handler, unit_ids=[unit.id], note="请市监配合")
    with pytest.raises(InvalidInput, match="尚未报到"):
        act(db, order.number, Action.WHISTLE, world.handler, unit_ids=[unit.id], note="再叫一次")


def test_a_ruling_on_a_returned_order_becomes_a_rule_of_the_matrix(db, world):
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    order = make_order(db, world, upto=Action.SIGN, title="预付卡退费", content="健身房闭店，预付卡无法退费。")
    with db.transaction() as s:
        s.get_one(type(order), order.id).category_code = "060101"
    returned = act(db, order.number, Action.RETURN, world.handler, note="预付卡纠纷不属于街道职责",
                   return_reason="not_ours")
    assert returned.status is Status.RETURNED
    ruled = act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.department.id, make_rule=True,
                note="经裁定，由区城管执法局牵头")
    assert ruled.status is Status.DISPATCHED
    with db.read() as s:
        rule = s.scalars(select(RoutingRule)).one()
        assert (rule.category_code, rule.owner_unit_id) == ("060101", world.department.id)
        assert order.number in rule.source
        events = queries.events_of(s, s.get_one(type(order), order.id))
        assert events[-2].payload["reason"] == "not_ours"
        assert events[-1].payload["rule_id"] == rule.id
    # Only a ruling on a returned order can become a rule.
    fresh = make_order(db, world)
    with pytest.raises(InvalidInput, match="退单"):
        act(db, fresh.number, Action.DISPATCH, world.dispatcher, unit_id=world.department.id, make_rule=True)
