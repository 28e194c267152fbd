"""The people page and API: who may read the figures, and the grid worker's form for patrols and visits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from minhu.core import clock
from minhu.core.db import Database
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import Role
from minhu.people.models import GridRound, RoundKind
from tests.factories import PASSWORD
from tests.intake.test_pages import csrf_of, login


def round_count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(GridRound)) or 0


def test_a_grid_worker_records_a_visit_from_the_page(client, db, world) -> None:
    login(client, world.gridworker)
    page = client.get("/people")
    assert page.status_code == 200
    assert "登记巡查 / 入户走访" in page.text

    response = client.post("/people/rounds", data={"kind": "visit", "note": "走访独居老人",
                                                    "csrf_token": csrf_of(page.text)})

    assert response.status_code == 200  # followed back to the page
    assert "已登记入户走访" in response.text
    with db.read() as s:
        (recorded,) = s.scalars(select(GridRound)).all()
    assert (recorded.kind, recorded.grid_id, recorded.worker_id, recorded.note) == (
        RoundKind.VISIT, world.grid.id, world.gridworker.id, "走访独居老人")
    # The visit counts at once in the worker's row.
    row = response.text.split(f'data-worker="{world.gridworker.username}"', 1)[1].split("</tr>", 1)[0]
    assert row.count('<td class="num">1</td>') == 1


def test_a_visit_in_the_future_is_refused_with_a_reason(client, db, world) -> None:
    login(client, world.gridworker)
    token = csrf_of(client.get("/people").text)
    tomorrow = (clock.city_now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post("/people/rounds", data={"kind": "patrol", "at": tomorrow, "csrf_token": token})

    assert "时间不能晚于现在" in response.text
    assert round_count(db) == 0


def test_a_note_no_database_can_store_is_refused_with_a_reason(client, db, token_for, world) -> None:
    # PostgreSQL refuses a NUL in text: the write failed with a 500 there, and SQLite stored it.
    headers = {**token_for(world.gridworker), "Content-Type": "application/json"}
    # Sent as JSON text: the escapes stand for what a client's JSON can carry.
    refused = [client.post("/api/v1/grid-rounds", content='{"kind": "patrol", "note": "巡查' + escape + '"}',
                           headers=headers) for escape in ("\\u0000完毕", "\\ud800")]
    login(client, world.gridworker)
    token = csrf_of(client.get("/people").text)
    page = client.post("/people/rounds", data={"kind": "patrol", "note": "巡查\x00完毕", "csrf_token": token})

    assert [r.status_code for r in refused] == [422, 422]
    assert [r.json()["error"]["details"][0]["field"] for r in refused] == ["note", "note"]
    assert "文本不能包含 NUL 字符" in page.text
    assert round_count(db) == 0


def test_only_grid_workers_record_rounds(client, db, world) -> None:
    login(client, world.handler)
    page = client.get("/people")
    assert page.status_code == 200
    assert "登记巡查 / 入户走访" not in page.text

    response = client.post("/people/rounds", data={"kind": "patrol", "csrf_token": csrf_of(page.text)})

    assert response.status_code == 403
    assert round_count(db) == 0


def test_a_department_has_no_people_figures(client, token_for, db, world) -> None:
    with db.transaction() as s:
        clerk = org_service.create_user(s, username="dept", password=PASSWORD, full_name="部门 承办人",
                                        role=Role.HANDLER, unit=s.merge(world.department))

    response = client.get("/api/v1/people/figures", headers=token_for(clerk))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "people_forbidden"


def test_the_api_gives_the_figures_and_records_rounds(client, token_for, world) -> None:
    created = client.post("/api/v1/grid-rounds", json={"kind": "patrol", "note": "例行巡查"},
                          headers=token_for(world.gridworker))
    assert created.status_code == 201, created.text
    assert created.json()["grid_id"] == world.grid.id

    figures = client.get("/api/v1/people/figures", headers=token_for(world.leader)).json()

    (worker,) = [w for w in figures["workers"] if w["username"] == world.gridworker.username]
    assert worker["figures"]["patrols"] == 1
    assert [s["unit"]["name"] for s in figures["streets"]] == ["积玉桥街"]


def test_the_api_refuses_a_round_from_another_role_or_long_ago(client, token_for, world) -> None:
    refused = client.post("/api/v1/grid-rounds", json={"kind": "patrol"}, headers=token_for(world.handler))
    long_ago = (clock.now() - timedelta(days=40)).isoformat()
    stale = client.post("/api/v1/grid-rounds", json={"kind": "visit", "at": long_ago},
                        headers=token_for(world.gridworker))
    bad_period = client.get("/api/v1/people/figures?from=2026-13-01", headers=token_for(world.leader))

    assert refused.status_code == 403
    assert stale.status_code == 422
    assert stale.json()["error"]["details"][0]["field"] == "at"
    assert bad_period.status_code == 422


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"kind": "patrol", "note": "例行\x00巡查"}, "note", "文本不能包含 NUL 字符"),
    ({"kind": "patrol", "note": "例行\x1b[31m巡查"}, "note", "文本不能包含控制字符（U+001B）"),
    ({"kind": "patrol", "note": "例行巡查", "grid_id": 99}, "grid_id", "不接受此字段"),
])
def test_the_api_refuses_a_round_with_a_control_character_or_an_unknown_field(client, db, token_for, world, body,
                                                                                field, message) -> None:
    refused = client.post("/api/v1/grid-rounds", json=body, headers=token_for(world.gridworker))

    assert refused.status_code == 422, refused.text
    details = refused.json()["error"]["details"]
    assert [(d["field"], d["message"]) for d in details] == [(field, message)]
    assert round_count(db) == 0


def test_a_rounds_note_keeps_its_line_breaks_and_tabs(client, db, token_for, world) -> None:
    note = "走访独居老人。\r\n\t家中停水两天，已报物业。"
    created = client.post("/api/v1/grid-rounds", json={"kind": "visit", "note": note},
                          headers=token_for(world.gridworker))
    assert created.status_code == 201, created.text
    login(client, world.gridworker)
    page = client.post("/people/rounds", data={"kind": "patrol", "note": note, "csrf_token": csrf_of(
        client.get("/people").text)})
    assert page.status_code == 200
    with db.read() as s:
        assert sorted(s.scalars(select(GridRound.note))) == [note, note]


def test_the_page_refuses_a_note_with_a_nul_and_records_nothing(client, db, world) -> None:
    login(client, world.gridworker)
    token = csrf_of(client.get("/people").text)
    refused = client.post("/people/rounds", data={"kind": "visit", "note": "走访\x00独居老人", "csrf_token": token},
                          headers={"Accept": "text/html"})
    assert refused.status_code == 422
    assert "文本不能包含 NUL 字符" in refused.text
    assert round_count(db) == 0


def test_the_page_prints_rates_with_two_decimals_like_the_rest_of_the_product(client, db, world) -> None:
    with db.transaction() as s:
        s.execute(update(Unit).where(Unit.id == world.community.id).values(staff_posts=3, staff_filled=2))
    login(client, world.leader)
    staffing = client.get("/people").text.split('id="staffing"')[1].split("</section>")[0]
    assert '<td class="num">33.33%</td>' in staffing


def test_the_page_says_the_visit_rates_have_no_data(client, db, world) -> None:
    """见面率、上门率、入户率 need a record per request of meeting, door and home, which minhu does not keep: the page
    says so instead of showing a rate made up from the visit counts."""
    login(client, world.leader)
    workers = client.get("/people").text.split('id="workers"', 1)[1].split("</section>", 1)[0]
    assert "见面率、上门率、入户率：暂无数据" in workers
