"""Unit figures against a small history built through the real actions: dispatches and returns (a
community that returns everything comes first, in red), reports on time, late and missing, escalations
accepted, refused and pending — on the page, in the drill-down and in the API."""

from datetime import timedelta

import pytest

from minhu.core import clock
from minhu.dispatch import units
from minhu.dispatch.schemas import Period
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.roles import Role
from minhu.routing import catalog
from tests.factories import PASSWORD, act, make_order
from tests.intake.test_pages import login


def _dispatched(db, world, unit, **fields):
    order = make_order(db, world)
    act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=unit.id, **fields)
    return order


@pytest.fixture
def history(db, world):
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        department_hand = org_service.create_user(s, username="dept", password=PASSWORD, full_name="城管 李",
                                                  role=Role.HANDLER, unit=s.merge(world.department))
        community_hand = org_service.create_user(s, username="comm", password=PASSWORD, full_name="社区 王",
                                                 role=Role.HANDLER, unit=s.merge(world.community))
    street, department, other = world.street, world.department, world.other_street
    now = clock.now()
    numbers: dict[str, str] = {}

    # 40 days ago, outside the period: the other street returned an order.
    with clock.frozen(now - timedelta(days=40)):
        old = _dispatched(db, world, other)
        act(db, old.number, Action.RETURN, world.other_handler, return_reason="not_ours", note="早已退回")

    # The community returns both orders it gets.
    for key in ("c1", "c2"):
        order = _dispatched(db, world, world.community)
        act(db, order.number, Action.RETURN, community_hand, return_reason="duplicate", note="重复工单")
        numbers[key] = order.number
    # The street returns three of nine; one of them goes on to the department.
    for key, category, reason in (("o1", "0201", "not_ours"), ("o2", "0201", "not_ours"), ("o3", "0301", "outside")):
        order = _dispatched(db, world, street, category_code=category)
        act(db, order.number, Action.RETURN, world.handler, return_reason=reason, note="请改派")
        numbers[key] = order.number
    act(db, numbers["o3"], Action.DISPATCH, world.dispatcher, unit_id=department.id)
    numbers["o5"] = _dispatched(db, world, department).number

    # Escalations asked by the street: accepted (to the department), refused, pending.
    for key in ("o4", "o6", "o7"):
        order = _dispatched(db, world, street)
        with db.transaction() as s:
            s.get_one(WorkOrder, order.id).grade = "B"
        act(db, order.number, Action.SIGN, world.handler)
        act(db, order.number, Action.ESCALATE, world.handler, note="需区级部门处理", grade="C")
        numbers[key] = order.number
    act(db, numbers["o4"], Action.ACCEPT_ESCALATION, world.dispatcher, unit_id=department.id)
    act(db, numbers["o6"], Action.REFUSE_ESCALATION, world.dispatcher, note="街道可自行处置")

    # Calls (吹哨) on the street's orders: the department on time and missing, the other street late and awaiting.
    for key in ("o8", "o9", "o10"):
        order = _dispatched(db, world, street)
        act(db, order.number, Action.SIGN, world.handler)
        numbers[key] = order.number
    act(db, numbers["o8"], Action.WHISTLE, world.dispatcher, unit_ids=[department.id, other.id], note="联合处置")
    act(db, numbers["o9"], Action.WHISTLE, world.dispatcher, unit_ids=[department.id], note="请城管到场")
    with clock.frozen(now + timedelta(hours=1)):
        act(db, numbers["o8"], Action.REPORT, department_hand, note="已到场")
    with clock.frozen(now + timedelta(hours=20)):
        act(db, numbers["o10"], Action.WHISTLE, world.dispatcher, unit_ids=[other.id], note="请协助")
    with clock.frozen(now + timedelta(hours=30)):
        act(db, numbers["o8"], Action.REPORT, world.other_handler, note="迟到了")
    return numbers


@pytest.fixture
def span() -> Period:
    today = clock.city_now().date()
    return Period(today - timedelta(days=1), today + timedelta(days=2))


@pytest.fixture
def later():
    """Figures read 30 hours on: the department's call on o9 is past its 24-hour limit, o10's is not."""
    with clock.frozen(clock.now() + timedelta(hours=30)):
        yield


