"""催办 and 督办 by hand: the centre and leaders urge or supervise an order; the trail keeps it."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from minhu.core import clock
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.notify.senders import InboxSender
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import Role
from minhu.supervision import setup
from tests.factories import PASSWORD, make_order
from tests.intake.test_pages import csrf_of, login
from tests.notify.helpers import POLICY, give_addresses


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


def _messages_to(db, user, template):
    with db.read() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                          OutboxMessage.template_key == template)
                              .order_by(OutboxMessage.id)))


def test_a_leaders_urge_reaches_the_handler_with_the_leaders_name_and_words(client, db, world):
    give_addresses(db, world.handler)
    order = make_order(db, world, upto=Action.SIGN)
    login(client, world.leader)
    page = client.get(f"/orders/{order.number}").text
    assert "批示内容" in page
    assert f"将以您的名义作为领导批示发给{world.street.name}的承办人" in page
    client.post(f"/orders/{order.number}/supervision", data={
        "csrf_token": csrf_of(page), "action": "urge", "note": "请本周内解决并回复"}, follow_redirects=True)

    sent = {m.channel: m for m in _messages_to(db, world.handler, "order.urged")}
    assert set(sent) == {NotifyChannel.INBOX, NotifyChannel.EMAIL, NotifyChannel.SMS}
    instruction = f"【领导批示】{world.leader.full_name}：请本周内解决并回复"
    assert instruction in sent[NotifyChannel.INBOX].body
    assert instruction in sent[NotifyChannel.SMS].body
    assert sent[NotifyChannel.INBOX].subject == f"【领导批示】工单 {order.number}「{order.title}」"
    assert all("即将到期" not in m.body + m.subject for m in sent.values())
    assert f"/orders/{order.number}" in sent[NotifyChannel.INBOX].body

    deliver_due(db, {NotifyChannel.INBOX: InboxSender()}, POLICY)
    login(client, world.handler)
    inbox = client.get("/inbox").text
    assert instruction in inbox


def test_a_dispatchers_urge_through_the_api_carries_their_words_and_a_supervision_goes_to_the_units_leader(
        client, db, world, token_for):
    order = make_order(db, world, upto=Action.SIGN)
    with db.transaction() as s:
        street_leader = org_service.create_user(s, username="jd-lead", password=PASSWORD, full_name="李主任",
                                                role=Role.LEADER, unit=s.get_one(Unit, world.street.id))
    urged = client.post(f"/api/v1/orders/{order.number}/urge", json={"note": "市民第三次来电，请今天联系"},
                        headers=token_for(world.dispatcher))
    assert urged.status_code == 200, urged.text
    inbox = next(m for m in _messages_to(db, world.handler, "order.urged") if m.channel is NotifyChannel.INBOX)
    assert f"【催办】{world.dispatcher.full_name}：市民第三次来电，请今天联系" in inbox.body

    due = clock.now() + timedelta(days=2)
    supervised = client.post(f"/api/v1/orders/{order.number}/supervise",
                             json={"note": "列入区级督办，周五前办结", "due_at": due.isoformat()},
                             headers=token_for(world.leader))
    assert supervised.status_code == 200, supervised.text
    notice = next(m for m in _messages_to(db, street_leader, "order.supervised") if m.channel is NotifyChannel.INBOX)
    assert f"【领导批示】{world.leader.full_name}：列入区级督办，周五前办结" in notice.body
    assert f"督办时限为 {due.astimezone(clock.city_tz()):%Y-%m-%d %H:%M}" in notice.body
    assert "超期未办结" not in notice.subject + notice.body
