"""Leaders' scheduling (调度): a meeting's instructions (批示) reach their units through the outbox and the trail of
the orders they are about, all of them or none; a unit sees and acknowledges its own; the leader's week lists the
bottom units, the orders past red and the whistles not reported."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from minhu.core import clock
from minhu.core.errors import Forbidden, InvalidInput
from minhu.notify.enums import NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import Role, UnitKind
from minhu.scheduling import queries, service
from minhu.scheduling.models import Instruction, InstructionState, SchedulingMeeting
from minhu.scheduling.schemas import MeetingCreate
from minhu.scheduling.weeks import parse_week
from tests.factories import PASSWORD, act, insert_archived, make_order
from tests.intake.test_pages import csrf_of, login

WEEK = "2026-W49"  # the week of the tests' clock (Monday 2026-11-30)
MONDAY = date(2026, 11, 30)


def meeting(*instructions: dict[str, Any], **fields: Any) -> MeetingCreate:
    return MeetingCreate.model_validate({"week": WEEK, "held_on": MONDAY.isoformat(), "chair": "王强区长",
                                         "notes": "本周调度", "instructions": list(instructions), **fields})


def record(db, actor, *instructions: dict[str, Any], **fields: Any) -> int:
    with db.transaction() as s:
        return service.record_meeting(s, meeting(*instructions, **fields), actor=actor).id


def counts(db) -> tuple[int, int, int, int]:
    with db.read() as s:
        return (s.scalar(select(func.count()).select_from(SchedulingMeeting)) or 0,
                s.scalar(select(func.count()).select_from(Instruction)) or 0,
                s.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.action == Action.INSTRUCT)) or 0,
                s.scalar(select(func.count()).select_from(OutboxMessage)
                         .where(OutboxMessage.template_key == service.TEMPLATE)) or 0)


def inbox_of(db, user) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(OutboxMessage.body).where(OutboxMessage.user_id == user.id,
                                                               OutboxMessage.channel == NotifyChannel.INBOX.value,
                                                               OutboxMessage.template_key == service.TEMPLATE)))


def test_an_instruction_on_an_order_reaches_its_unit_and_its_trail_without_moving_it(db, world):
    order = make_order(db, world, upto=Action.SIGN)
    record(db, world.leader, {"text": "本周内约谈施工单位，周五前报结果", "order_number": order.number,
                              "due_on": "2026-12-04"},
           {"text": "加强夜间巡查", "unit_id": world.street.id})
    with db.read() as s:
        moved = s.get_one(WorkOrder, order.id)
        events = s.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)).all()
    assert moved.status is Status.SIGNED
    assert moved.version == order.version
    last = events[-1]
    assert last.action is Action.INSTRUCT
    assert last.note == "本周内约谈施工单位，周五前报结果"
    assert last.from_status is last.to_status is Status.SIGNED
    assert last.payload["unit_name"] == "积玉桥街"
    assert last.payload["chair"] == "王强区长"
    messages = inbox_of(db, world.handler)
    assert len(messages) == 2
    assert any("【领导批示】王强区长" in m and order.number in m and "2026-12-04" in m for m in messages)
    assert any("加强夜间巡查" in m for m in messages)
    assert inbox_of(db, world.other_handler) == []


def test_an_instruction_to_a_unit_without_accounts_saves_nothing(db, world):
    order = make_order(db, world, upto=Action.SIGN)
    with pytest.raises(InvalidInput) as raised:
        record(db, world.leader, {"text": "本周内约谈施工单位", "order_number": order.number},
               {"text": "牵头整治占道经营", "unit_id": world.department.id})
    assert raised.value.code == "unit_without_accounts"
    assert "区城管执法局" in raised.value.message
    assert "第 2 条" in raised.value.message
    assert raised.value.details[0]["field"] == "instructions.1.unit_id"
    assert counts(db) == (0, 0, 0, 0)  # not the meeting, not the good instruction, not its event or message


def test_an_order_out_of_sight_or_unknown_is_named_and_nothing_is_saved(db, world):
    theirs = make_order(db, world, upto=Action.SIGN)  # 积玉桥街's
    with db.transaction() as s:
        other_leader = org_service.create_user(s, username="lead2", password=PASSWORD, full_name="水果湖街 领导",
                                               role=Role.LEADER, unit=s.get_one(Unit, world.other_street.id))
    with pytest.raises(InvalidInput) as raised:
        record(db, other_leader, {"text": "请协调", "unit_id": world.other_street.id},
               {"text": "请解决", "order_number": theirs.number}, {"text": "请解决", "order_number": "WC000000"})
    assert raised.value.code == "instruction_order_not_found"
    assert [d["field"] for d in raised.value.details] == ["instructions.1.order_number", "instructions.2.order_number"]
    assert theirs.number in raised.value.message
    assert "WC000000" in raised.value.message
    with pytest.raises(InvalidInput, match="不在您的管辖范围内"):
        record(db, other_leader, {"text": "请协调", "unit_id": world.street.id})
    assert counts(db) == (0, 0, 0, 0)


def test_an_instruction_needs_words_and_one_target(db, world):
    with pytest.raises(ValueError, match="不能为空"):
        meeting({"text": "   ", "unit_id": world.street.id})
    with pytest.raises(ValueError, match="二选一"):
        meeting({"text": "请办理", "unit_id": world.street.id, "order_number": "WC1"})
    with pytest.raises(ValueError, match="二选一"):
        meeting({"text": "请办理"})


def test_only_leaders_and_the_centre_record_meetings(db, world):
    with pytest.raises(Forbidden):
        record(db, world.handler, {"text": "请办理", "unit_id": world.street.id})
    record(db, world.dispatcher, {"text": "请办理", "unit_id": world.street.id})
    assert counts(db)[0] == 1


def test_a_unit_sees_and_acknowledges_its_own_instructions_only(db, world, client, token_for):
    with db.transaction() as s:
        org_service.create_user(s, username="dept", password=PASSWORD, full_name="城管 承办", role=Role.HANDLER,
                                unit=s.get_one(Unit, world.department.id))
    record(db, world.leader, {"text": "积玉桥街：清理和平大道占道", "unit_id": world.street.id},
           {"text": "水果湖街：整治东湖边噪音", "unit_id": world.other_street.id},
           {"text": "城管：配合积玉桥街", "unit_id": world.department.id})
    mine = client.get("/api/v1/instructions", headers=token_for(world.handler)).json()
    assert [i["text"] for i in mine] == ["积玉桥街：清理和平大道占道"]
    assert mine[0]["state"] == InstructionState.PENDING
    # Not the grid's below it, not another street's: a handler reads its own unit's.
    assert client.get("/api/v1/instructions", headers=token_for(world.gridworker)).json() == []
    assert len(client.get("/api/v1/instructions", headers=token_for(world.leader)).json()) == 3
    assert client.post(f"/api/v1/instructions/{mine[0]['id']}/acknowledge", json={},
                       headers=token_for(world.other_handler)).status_code == 404
    assert client.post(f"/api/v1/instructions/{mine[0]['id']}/acknowledge", json={},
                       headers=token_for(world.leader)).json()["error"]["code"] == "not_the_addressee"
    done = client.post(f"/api/v1/instructions/{mine[0]['id']}/acknowledge", json={"reply": "周三前清理完毕"},
                       headers=token_for(world.handler))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "acknowledged"
    assert done.json()["acknowledged_by"] == world.handler.full_name
    again = client.post(f"/api/v1/instructions/{mine[0]['id']}/acknowledge", json={},
                        headers=token_for(world.handler))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "instruction_acknowledged"


def test_the_api_refuses_a_bad_meeting_with_a_clear_error(db, world, client, token_for):
    body = {"week": WEEK, "held_on": "2026-12-01", "chair": "王强区长",
            "instructions": [{"text": "请办理", "unit_id": world.street.id},
                             {"text": "请配合", "unit_id": world.department.id}]}
    refused = client.post("/api/v1/scheduling/meetings", json=body, headers=token_for(world.leader))
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "unit_without_accounts"
    assert "区城管执法局" in error["message"]
    empty = client.post("/api/v1/scheduling/meetings", headers=token_for(world.leader),
                        json={**body, "instructions": [{"text": "", "unit_id": world.street.id}]})
    assert empty.status_code == 422
    assert empty.json()["error"]["details"][0]["field"] == "instructions.0.text"
    outside = client.post("/api/v1/scheduling/meetings", headers=token_for(world.leader),
                          json={**body, "held_on": "2026-12-09", "instructions": body["instructions"][:1]})
    assert outside.status_code == 422
    assert outside.json()["error"]["details"][0]["field"] == "held_on"
    assert client.post("/api/v1/scheduling/meetings", json={**body, "instructions": body["instructions"][:1]},
                       headers=token_for(world.handler)).status_code == 403
    assert counts(db) == (0, 0, 0, 0)
    made = client.post("/api/v1/scheduling/meetings", json={**body, "instructions": body["instructions"][:1]},
                       headers=token_for(world.leader))
    assert made.status_code == 201, made.text
    assert made.json()["instructions"][0]["unit_name"] == "积玉桥街"
    assert client.get("/api/v1/scheduling/weeks/2026-W60", headers=token_for(world.leader)).status_code == 422


def _ranked_week(db, world) -> None:
    """Five archived orders a street in the tests' week: 水果湖街's all unsatisfied, the others' satisfied."""
    with db.transaction() as s:
        third = org_service.create_unit(s, code="S3", name="杨园街", kind=UnitKind.STREET,
                                        parent=s.get_one(Unit, world.district.id))
        closed = clock.now() + timedelta(days=1)
        for street_id, satisfaction in ((world.street.id, "satisfied"), (world.other_street.id, "unsatisfied"),
                                        (third.id, "satisfied")):
            for n in range(5):
                insert_archived(s, number=f"WC{street_id:04d}{n:06d}", owner_unit_id=street_id, closed_at=closed,
                                satisfaction=satisfaction,
                                resolution="resolved" if satisfaction == "satisfied" else "unresolved")


