"""The callback queue: approved replies waiting for the reviewer's call, overdue ones first."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.core.errors import Conflict
from minhu.orders import callbacks as order_callbacks
from minhu.orders import queries
from minhu.orders.enums import CallbackMethod
from minhu.orders.models import CallbackAttempt, WorkOrder
from minhu.orders.states import Action, Status
from minhu.supervision import setup
from tests.factories import act, make_order
from tests.intake.test_pages import csrf_of, login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_reviewer_sees_replied_orders_by_callback_deadline_overdue_first(client, db, world):
    with clock.frozen(datetime(2026, 11, 1, tzinfo=SHANGHAI)), db.transaction() as s:
        setup.seed_calendar(s)
        setup.load_policy_file(s)
    with clock.frozen(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)):
        older = make_order(db, world, upto=Action.APPROVE, title="路灯不亮")  # callback due Wed 11-25 17:30
    with clock.frozen(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)):
        newer = make_order(db, world, upto=Action.APPROVE, title="垃圾清运不及时")  # due Mon 11-30 17:30
        make_order(db, world, upto=Action.SIGN, title="还在办理")
    login(client, world.reviewer)
    with clock.frozen(datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)):
        page = client.get("/callbacks").text
    assert "2 件，其中" in page
    assert "1 件已超回访时限" in page
    rows = page.split('id="callbacks"')[1]
    assert rows.index(older.number) < rows.index(newer.number)
    assert "还在办理" not in rows
    # A list of many shows numbers masked; the reviewer calls from the order's own sheet, where the view is noted.
    assert "13812345678" not in rows
    assert "138****5678" in rows
    assert '<span class="light red"' in rows.split(newer.number)[0]
    login(client, world.handler)
    assert client.get("/callbacks").status_code == 403


# --- the retry policy ------------------------------------------------------------------------------------

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)


def _trail(db, order):
    with db.read() as s:
        found = s.scalars(select(WorkOrder).where(WorkOrder.number == order.number)).one()
        return [(e.action, e.to_status) for e in queries.events_of(s, found)]


def _attempts(db, order):
    with db.read() as s:
        return s.scalars(select(CallbackAttempt).where(CallbackAttempt.order_id == order.id)
                         .order_by(CallbackAttempt.id)).all()


def test_an_unanswered_call_is_recorded_and_the_order_waits_for_the_next_try(db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    with clock.frozen(T0):
        tried = act(db, order.number, Action.CALLBACK, world.reviewer, reached=False, method="phone", note="无人接听")
    assert tried.status is Status.REVIEWED
    assert tried.callback_attempts == 1
    assert tried.unreachable is False
    assert tried.callback_reached is None
    assert _trail(db, order)[-1] == (Action.CALLBACK_UNREACHED, Status.REVIEWED)
    [attempt] = _attempts(db, order)
    assert (attempt.reached, attempt.method, attempt.note, attempt.actor_id) == (
        False, CallbackMethod.PHONE, "无人接听", world.reviewer.id)


def test_a_second_unanswered_try_before_the_retry_interval_is_refused(db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    with clock.frozen(T0):
        act(db, order.number, Action.CALLBACK, world.reviewer, reached=False)
    with clock.frozen(T0 + timedelta(minutes=30)), pytest.raises(Conflict) as refused:
        act(db, order.number, Action.CALLBACK, world.reviewer, reached=False)
    assert refused.value.code == "callback_too_soon"
    assert "11:00" in refused.value.message  # 120 minutes after the first try
    # The citizen who answers is recorded whenever the call comes.
    with clock.frozen(T0 + timedelta(minutes=31)):
        reached = act(db, order.number, Action.CALLBACK, world.reviewer, reached=True, resolution="resolved",
                      satisfaction="satisfied")
    assert reached.status is Status.CALLED_BACK
    assert (reached.callback_reached, reached.unreachable, reached.callback_attempts) == (True, False, 2)
    assert reached.callback_method is CallbackMethod.PHONE


def test_the_last_allowed_unanswered_try_closes_the_callback_as_unreachable(db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    for hours in (0, 2, 4):
        with clock.frozen(T0 + timedelta(hours=hours)):
            last = act(db, order.number, Action.CALLBACK, world.reviewer, reached=False, method="visit")
    assert last.status is Status.CALLED_BACK
    assert (last.unreachable, last.callback_reached, last.callback_attempts) == (True, False, 3)
    assert last.resolution is None
    assert last.satisfaction is None
    assert [a for a, _ in _trail(db, order)][-3:] == [Action.CALLBACK_UNREACHED, Action.CALLBACK_UNREACHED,
                                                      Action.CALLBACK]
    assert len(_attempts(db, order)) == 3


def test_the_policy_comes_from_the_settings(db, world):
    order_callbacks.configure(max_attempts=1, retry_minutes=0)
    order = make_order(db, world, upto=Action.APPROVE)
    closed = act(db, order.number, Action.CALLBACK, world.reviewer, reached=False)
    assert closed.status is Status.CALLED_BACK
    assert closed.unreachable


def test_re_handling_starts_the_callback_afresh(db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    for hours in (0, 2, 4):
        with clock.frozen(T0 + timedelta(hours=hours)):
            act(db, order.number, Action.CALLBACK, world.reviewer, reached=False)
    with clock.frozen(T0 + timedelta(hours=5)):
        reopened = act(db, order.number, Action.REOPEN, world.dispatcher, note="无法联系，请承办单位上门核实")
    assert (reopened.unreachable, reopened.callback_attempts, reopened.callback_reached) == (False, 0, None)
    with clock.frozen(T0 + timedelta(hours=6)):
        for action, actor, fields in ((Action.SIGN, world.handler, {}),
                                      (Action.REPLY, world.handler, {"note": "已上门"}),
                                      (Action.APPROVE, world.dispatcher, {})):
            act(db, order.number, action, actor, **fields)
        # The earlier round's tries do not hold the new one back.
        again = act(db, order.number, Action.CALLBACK, world.reviewer, reached=False)
    assert again.status is Status.REVIEWED
    assert again.callback_attempts == 1


def test_the_api_records_an_unanswered_try_and_says_when_to_call_again(client, db, world, token_for):
    order = make_order(db, world, upto=Action.APPROVE)
    url = f"/api/v1/orders/{order.number}/actions/callback"
    with clock.frozen(T0):
        first = client.post(url, json={"expected_version": order.version, "reached": False, "method": "phone"},
                            headers=token_for(world.reviewer))
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["status"], body["callback_attempts"], body["unreachable"]) == ("reviewed", 1, False)
    with clock.frozen(T0 + timedelta(minutes=5)):
        again = client.post(url, json={"expected_version": body["version"], "reached": False},
                            headers=token_for(world.reviewer))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "callback_too_soon"


# --- the pages ---------------------------------------------------------------------------------------------


def _close_unreachable(db, world, **overrides):
    order = make_order(db, world, upto=Action.APPROVE, **overrides)
    for hours in (0, 2, 4):
        with clock.frozen(T0 + timedelta(hours=hours)):
            order = act(db, order.number, Action.CALLBACK, world.reviewer, reached=False)
    return order


def test_the_queue_counts_unreachable_callbacks_apart(client, db, world):
    waiting = make_order(db, world, upto=Action.APPROVE, title="路灯不亮")
    with clock.frozen(T0):
        retrying = act(db, make_order(db, world, upto=Action.APPROVE, title="井盖缺失").number, Action.CALLBACK,
                       world.reviewer, reached=False)
    gone = _close_unreachable(db, world, title="噪音扰民")
    login(client, world.reviewer)
    with clock.frozen(T0 + timedelta(hours=5, minutes=30)):
        page = client.get("/callbacks").text
    assert "2 件" in page.split('id="callback-counts"')[1].split("</small>")[0]
    assert "无法联系 1 件" in page
    queue_rows = page.split('id="callbacks"')[1].split("</table>")[0]
    unreachable_rows = page.split('id="unreachable"')[1].split("</table>")[0]
    assert waiting.number in queue_rows
    assert retrying.number in queue_rows
    assert gone.number not in queue_rows
    assert gone.number in unreachable_rows
    assert "3 次" in unreachable_rows
    assert "未接通 1 次" in queue_rows


def test_the_callback_sheet_records_a_try_and_the_queue_says_when_to_call_again(client, db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    login(client, world.reviewer)
    with clock.frozen(T0):
        sheet = client.get(f"/callbacks/{order.number}")
        assert sheet.status_code == 200
        assert "满 3 次未接通即按无法联系结束回访" in sheet.text
        done = client.post(f"/callbacks/{order.number}", data={
            "csrf_token": csrf_of(sheet.text), "expected_version": str(order.version), "method": "phone",
            "reached": "false", "note": "关机"}, follow_redirects=True)
    assert "第 1 次未接通已记录" in done.text
    assert "11:00 后再拨" in done.text
    with clock.frozen(T0 + timedelta(minutes=10)):
        sheet = client.get(f"/callbacks/{order.number}")
        refused = client.post(f"/callbacks/{order.number}", data={
            "csrf_token": csrf_of(sheet.text), "expected_version": str(order.version + 1), "method": "phone",
            "reached": "false"}, follow_redirects=True)
    assert "请于 2026-11-30 11:00 后再拨" in refused.text
    assert "关机" in refused.text  # the sheet lists the earlier try


def test_the_order_page_shows_an_unreachable_callback_and_an_unsatisfied_citizen(client, db, world):
    gone = _close_unreachable(db, world)
    unhappy = make_order(db, world, upto=Action.APPROVE)
    act(db, unhappy.number, Action.CALLBACK, world.reviewer, reached=True, resolution="unresolved",
        satisfaction="unsatisfied", method="visit")
    login(client, world.reviewer)
    page = client.get(f"/orders/{gone.number}").text
    assert 'data-outcome="unreachable"' in page
    assert "3 次未接通，已按无法联系结束回访" in page
    page = client.get(f"/orders/{unhappy.number}").text
    outcome = page.split('id="callback-outcome"')[1].split("</p>")[0]
    assert "上门回访" in outcome
    assert "不满意" in outcome
    assert "未解决" in outcome


def test_an_unanswered_call_from_the_order_page_says_it_was_a_try(client, db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    login(client, world.reviewer)
    page = client.get(f"/orders/{order.number}").text
    answered = client.post(f"/orders/{order.number}/act", data={
        "csrf_token": csrf_of(page), "action": "callback", "expected_version": str(order.version),
        "reached": "false", "method": "phone", "note": "无人接听"}, follow_redirects=True).text
    assert "已记录回访未接通" in answered
    assert "已回访<" not in answered
    with db.read() as s:
        assert queries.get_visible(s, order.number, viewer=world.reviewer).status is Status.REVIEWED


def test_the_queue_page_costs_the_same_queries_for_one_order_or_six(client, db, world):
    from sqlalchemy import event

    def statements_for_page() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            seen.append(statement)

        event.listen(db.read_engine, "before_cursor_execute", count)
        try:
            assert client.get("/callbacks").status_code == 200
        finally:
            event.remove(db.read_engine, "before_cursor_execute", count)
        return len(seen)

    make_order(db, world, upto=Action.APPROVE, title="第一件")
    login(client, world.reviewer)
    one = statements_for_page()
    for n in range(5):
        make_order(db, world, upto=Action.APPROVE, title=f"又一件{n}")
    assert statements_for_page() == one


def _rating_sms_becomes(db, order, status) -> None:
    from minhu.notify.enums import DeliveryStatus
    from minhu.notify.models import OutboxMessage

    with db.transaction() as s:
        sms = s.scalars(select(OutboxMessage).where(OutboxMessage.order_id == order.id,
                                                    OutboxMessage.template_key == "order.rate")).one()
        sms.status = DeliveryStatus(status)


def test_the_queue_says_the_rating_sms_was_sent_only_once_the_outbox_delivered_it(client, db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    login(client, world.reviewer)

    def said() -> tuple[str, str]:
        queue = client.get("/callbacks").text.split(f'data-number="{order.number}"')[1].split("</tr>")[0]
        sheet = client.get(f"/callbacks/{order.number}").text.split('id="rating-link"')[1].split("</dd>")[0]
        return queue, sheet

    for text in said():  # queued, not yet out of the door
        assert "评价短信待发送" in text
        assert "已发短信" not in text
    _rating_sms_becomes(db, order, "dead")
    for text in said():
        assert "评价短信发送失败" in text
        assert "已发短信" not in text
    _rating_sms_becomes(db, order, "sent")
    for text in said():
        assert "已发短信评价链接" in text


def test_a_refused_callback_keeps_what_the_reviewer_chose_and_wrote(client, db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    login(client, world.reviewer)
    sheet = client.get(f"/callbacks/{order.number}")
    refused = client.post(f"/callbacks/{order.number}", data={
        "csrf_token": csrf_of(sheet.text), "expected_version": str(order.version), "method": "visit",
        "reached": "true", "satisfaction": "unsatisfied", "note": "市民说路灯还是不亮"})  # no 解决情况
    assert refused.status_code == 422
    page = refused.text
    assert 'class="flash error"' in page
    assert '<option value="visit" selected>' in page
    assert re.search(r'name="reached" value="true" required\s+checked', page)
    assert re.search(r'name="satisfaction" value="unsatisfied"\s+checked', page)
    assert "市民说路灯还是不亮</textarea>" in page
    with db.read() as s:
        assert queries.get_visible(s, order.number, viewer=world.reviewer).status is Status.REVIEWED
