"""What the street does with a warning, by the API, the page and the command line: the centre, the district's
leaders and the street see it — the street only its own —; they acknowledge it, turn it into a task for a unit
with a due date, or dismiss it with a reason; others are refused, and a warning already handled is a conflict."""

from __future__ import annotations

import re

import pytest

from minhu.core import clock
from minhu.core.db import Database
from minhu.orders.models import WorkOrder
from minhu.warning import policy as policies
from minhu.warning.models import EarlyWarning, WarningState
from tests.intake.test_pages import csrf_of, login
from tests.warning.builders import DRAINS, THURSDAY, WEEK, plant, plant_background, run_scan, week_of


@pytest.fixture
def raised(db, world) -> int:
    plant_background(db, world, range(1, 11))
    plant(db, world, week=week_of(3), category=DRAINS, n=1)
    plant(db, world, week=WEEK, category=DRAINS, n=9)
    [warning_id] = run_scan(db).raised
    return warning_id


def state_of(db: Database, warning_id: int) -> EarlyWarning:
    with db.read() as s:
        return s.get_one(EarlyWarning, warning_id)


def test_the_street_and_the_centre_see_the_warning_with_its_orders(client, token_for, world, raised):
    for user in (world.handler, world.dispatcher, world.leader, world.admin):
        page = client.get("/api/v1/warnings", headers=token_for(user)).json()
        assert [w["id"] for w in page["items"]] == [raised], user.username
    one = client.get(f"/api/v1/warnings/{raised}", headers=token_for(world.handler)).json()
    assert one["community_name"] == "和平社区"
    assert one["street_name"] == "积玉桥街"
    assert one["observed"] == 9
    assert one["expected"] == pytest.approx(0.5)
    assert len(one["orders"]) == 9
    assert one["state"] == "new"
    assert one["state_label"] == "新预警"


def test_another_street_sees_none_of_it_and_others_are_refused(client, token_for, world, raised):
    other = token_for(world.other_handler)
    assert client.get("/api/v1/warnings", headers=other).json()["items"] == []
    missing = client.get(f"/api/v1/warnings/{raised}", headers=other)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "warning_not_found"
    assert client.post(f"/api/v1/warnings/{raised}/acknowledge", headers=other).status_code == 404
    for user in (world.operator, world.gridworker, world.reviewer):
        refused = client.get("/api/v1/warnings", headers=token_for(user))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "warning_forbidden"
        assert client.post(f"/api/v1/warnings/{raised}/acknowledge", headers=token_for(user)).status_code == 403