def test_the_leaders_week_lists_bottom_units_red_orders_and_whistles_not_reported(timed, world):
    db = timed
    _ranked_week(db, world)
    late = make_order(db, world, upto=Action.SIGN, title="和平大道污水外溢")
    called = make_order(db, world, upto=Action.SIGN, title="东湖路占道经营")
    act(db, called.number, Action.WHISTLE, world.handler, unit_ids=[world.other_street.id], note="请水果湖街配合")
    record(db, world.leader, {"text": "请本周办结", "order_number": late.number})
    with clock.frozen(clock.now() + timedelta(days=6)), db.read() as s:
        leader = s.get_one(type(world.leader), world.leader.id)
        view = queries.week_view(s, parse_week(WEEK), viewer=leader, now=clock.now(), today=clock.city_now().date())
    assert next(b.name for b in view.bottom_units if b.kind_label == "街道") == "水果湖街"
    assert late.number in {o.number for o in view.red_orders}
    assert view.red_total >= 2
    assert [(c.number, c.unit_name, c.overdue) for c in view.pending_calls] == [(called.number, "水果湖街", True)]
    assert [i.text for i in view.instructions] == ["请本周办结"]
    assert view.meetings[0].chair == "王强区长"
    # The next week has its own meetings: none yet.
    with db.read() as s:
        later = queries.week_view(s, parse_week("2026-W50"), viewer=world.leader, now=clock.now(),
                                  today=clock.city_now().date())
    assert later.instructions == []
    assert later.meetings == []


