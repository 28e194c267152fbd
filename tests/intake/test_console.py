"""The operator's console (话务台): the caller's history as the number is typed; where the request stands, how
routing reads it and what it may repeat as it is typed; the call registered joined to the matter the operator
chose, or answered on the call, or to be dispatched; the operator's calls and handling time today."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from minhu.core import clock
from minhu.intake.models import ConsoleCall
from minhu.orders import queries
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action, Status
from tests.duplicates.test_intake import LAMP, register
from tests.factories import make_order
from tests.intake.test_pages import csrf_of, login

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
CALLER = "13900001111"
# The lamp again, told on the phone by someone else.
CALL = {"type": "help", "channel": "hotline", "title": "3栋门口路灯坏了", "citizen_phone": "13711112222",
        "content": "幸福里小区三栋楼下的路灯一直不亮，晚上很黑，请派人修。", "address": "",
        "latitude": str(LAMP["latitude"]), "longitude": str(LAMP["longitude"])}


def page_csrf(client) -> str:
    return csrf_of(client.get("/console").text)


def order(db, number: str):
    with db.read() as s:
        return s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()


def registered_number(response) -> str:
    assert response.status_code == 303, response.text
    found = re.search(r"registered=([A-Z0-9]+)", response.headers["location"])
    assert found is not None
    return found.group(1)


def test_only_the_centres_intake_uses_the_console(client, world):
    login(client, world.handler)
    assert client.get("/console").status_code == 403
    login(client, world.operator)
    page = client.get("/console")
    assert page.status_code == 200
    assert 'href="/console"' in page.text
    assert "今日受理 <strong>0</strong> 件" in page.text


def test_typing_the_callers_number_shows_their_earlier_and_open_orders(client, db, world):
    with clock.frozen(NOW - timedelta(days=2)):
        make_order(db, world, citizen_phone=CALLER, title="楼上漏水", upto=Action.ARCHIVE)
        make_order(db, world, citizen_phone=CALLER, title="噪音扰民")
    make_order(db, world, citizen_phone="13800009999", title="别人的事")
    login(client, world.operator)

    partial = client.get("/console/caller", params={"phone": "139 0000 1111"}).text
    half = client.get("/console/caller", params={"phone": "13900"}).text
    first_time = client.get("/console/caller", params={"phone": "13700007777"}).text

    assert "楼上漏水" in partial
    assert "噪音扰民" in partial
    assert "别人的事" not in partial
    assert "在办 1 件" in partial
    assert "输入完整的手机号" in half
    assert "首次来电" in first_time


def test_as_the_request_is_typed_the_console_shows_where_how_and_what_it_repeats(client, db, world):
    lamp = register(db, world, **LAMP)
    login(client, world.operator)
    live = client.post("/console/preview", data={"csrf_token": page_csrf(client), **CALL}).text

    assert 'id="console-route"' in live
    assert "等级" in live
    assert lamp.number in live, "the lamp reported before is listed as the same matter"
    assert "并入此事项（Alt+1）" in live
    assert "相距" in live
    empty = client.post("/console/preview", data={"csrf_token": page_csrf(client), "title": "", "content": ""})
    assert "输入标题或诉求内容后显示" in empty.text


def test_one_key_links_the_call_to_the_matter_and_the_trail_names_the_operator(client, db, world):
    lamp = register(db, world, **LAMP)
    login(client, world.operator)
    sent = client.post("/console", data={"csrf_token": page_csrf(client), "idem": "call-1", **CALL,
                                          "join": lamp.number, "started_at": str(int(NOW.timestamp() * 1000))},
                       follow_redirects=False)
    number = registered_number(sent)
    call = order(db, number)
    assert call.status is Status.JOINED
    assert call.duplicate_of_id == lamp.id
    with db.read() as s:
        merge = next(e for e in queries.events_of(s, call) if e.action is Action.MERGE)
    assert merge.actor_name == world.operator.full_name
    assert "判定为同一事项" in merge.note
    assert f"已并入工单 {lamp.number}" in client.get(sent.headers["location"]).text


def test_a_call_cannot_join_an_order_that_is_no_matter(client, db, world):
    voided = make_order(db, world)
    with db.transaction() as s:
        from minhu.orders import service as order_service
        from minhu.orders.schemas import ActionRequest
        target = s.get(WorkOrder, voided.id)
        order_service.apply_action(s, target, Action.VOID, actor=world.dispatcher,
                                   params=ActionRequest(expected_version=target.version, note="重复录入"))
    login(client, world.operator)
    before = len(list(_orders(db)))
    refused = client.post("/console", data={"csrf_token": page_csrf(client), "idem": "call-2", **CALL,
                                             "join": voided.number})
    assert refused.status_code == 422
    assert "不能并入" in refused.text
    assert len(list(_orders(db))) == before


def _orders(db):
    with db.read() as s:
        return s.scalars(select(WorkOrder)).all()


def test_a_consultation_answered_on_the_call_is_closed_and_never_dispatched(client, db, world):
    login(client, world.operator)
    sent = client.post("/console", data={
        "csrf_token": page_csrf(client), "idem": "call-3", "type": "consultation", "channel": "hotline",
        "title": "公租房申请条件", "content": "想问一下公租房怎么申请，需要什么材料。", "citizen_phone": CALLER,
        "answer_now": "on", "answer": "请携带身份证、户口本到街道政务服务中心窗口申请，详见市住房保障局网站。"},
        follow_redirects=False)
    call = order(db, registered_number(sent))
    assert call.status is Status.ARCHIVED
    assert call.reply_text.startswith("请携带身份证")
    with db.read() as s:
        actions = [e.action for e in queries.events_of(s, call)]
    assert Action.DISPATCH not in actions
    assert Action.DIRECT_REPLY in actions


def test_only_a_consultation_is_answered_on_the_call(client, db, world):
    login(client, world.operator)
    refused = client.post("/console", data={"csrf_token": page_csrf(client), "idem": "call-4", **CALL,
                                             "answer_now": "on", "answer": "已告知"})
    assert refused.status_code == 422
    assert "只有咨询类诉求可以当场直接答复" in refused.text
    assert CALL["title"] in refused.text, "what was typed stays in the form"


def test_the_console_counts_the_operators_calls_and_handling_time_today(client, db, world):
    login(client, world.operator)
    for minutes, started_before in ((0, 90), (10, 150)):
        at = NOW + timedelta(minutes=minutes)
        with clock.frozen(at):
            registered_number(client.post("/console", data={
                "csrf_token": page_csrf(client), "idem": f"timed-{minutes}", **CALL, "title": f"来电 {minutes}",
                "started_at": str(int((at - timedelta(seconds=started_before)).timestamp() * 1000))},
                follow_redirects=False))
    with clock.frozen(NOW + timedelta(minutes=20)):
        page = client.get("/console").text
    assert "今日受理 <strong>2</strong> 件" in page
    assert "平均处理 <strong>2 分 0 秒</strong>" in page
    with db.read() as s:
        assert len(s.scalars(select(ConsoleCall)).all()) == 2
    with clock.frozen(NOW + timedelta(days=1)):
        login(client, world.operator)  # a session lasts twelve hours: the next morning is a new one
        assert "今日受理 <strong>0</strong> 件" in client.get("/console").text


def test_a_call_is_either_joined_or_answered_on_the_call_not_both(client, db, world, auto_join):
    lamp = register(db, world, **LAMP)
    login(client, world.operator)
    both = client.post("/console", data={"csrf_token": page_csrf(client), "idem": "call-5", **CALL,
                                          "type": "consultation", "join": lamp.number, "answer_now": "on",
                                          "answer": "已告知报修电话。"})
    assert both.status_code == 422
    assert "不能当场另行答复" in both.text
    # Answered on the call, a consultation intake would have joined by itself is answered, not joined.
    answered = client.post("/console", data={"csrf_token": page_csrf(client), "idem": "call-6", **CALL,
                                              "type": "consultation", "answer_now": "on",
                                              "answer": "路灯报修请拨打城管热线，已为您登记。"}, follow_redirects=False)
    call = order(db, registered_number(answered))
    assert call.status is Status.ARCHIVED
    assert call.duplicate_of_id is None


def test_an_answer_that_cannot_be_stored_is_refused_before_anything_is_written(client, db, world):
    login(client, world.operator)
    before = len(_orders(db))
    refused = client.post("/console", data={
        "csrf_token": page_csrf(client), "idem": "call-7", "type": "consultation", "channel": "hotline",
        "title": "公租房申请条件", "content": "想问公租房怎么申请。", "answer_now": "on", "answer": "长" * 30_000})
    assert refused.status_code == 422
    assert "答复内容过长" in refused.text
    assert len(_orders(db)) == before
