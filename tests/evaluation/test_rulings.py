"""Review rulings (审核认定): a reviewer's finding with a reason, recorded in the trail, replaceable later."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from minhu.core import clock
from minhu.core.errors import InvalidInput
from minhu.orders import queries
from minhu.orders.enums import Ruling
from minhu.orders.errors import IllegalAction, NoteRequired
from minhu.orders.states import Action, Status
from tests.evaluation.builders import called_back
from tests.factories import act
from tests.intake.test_pages import csrf_of, login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_ruling_needs_a_finding_and_a_reason(db, world):
    order = called_back(db, world)
    with pytest.raises(NoteRequired):
        act(db, order.number, Action.RULE, world.reviewer, ruling="unreasonable", note="  ")
    with pytest.raises(InvalidInput) as missing:
        act(db, order.number, Action.RULE, world.reviewer, note="市民要求超出政策")
    assert missing.value.details[0]["field"] == "ruling"
    with pytest.raises(InvalidInput) as mismatched:
        act(db, order.number, Action.RULE, world.reviewer, ruling="reasonable_solved",
            unreasonable_kind="malicious", note="已解决")
    assert mismatched.value.details[0]["field"] == "unreasonable_kind"


def test_a_ruling_is_recorded_and_a_later_one_replaces_it_keeping_both(client, db, world):
    order = called_back(db, world)
    ruled = act(db, order.number, Action.RULE, world.reviewer, ruling="reasonable_not_now",
                note="老旧小区加装电梯尚无政策依据（政策空白）")
    assert ruled.status is Status.CALLED_BACK
    assert ruled.ruling is Ruling.REASONABLE_NOT_NOW
    act(db, order.number, Action.ARCHIVE, world.reviewer)
    with clock.frozen(datetime(2030, 1, 5, 10, 0, tzinfo=SHANGHAI)):
        again = act(db, order.number, Action.RULE, world.reviewer, ruling="unreasonable",
                    unreasonable_kind="other_channel", note="已进入信访渠道")
    assert again.status is Status.ARCHIVED
    assert again.closed_at.year != 2030  # the rates count it where it was archived
    assert (again.ruling, again.ruling_reason) == (Ruling.UNREASONABLE, "已进入信访渠道")
    with db.read() as s:
        rules = [e for e in queries.events_of(s, again) if e.action is Action.RULE]
    assert [e.payload["ruling"] for e in rules] == ["reasonable_not_now", "unreasonable"]
    assert rules[1].payload["previous"] == "reasonable_not_now"
    assert rules[1].payload["unreasonable_label"] == "已进入诉讼、仲裁、复议或信访渠道"

    login(client, world.leader)
    page = client.get(f"/orders/{order.number}").text
    assert "诉求不合理</strong>：已进入信访渠道" in page
    assert page.split('id="ruling-history"')[1].split("</ol>")[0].count("<li>") == 2


def test_a_handler_cannot_rule(client, db, world, token_for):
    order = called_back(db, world)
    with pytest.raises(IllegalAction):
        act(db, order.number, Action.RULE, world.handler, ruling="unreasonable", note="不合理")
    response = client.post(f"/api/v1/orders/{order.number}/actions/rule", headers=token_for(world.handler),
                           json={"expected_version": order.version, "ruling": "unreasonable", "note": "不合理"})
    assert response.status_code in (404, 409)
    assert response.json()["error"]["code"] in ("illegal_action", "not_found")
    login(client, world.dispatcher)
    assert 'data-action="rule"' not in client.get(f"/orders/{order.number}").text


def test_a_reviewer_rules_from_the_ledger(client, db, world):
    order = called_back(db, world, title="要求赔偿")
    login(client, world.reviewer)
    ledger = client.get("/dissatisfied").text
    response = client.post(f"/orders/{order.number}/act", data={
        "csrf_token": csrf_of(ledger), "action": "rule", "expected_version": str(order.version),
        "ruling": "out_of_scope", "note": "属民事纠纷，应通过诉讼解决", "next": "/dissatisfied?state=ruled"},
        follow_redirects=False)
    assert response.headers["location"] == "/dissatisfied?state=ruled"
    ruled = client.get("/dissatisfied?state=ruled").text
    assert f'data-number="{order.number}" data-state="ruled"' in ruled
    assert "不属于受理范围" in ruled


def test_the_citizen_tracking_the_order_does_not_see_the_ruling(client, db, world):
    order = called_back(db, world)
    act(db, order.number, Action.RULE, world.reviewer, ruling="unreasonable", unreasonable_kind="malicious",
        note="经核实为恶意诉求")
    token = csrf_of(client.get("/public/track").text)
    page = client.post("/public/track", data={"csrf_token": token, "number": order.number,
                                              "phone_last4": "5678"}).text
    assert order.number in page
    assert "恶意诉求" not in page
    assert "审核认定" not in page