def test_the_week_page_and_the_meeting_form_record_all_or_nothing(db, world, client):
    order = make_order(db, world, upto=Action.SIGN)
    login(client, world.leader)
    page = client.get("/scheduling")
    assert page.status_code == 200
    assert "末位单位" in page.text
    assert "吹哨未报到" in page.text
    form = client.get("/scheduling/new?week=2026-W49")
    fields = {"csrf_token": csrf_of(form.text), "rows": "4", "week": WEEK, "held_on": "2026-12-01",
              "chair": "王强区长", "notes": "",
              "i0_text": "周五前办结", "i0_order": order.number,
              "i2_text": "牵头整治占道经营", "i2_unit": str(world.department.id)}
    refused = client.post("/scheduling/meetings", data=fields)
    assert refused.status_code == 422
    assert "第 3 条批示" in refused.text
    assert "区城管执法局" in refused.text
    assert "未保存" in refused.text
    assert "周五前办结" in refused.text  # what was typed is still there
    assert counts(db) == (0, 0, 0, 0)
    fields["i2_unit"] = str(world.street.id)
    saved = client.post("/scheduling/meetings", data=fields, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/scheduling?week={WEEK}"
    week = client.get(saved.headers["location"]).text
    assert "周五前办结" in week
    assert "牵头整治占道经营" in week
    assert "待接收" in week
    more = client.post("/scheduling/meetings", data={**fields, "more": "1"})
    assert more.status_code == 200
    assert 'name="i6_text"' in more.text
    assert counts(db)[0] == 1  # 再加三条 saves nothing


def test_the_order_page_shows_its_instruction_and_the_unit_acknowledges_there(db, world, client):
    order = make_order(db, world, upto=Action.SIGN)
    record(db, world.leader, {"text": "周五前办结并回复市民", "order_number": order.number})
    login(client, world.handler)
    page = client.get(f"/orders/{order.number}").text
    assert "领导批示" in page
    assert "周五前办结并回复市民" in page
    assert "确认接收" in page
    with db.read() as s:
        instruction_id = s.scalars(select(Instruction.id)).one()
    done = client.post(f"/instructions/{instruction_id}/acknowledge",
                       data={"csrf_token": csrf_of(page), "order": order.number, "reply": "已联系市民"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/orders/{order.number}"
    shown = client.get(f"/orders/{order.number}").text
    assert "已接收" in shown
    assert "已联系市民" in shown
    assert "确认接收" not in shown
    assert client.get("/scheduling").status_code == 403  # the week is the leaders' and the centre's
    listed = client.get("/instructions").text
    assert "周五前办结并回复市民" in listed


def test_malformed_form_input_shows_the_form_again_with_the_field_named(db, world, client):
    login(client, world.leader)
    token = csrf_of(client.get("/scheduling/new").text)
    base = {"csrf_token": token, "rows": "99999", "week": WEEK, "held_on": "2026-12-01", "chair": "王强区长",
            "i0_text": "请办理", "i0_unit": str(world.street.id)}
    for field, value, named in (("i0_unit", "积玉桥街", "单位"), ("i0_due", "2026-13-40", "完成时限"),
                                ("held_on", "昨天", "会议日期"), ("week", "2026-W99", "无法识别的周"),
                                ("i0_text", "", "批示内容：不能为空")):
        answer = client.post("/scheduling/meetings", data={**base, field: value})
        assert answer.status_code == 422, (field, answer.text[:200])
        assert named in answer.text
    assert counts(db) == (0, 0, 0, 0)
    assert client.get("/scheduling?week=not-a-week").status_code == 200  # shows this week, saying why