def test_returns_reports_and_escalations_are_counted_per_unit(db, world, history, span, later):
    with db.read() as s:
        rows = {r.unit.code: r for r in units.unit_figures(s, span)}
        order = [r.unit.code for r in units.unit_figures(s, span)]
    assert order == ["S1C1", "S1", "D1", "S2"]  # highest return rate first; the other street received nothing
    community, street, department, other = rows["S1C1"], rows["S1"], rows["D1"], rows["S2"]
    assert (community.dispatched, community.returned, community.return_rate, community.standing) == (2, 2, 1.0,
                                                                                                     "alarm")
    assert community.returns_by_reason == {"duplicate": 2}
    assert (street.dispatched, street.returned, street.return_rate, street.standing) == (9, 3, 0.3333, "notable")
    assert street.returns_by_reason == {"not_ours": 2, "outside": 1}
    assert street.returns_by_category == {"环境保护": 2, "交通运输": 1}
    assert (street.escalations_requested, street.escalations_accepted, street.escalations_refused,
            street.escalations_pending) == (3, 1, 1, 1)
    assert (department.dispatched, department.returned, department.return_rate) == (3, 0, 0.0)
    assert (department.called, department.reported_on_time, department.reported_late, department.missing,
            department.awaiting) == (2, 1, 0, 1, 0)
    assert (other.dispatched, other.returned, other.return_rate) == (0, 0, None)  # the old return is outside
    assert (other.called, other.reported_on_time, other.reported_late, other.missing, other.awaiting) == (
        2, 0, 1, 0, 1)


def test_the_page_marks_the_unit_that_returns_everything_and_drills_down(client, db, world, history, span, later):
    login(client, world.leader)
    page = client.get(f"/dispatch/units?{span.query()}").text
    assert '<tr class="standing-alarm" data-unit="S1C1">' in page
    assert '<tr class="standing-notable" data-unit="S1">' in page
    assert page.index('data-unit="S1C1"') < page.index('data-unit="S1"') < page.index('data-unit="D1"')
    assert "重复工单 2" in page

    street = client.get(f"/dispatch/units/{world.street.id}?{span.query()}").text
    returns = street.split('id="unit-returns"')[1].split("</section>")[0]
    assert all(history[k] in returns for k in ("o1", "o2", "o3"))
    assert "不属于本单位职责：请改派" in returns
    escalations = street.split('id="unit-escalations"')[1].split("</section>")[0]
    assert "申请 B 级 → C 级：已同意" in escalations
    assert "已驳回" in escalations
    assert "待审核" in escalations
    department = client.get(f"/dispatch/units/{world.department.id}?{span.query()}").text
    calls = department.split('id="unit-calls"')[1].split("</section>")[0]
    assert history["o9"] in calls
    assert "未报到" in calls
    assert history["o8"] not in calls  # reported on time
    other = client.get(f"/dispatch/units/{world.other_street.id}?{span.query()}").text
    assert "逾期报到" in other.split('id="unit-calls"')[1].split("</section>")[0]
    assert client.get(f"/dispatch/units/999999?{span.query()}").status_code == 404


def test_the_api_gives_the_same_figures(client, world, history, span, later, token_for):
    headers = token_for(world.leader)
    body = client.get(f"/api/v1/dispatch/units?{span.query()}", headers=headers).json()
    assert body["period"] == {"first": span.first.isoformat(), "last": span.last.isoformat()}
    assert [u["unit"]["code"] for u in body["units"]] == ["S1C1", "S1", "D1", "S2"]
    street = body["units"][1]
    assert (street["dispatched"], street["returned"], street["return_rate"]) == (9, 3, 0.3333)
    assert street["returns_by_reason"] == {"not_ours": 2, "outside": 1}
    assert street["escalations_refused"] == 1
    detail = client.get(f"/api/v1/dispatch/units/{world.department.id}?{span.query()}", headers=headers).json()
    assert [c["number"] for c in detail["calls"]] == [history["o9"]]
    assert detail["figures"]["missing"] == 1
    assert client.get("/api/v1/dispatch/units", headers=token_for(world.handler)).json()["error"]["code"] == (
        "figures_forbidden")
    assert client.get("/api/v1/dispatch/units").status_code == 401


def test_a_streets_leader_reads_another_streets_figures_but_not_its_orders(client, db, world, history, span, later,
                                                                           token_for):
    with db.transaction() as s:
        leader = org_service.create_user(s, username="lead2", password=PASSWORD, full_name="水果湖街 赵",
                                         role=Role.LEADER, unit=s.merge(world.other_street))
    # Of the street's orders, the other street sees those it was called onto (吹哨), no other.
    called = {history["o8"], history["o10"]}
    detail = client.get(f"/api/v1/dispatch/units/{world.street.id}?{span.query()}", headers=token_for(leader)).json()
    assert detail["figures"]["returned"] == 3, "the figures are every leader's"
    assert detail["figures"]["dispatched"] == 9
    assert {o["number"] for o in detail["dispatched"]} == called
    assert detail["returned"] == []
    assert detail["escalations"] == []
    login(client, leader)
    page = client.get(f"/dispatch/units/{world.street.id}?{span.query()}").text
    assert {number for number in history.values() if number in page} == called
    district = client.get(f"/api/v1/dispatch/units/{world.street.id}?{span.query()}",
                          headers=token_for(world.leader)).json()
    assert {o["number"] for o in district["returned"]} == {history[k] for k in ("o1", "o2", "o3")}
