"""催办 and 督办 by hand: the centre and leaders urge or supervise an order; the trail keeps it."""

from datetime import UTC, datetime, timedelta

from minhu.core import clock
from minhu.orders.states import Action
from minhu.supervision import setup
from tests.factories import make_order
from tests.intake.test_pages import csrf_of, login


def test_a_leader_urges_and_supervises_on_the_order_page(client, db, world):
    order = make_order(db, world, upto=Action.SIGN)
    login(client, world.leader)
    page = client.get(f"/orders/{order.number}").text
    assert 'id="urge-form"' in page
    urged = client.post(f"/orders/{order.number}/supervision", data={
        "csrf_token": csrf_of(page), "action": "urge", "note": "市民多次来电，请今天内答复"}, follow_redirects=True)
    assert "已催办" in urged.text
    assert "市民多次来电，请今天内答复" in urged.text
    due = (clock.city_now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    supervised = client.post(f"/orders/{order.number}/supervision", data={
        "csrf_token": csrf_of(urged.text), "action": "supervise", "note": "列入区督办", "due_at": due},
        follow_redirects=True)
    assert "已督办" in supervised.text
    past = client.post(f"/orders/{order.number}/supervision", data={
        "csrf_token": csrf_of(supervised.text), "action": "supervise", "note": "再督办",
        "due_at": "2020-01-01T09:00"}, follow_redirects=True)
    assert "督办时限须晚于现在" in past.text


def test_the_api_lets_the_centre_urge_and_refuses_a_handler(client, db, world, token_for):
    order = make_order(db, world, upto=Action.SIGN)
    refused = client.post(f"/api/v1/orders/{order.number}/urge", json={"note": "快办"},
                          headers=token_for(world.handler))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_a_supervisor"
    urged = client.post(f"/api/v1/orders/{order.number}/urge", json={"note": "请今天内联系市民"},
                        headers=token_for(world.dispatcher))
    assert urged.status_code == 200, urged.text
    events = client.get(f"/api/v1/orders/{order.number}/events", headers=token_for(world.dispatcher)).json()
    assert events[-1]["action"] == "urge"
    assert events[-1]["payload"]["unit_name"] == world.street.name
    empty = client.post(f"/api/v1/orders/{order.number}/urge", json={"note": ""}, headers=token_for(world.dispatcher))
    assert empty.status_code == 422
    assert empty.json()["error"]["details"][0]["field"] == "note"
    closed = make_order(db, world, upto=Action.ARCHIVE)
    late = client.post(f"/api/v1/orders/{closed.number}/urge", json={"note": "催"}, headers=token_for(world.dispatcher))
    assert late.status_code == 422
    assert late.json()["error"]["code"] == "order_closed"


def test_the_admin_sees_the_policy_enters_a_day_and_a_bad_policy_loads_nothing(client, db, world):
    with clock.frozen(datetime(2026, 11, 29, 9, 0, tzinfo=UTC)), db.transaction() as s:
        setup.seed_calendar(s)
        setup.load_policy_file(s)
    login(client, world.admin)
    with clock.frozen(datetime(2026, 11, 29, 9, 0, tzinfo=UTC)):
        page = client.get("/admin/time-limits").text
        assert "3个工作日办结" in page
        assert "2027 年的法定节假日和调休尚未录入" in page
        entered = client.post("/admin/time-limits/day", data={"csrf_token": csrf_of(page), "day": "2027-01-01",
                                                              "kind": "holiday", "name": "元旦"}, follow_redirects=True)
        assert "2027-01-01 已设为放假" in entered.text
        assert 'id="calendar-warning"' not in entered.text
    bad = client.post("/admin/time-limits/policy", data={"csrf_token": csrf_of(entered.text), "name": "坏政策"},
                      files={"file": ("p.csv", b"limit,grade\naccept,\n", "text/csv")}, follow_redirects=True)
    assert "时限政策表头应为" in bad.text
    assert "3个工作日办结" in bad.text  # the policy in force is untouched
    login(client, world.dispatcher)
    assert client.post("/admin/time-limits/day", data={"csrf_token": csrf_of(client.get("/supervision").text),
                                                       "day": "2027-01-02", "kind": "holiday"}).status_code == 403
