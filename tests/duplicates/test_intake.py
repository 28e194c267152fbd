"""One matter however many times and ways it arrives (一事多办): intake recognises it, joins it or shows it to the
dispatcher with the reasons, and one handling answers every reporter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.core.db import Database
from minhu.notify.models import OutboxMessage
from minhu.orders import queries
from minhu.orders import service as order_service
from minhu.orders.errors import NoteRequired
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action, Status
from minhu.orders.trail import AUTO_JOINER
from tests.factories import World, act, make_order, order_data
from tests.intake.test_pages import csrf_of, login

# A point in 武昌 and what 30 m and 2 km north of it are.
LAT, LON = 30.5526, 114.3053
METRE = 1 / 111_320
LAMP = {"title": "幸福里小区3栋路灯不亮",
        "content": "幸福里小区3栋门口的路灯坏了一个多星期，晚上漆黑一片，老人出门不安全。",
        "address": None, "latitude": LAT, "longitude": LON}
# The same lamp, told by someone else in other words, through the web board, without a name or a phone.
LAMP_AGAIN = {"title": "路灯坏了没人修",
              "content": "我住在幸福里小区，三栋楼下那盏路灯一直不亮，昨晚走路差点摔倒，请派人修一下。",
              "channel": "web_board", "anonymous": True, "citizen_name": None, "citizen_phone": None,
              "address": None, "latitude": LAT + 30 * METRE, "longitude": LON}
FEE = {"title": "幸福里小区物业乱收费",
       "content": "幸福里小区物业今年把物业费从每平米1.2元涨到2元，没有开业主大会。",
       "address": None, "citizen_phone": "13900001111", "latitude": LAT, "longitude": LON}


def register(db: Database, world: World, actor: object = "operator", **fields: object) -> WorkOrder:
    user = world.operator if actor == "operator" else None
    with db.transaction() as s:
        return order_service.create_order(s, order_data(**fields), actor=user)


def reload(db: Database, order: WorkOrder) -> WorkOrder:
    with db.read() as s:
        return s.scalars(select(WorkOrder).where(WorkOrder.id == order.id)).one()


def creation_payload(db: Database, order: WorkOrder) -> dict[str, object]:
    with db.read() as s:
        return next(e.payload for e in queries.events_of(s, order) if e.action is Action.CREATE)


def test_a_second_report_of_one_lamp_joins_the_first_whatever_its_door(db, world, auto_join):
    first = register(db, world, **LAMP)
    second = register(db, world, actor=None, **LAMP_AGAIN)

    assert second.status is Status.JOINED
    assert second.duplicate_of_id == first.id
    [candidate, *_] = creation_payload(db, second)["duplicates"]
    assert candidate["number"] == first.number
    assert any(reason.startswith("相距") for reason in candidate["reasons"])
    with db.read() as s:
        merge = next(e for e in queries.events_of(s, second) if e.action is Action.MERGE)
    assert merge.actor_name == AUTO_JOINER
    assert first.number in merge.note
    # The first report goes on as before: handled once, for both.
    assert reload(db, first).status is Status.ACCEPTED


def test_the_look_alikes_are_not_joined(db, world, auto_join):
    first = register(db, world, **LAMP)
    fee = register(db, world, **FEE)
    far = register(db, world, **{**LAMP, "citizen_phone": "13900002222", "latitude": LAT + 2000 * METRE})

    assert (fee.status, fee.duplicate_of_id) == (Status.ACCEPTED, None)
    assert (far.status, far.duplicate_of_id) == (Status.ACCEPTED, None)
    assert first.number not in [c["number"] for c in creation_payload(db, fee).get("duplicates", [])]
    assert first.number not in [c["number"] for c in creation_payload(db, far).get("duplicates", [])]


def test_the_dispatcher_sees_a_candidate_with_its_reasons_and_merges_it_in_one_click(db, world, client):
    # Without automatic joining (a deployment's choice), intake only lists what it found.
    first = register(db, world, **LAMP)
    second = register(db, world, actor=None, **LAMP_AGAIN)
    assert second.status is Status.NEW
    login(client, world.dispatcher)

    page = client.get(f"/orders/{second.number}").text
    candidates = page.split('id="duplicate-candidates"')[1].split("</table>")[0]
    assert first.number in candidates
    assert "相距 30 米" in candidates
    assert "幸福里小区3栋路灯不亮" in candidates
    response = client.post(f"/orders/{second.number}/act", data={
        "csrf_token": csrf_of(page), "action": "merge", "expected_version": str(second.version),
        "duplicate_of": first.number}, follow_redirects=False)
    assert response.status_code == 303

    assert reload(db, second).status is Status.JOINED
    main_page = client.get(f"/orders/{first.number}").text
    reporters = main_page.split('id="joined-orders"')[1].split("</table>")[0]
    assert second.number in reporters
    assert "2 人次反映" in main_page


def test_a_handler_never_sees_the_dispatchers_merge_buttons(db, world, client):
    register(db, world, **LAMP)
    second = register(db, world, **LAMP_AGAIN)
    act(db, second.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    login(client, world.handler)
    page = client.get(f"/orders/{second.number}").text
    assert 'id="duplicate-candidates"' not in page
    assert "并入该事项" not in page


def sms_to(db: Database, order: WorkOrder) -> list[OutboxMessage]:
    with db.read() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.order_id == order.id,
                                                          OutboxMessage.template_key == "order.rate")))


def test_one_handling_answers_every_reporter_and_asks_each_of_them(timed, world, auto_join):
    db = timed
    first = make_order(db, world, **LAMP)
    second = register(db, world, actor=None, **{**LAMP_AGAIN, "citizen_phone": "13900003333"})
    third = register(db, world, **{**LAMP, "title": "3栋门口路灯坏了", "citizen_phone": "13900004444",
                                   "latitude": LAT - 20 * METRE})
    assert (second.duplicate_of_id, third.duplicate_of_id) == (first.id, first.id)

    for action, actor, fields in ((Action.DISPATCH, world.dispatcher, {"unit_id": world.street.id}),
                                  (Action.SIGN, world.handler, {}),
                                  (Action.REPLY, world.handler, {"note": "3栋门口路灯已更换灯头，恢复照明。"}),
                                  (Action.APPROVE, world.dispatcher, {})):
        act(db, first.number, action, actor, **fields)

    for joined in (second, third):
        now = reload(db, joined)
        assert now.status is Status.REVIEWED
        assert now.reply_text == "3栋门口路灯已更换灯头，恢复照明。"
        # Its own callback clock, started when the main order's reply was approved.
        assert now.callback_due_at is not None
        assert now.callback_due_at == reload(db, first).callback_due_at
        [sms] = sms_to(db, joined)
        assert sms.recipient == joined.citizen_phone
        # Answered by the street: a re-handling after an unsatisfied callback goes back to it.
        assert now.owner_unit_id == world.street.id
    assert [m.recipient for m in sms_to(db, first)] == [first.citizen_phone]


def test_a_report_after_the_answer_is_shown_not_joined_and_merging_it_gives_it_the_answer(db, world, auto_join):
    # After an answer, a report of the matter may say it is not solved: intake leaves it to the dispatcher.
    first = make_order(db, world, upto=Action.APPROVE, **LAMP)
    late = register(db, world, actor=None, **{**LAMP_AGAIN, "citizen_phone": "13900005555"})
    assert late.status is Status.NEW
    assert [c["number"] for c in creation_payload(db, late)["duplicates"]] == [first.number]

    act(db, late.number, Action.MERGE, world.dispatcher, duplicate_of=first.number)

    now = reload(db, late)
    assert now.status is Status.REVIEWED
    assert now.duplicate_of_id == first.id
    assert now.reply_text == reload(db, first).reply_text
    assert len(sms_to(db, late)) == 1


def test_a_caller_saying_it_is_still_not_fixed_is_not_joined_and_rises_a_grade(db, world, auto_join):
    first = make_order(db, world, upto=Action.CALLBACK, **LAMP, citizen_phone="13900007777")
    with db.transaction() as s:
        s.get_one(WorkOrder, first.id).resolution = "unresolved"
    again = register(db, world, **{**LAMP, "citizen_phone": "13900007777", "title": "路灯还是不亮"})

    assert again.duplicate_of_id is None
    assert again.status is Status.ACCEPTED
    assert creation_payload(db, again)["repeat_of"] == first.number


def test_voiding_a_main_order_sends_its_joined_reports_back_to_the_dispatcher(db, world, auto_join):
    first = register(db, world, **LAMP)
    second = register(db, world, actor=None, **LAMP_AGAIN)
    assert second.status is Status.JOINED

    act(db, first.number, Action.VOID, world.dispatcher, note="误登记")

    now = reload(db, second)
    assert (now.status, now.duplicate_of_id) == (Status.ACCEPTED, None)
    with db.read() as s:
        undone = [e for e in queries.events_of(s, second) if e.action is Action.UNMERGE]
    assert [e.actor_name for e in undone] == [AUTO_JOINER]
    assert "已作废" in undone[0].note


def test_a_joined_order_runs_no_clock_and_an_undoing_gives_back_what_it_had_left(timed, world, auto_join):
    db = timed
    register(db, world, **LAMP)
    second = register(db, world, **{**LAMP_AGAIN, "channel": "hotline"})
    assert reload(db, second).finish_due_at is None
    assert reload(db, second).finish_left_minutes is not None

    with clock.frozen(clock.now() + timedelta(days=2)):
        act(db, second.number, Action.UNMERGE, world.dispatcher, note="不是同一盏灯")
        resumed = reload(db, second)
        assert resumed.finish_due_at is not None
        assert resumed.finish_due_at > clock.now()
    assert resumed.owner_unit_id == world.centre.id


def test_a_join_is_undone_with_a_reason_and_the_trail_keeps_both(db, world, auto_join):
    first = register(db, world, **LAMP)
    second = register(db, world, actor=None, **LAMP_AGAIN)

    with pytest.raises(NoteRequired):
        act(db, second.number, Action.UNMERGE, world.dispatcher)
    act(db, second.number, Action.UNMERGE, world.dispatcher, note="不是同一盏灯：市民说的是5栋")

    now = reload(db, second)
    assert now.status is Status.ACCEPTED
    assert now.duplicate_of_id is None
    with db.read() as s:
        actions = [(e.action, e.payload.get("duplicate_of")) for e in queries.events_of(s, second)]
    assert (Action.MERGE, first.number) in actions
    assert (Action.UNMERGE, first.number) in actions


def test_merging_a_main_order_carries_its_joined_reports_along(db, world, auto_join):
    first = register(db, world, **LAMP)
    second = register(db, world, actor=None, **LAMP_AGAIN)
    elsewhere = register(db, world, **{**FEE, "latitude": LAT + 5000 * METRE, "title": "另一处事项"})

    act(db, first.number, Action.MERGE, world.dispatcher, duplicate_of=elsewhere.number)

    assert reload(db, first).duplicate_of_id == elsewhere.id
    assert reload(db, second).duplicate_of_id == elsewhere.id


def test_the_window_leaves_out_orders_closed_long_ago(db, world, auto_join):
    first = make_order(db, world, upto=Action.ARCHIVE, **LAMP)

    with clock.frozen(clock.now() + timedelta(days=45)):
        later = register(db, world, **{**LAMP_AGAIN, "channel": "hotline"})
    assert later.duplicate_of_id is None
    assert first.number not in [c["number"] for c in creation_payload(db, later).get("duplicates", [])]


def test_the_resident_whose_report_joined_follows_the_matter_without_seeing_anyone_else(db, world, client,
                                                                                        auto_join):
    first = register(db, world, **LAMP)
    second = register(db, world, actor=None, **{**LAMP_AGAIN, "citizen_phone": "13900006666"})
    act(db, first.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)

    page = client.get(f"/public/track?number={second.number}").text
    result = client.post("/public/track", data={"csrf_token": csrf_of(page), "number": second.number,
                                                "phone_last4": "6666"}).text

    assert "该事项已有相同诉求正在办理，您的诉求已合并办理" in result
    assert "已合并办理" in result
    assert "同一事项派单" in result
    assert first.number not in result
    assert "王女士" not in result