def test_the_street_acknowledges_then_turns_it_into_a_task(db, client, token_for, world, raised):
    headers = token_for(world.handler)
    seen = client.post(f"/api/v1/warnings/{raised}/acknowledge", headers=headers)
    assert seen.status_code == 200
    assert seen.json()["state"] == "acknowledged"
    again = client.post(f"/api/v1/warnings/{raised}/acknowledge", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "warning_state"
    task = client.post(f"/api/v1/warnings/{raised}/task", headers=headers, json={
        "unit_id": world.community.id, "due_on": "2026-12-10", "note": "排查雨水口，周四前清淤"})
    assert task.status_code == 200, task.text
    assert task.json()["task"]["unit_name"] == "和平社区"
    warning = state_of(db, raised)
    assert warning.state is WarningState.TASK
    assert warning.acknowledged_by_id == world.handler.id
    assert warning.task_by_id == world.handler.id
    assert str(warning.task_due_on) == "2026-12-10"
    # A task is the end of it: neither dismissed nor given again.
    dismissed = client.post(f"/api/v1/warnings/{raised}/dismiss", headers=headers, json={"reason": "重复"})
    assert dismissed.status_code == 409


@pytest.mark.parametrize(("body", "field"), [
    ({"unit_id": "{other}", "due_on": "2026-12-10", "note": "排查"}, "unit_id"),
    ({"unit_id": "{community}", "due_on": "2026-11-01", "note": "排查"}, "due_on"),
    ({"unit_id": "{community}", "due_on": "2026-12-10", "note": "  "}, "note"),
])
def test_a_task_needs_a_unit_of_the_street_a_date_ahead_and_words(client, token_for, world, raised, body, field):
    ids = {"{other}": world.other_street.id, "{community}": world.community.id}
    sent = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    answer = client.post(f"/api/v1/warnings/{raised}/task", headers=token_for(world.handler), json=sent)
    assert answer.status_code == 422
    assert field in str(answer.json()["error"]["details"])


def test_the_centre_dismisses_with_a_reason(db, client, token_for, world, raised):
    headers = token_for(world.dispatcher)
    assert client.post(f"/api/v1/warnings/{raised}/dismiss", headers=headers, json={"reason": ""}).status_code == 422
    done = client.post(f"/api/v1/warnings/{raised}/dismiss", headers=headers,
                       json={"reason": "同一场暴雨的集中来电，已统一处置"})
    assert done.status_code == 200
    warning = state_of(db, raised)
    assert warning.state is WarningState.DISMISSED
    assert warning.dismissed_by_id == world.dispatcher.id


def test_the_page_shows_the_warning_and_turns_it_into_a_task(db, client, world, raised):
    login(client, world.handler)
    page = client.get("/warnings")
    assert page.status_code == 200
    assert f'id="warning-{raised}"' in page.text
    assert "和平社区" in page.text
    warning = state_of(db, raised)
    with db.read() as s:
        number = s.get_one(WorkOrder, warning.order_ids[0]).number
    assert f'href="/orders/{number}"' in page.text
    done = client.post(f"/warnings/{raised}/task", data={
        "csrf_token": csrf_of(page.text), "unit_id": str(world.community.id), "due_on": "2026-12-10",
        "note": "排查雨水口"}, follow_redirects=False)
    assert done.status_code == 303
    assert state_of(db, raised).state is WarningState.TASK
    shown = client.get("/warnings").text
    assert "预警已转为任务" in shown
    assert re.search(r"任务：和平社区，2026-12-10 前完成", shown)


def test_the_page_refuses_a_grid_worker(client, world, raised):
    login(client, world.gridworker)
    assert client.get("/warnings", follow_redirects=False).status_code == 403


def test_an_administrator_tunes_the_rule_on_the_page(db, client, world):
    login(client, world.admin)
    page = client.get("/warnings")
    assert 'id="warning-policy"' in page.text
    saved = client.post("/warnings/policy", data={"csrf_token": csrf_of(page.text), "alpha": "0.01"},
                        follow_redirects=False)
    assert saved.status_code == 303
    with db.read() as s:
        assert policies.current(s).alpha == 0.01
    refused = client.post("/warnings/policy", data={"csrf_token": csrf_of(page.text), "alpha": "7"},
                          follow_redirects=False)
    assert refused.status_code == 303
    assert "alpha" in client.get("/warnings").text


def test_the_command_line_scans_and_tunes(db, world, run):
    plant_background(db, world, range(1, 11))
    plant(db, world, week=WEEK, category=DRAINS, n=9)
    with clock.frozen(THURSDAY):
        first = run("warning", "scan")
        again = run("warning", "scan", "--week", str(WEEK))
    assert first.exit_code == 0, first.output
    assert "新预警 1 条" in first.output
    assert "新预警 0 条" in again.output
    tuned = run("warning", "policy", "--set", "alpha=0.01", "--set", "min_count=4")
    assert tuned.exit_code == 0, tuned.output
    assert "alpha = 0.01" in tuned.output
    assert "min_count = 4" in tuned.output
    bad = run("warning", "policy", "--set", "alpha=2")
    assert bad.exit_code == 1
    assert "alpha" in bad.output
    assert "alpha = 0.001" in run("warning", "policy", "--reset").output
