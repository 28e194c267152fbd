"""The worked example of docs/evaluation.md, through the API and the rankings page: twelve orders of one street in
October 2026 under both shipped policies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from minhu.core import clock
from minhu.core.db import Database
from tests.factories import World, insert_archived
from tests.intake.test_pages import login


def _october(day: int) -> datetime:
    return datetime(2026, 10, day, 10, 0, tzinfo=clock.city_tz())


@pytest.fixture
def example(db: Database, world: World) -> World:
    """Orders 1–12 of the worked example's table."""
    closed = _october(10)
    # Created ten days before closing, due four days later, answered on the sixth: finished late.
    late = {"created_at": closed - timedelta(days=10), "replied_at": closed - timedelta(days=4)}
    rows: list[dict[str, Any]] = [
        *({} for _ in range(6)),
        {"satisfaction": "basically"},
        {"resolution": "partly", "satisfaction": "basically", **late},
        {"resolution": "unresolved", "satisfaction": "unsatisfied", "ruling": "reasonable_not_now",
         "ruling_reason": "政策暂无规定", **late},
        # Responded 30 hours after creation against a 24-hour limit; the callback never reached anyone.
        {"responded_at": closed - timedelta(days=5) + timedelta(hours=30), "resolution": None,
         "satisfaction": None, "callback_reached": False, "unreachable": True, "callback_attempts": 3},
        {"ruling": "unreasonable", "ruling_reason": "诉求超出合理范围"},
    ]
    with db.transaction() as s:
        first = None
        for index, fields in enumerate(rows, start=1):
            order_id = insert_archived(s, number=f"EX{index:02d}", owner_unit_id=world.street.id, closed_at=closed,
                                       **fields)
            first = first or order_id
        insert_archived(s, number="EX12", owner_unit_id=world.street.id, closed_at=_october(12),
                        duplicate_of_id=first)
        # Outside the month, and not archived: neither counts.
        insert_archived(s, number="EX13", owner_unit_id=world.street.id, closed_at=_october(1) - timedelta(hours=11))
        insert_archived(s, number="EX14", owner_unit_id=world.street.id, closed_at=_october(20), status="called_back")
    return world


def test_worked_example_under_the_street_policy(client, token_for, example: World) -> None:
    body = client.get("/api/v1/rates", params={"unit": "S1", "period": "2026-10", "policy": "shuiguohu"},
                      headers=token_for(example.leader)).json()
    figures = body["figures"]
    assert body["policy"]["ref"] == "shuiguohu@1"
    assert body["period"] == {"key": "2026-10", "label": "2026年10月", "first": "2026-10-01", "last": "2026-10-31"}
    assert figures["counted"] == 10
    assert {r["key"]: (r["percent"], r["numerator"], r["denominator"]) for r in figures["rates"]} == {
        "response": ("90.00", "9", 10), "resolution": ("80.00", "8", 10), "satisfaction": ("88.89", "8", 9)}
    assert figures["score"] == "85.44"


def test_worked_example_in_the_beijing_style(client, token_for, example: World) -> None:
    body = client.get("/api/v1/rates", params={"unit": "S1", "period": "2026-10", "policy": "beijing"},
                      headers=token_for(example.leader)).json()
    figures = body["figures"]
    assert figures["counted"] == 9  # the policy gap (order 9) is taken out too
    assert {r["key"]: (r["percent"], r["numerator"], r["denominator"]) for r in figures["rates"]} == {
        "response": ("88.89", "8", 9), "resolution": ("87.50", "7", 8), "satisfaction": ("95.00", "38/5", 8)}
    assert figures["score"] == "91.01"


def test_the_district_sums_its_streets(client, token_for, example: World, db: Database) -> None:
    with db.transaction() as s:  # 水果湖街: three more orders, one of them unsatisfied
        for index, satisfaction in enumerate(("satisfied", "satisfied", "unsatisfied")):
            insert_archived(s, number=f"SG{index}", owner_unit_id=example.other_street.id, closed_at=_october(20),
                            satisfaction=satisfaction)

    def figures(**params: str) -> dict[str, Any]:
        body = client.get("/api/v1/rates", params={"period": "2026-10", **params},
                          headers=token_for(example.leader)).json()
        return {"unit": body["unit"]["name"], "counted": body["figures"]["counted"],
                "satisfaction": next(r for r in body["figures"]["rates"] if r["key"] == "satisfaction")}

    one, other, district = figures(unit="S1"), figures(unit="S2"), figures()
    assert district["unit"] == "武昌区"
    assert district["counted"] == one["counted"] + other["counted"] == 13
    # 8 of 9 answered and 2 of 3: the district's 10 of 12, not an average of the two rates.
    assert district["satisfaction"]["numerator"] == "10"
    assert district["satisfaction"]["denominator"] == 12


def test_ranking_marks_changes_and_bottom(client, token_for, example: World, db: Database) -> None:
    # 水果湖街 had a better September than 积玉桥街, and a worse October.
    with db.transaction() as s:
        for index in range(6):
            insert_archived(s, number=f"SG{index}", owner_unit_id=example.other_street.id,
                            closed_at=_october(15), satisfaction="unsatisfied" if index < 3 else "satisfied")
            insert_archived(s, number=f"SS{index}", owner_unit_id=example.other_street.id,
                            closed_at=_october(15) - timedelta(days=30))
            insert_archived(s, number=f"JS{index}", owner_unit_id=example.street.id,
                            closed_at=_october(15) - timedelta(days=30), satisfaction="unsatisfied")
    rows = client.get("/api/v1/rankings", params={"period": "2026-10", "kind": "street"},
                      headers=token_for(example.leader)).json()["rows"]
    by_name = {r["unit"]["name"]: r for r in rows}
    assert [r["unit"]["name"] for r in rows] == ["积玉桥街", "水果湖街"]
    jiyuqiao = by_name["积玉桥街"]
    assert (jiyuqiao["rank"], jiyuqiao["previous_rank"], jiyuqiao["change"]) == (1, 2, 1)
    assert (by_name["水果湖街"]["rank"], by_name["水果湖街"]["change"]) == (2, -1)
    assert by_name["水果湖街"]["bottom"] is False  # two ranked units do not make a bottom of two
    assert by_name["积玉桥街"]["last_year_rank"] is None


def test_ranking_page_shows_the_table(client, example: World) -> None:
    login(client, example.leader)
    page = client.get("/rankings", params={"period": "2026-10", "kind": "street"})
    assert page.status_code == 200
    assert "积玉桥街" in page.text
    assert "85.44" in page.text
    assert "88.89%" in page.text


@pytest.mark.parametrize(("params", "field"), [({"period": "2026-13"}, "period"), ({"policy": "nope"}, "policy"),
                                               ({"kind": "grid"}, "kind")])
def test_bad_query_is_a_clear_error(client, token_for, world: World, params: dict[str, str], field: str) -> None:
    response = client.get("/api/v1/rankings", params=params, headers=token_for(world.leader))
    assert response.status_code == 422
    assert any(d.get("field", "").endswith(field) or field in str(d.get("loc", "")) for d in
               response.json()["error"]["details"])


def test_only_an_administrator_loads_a_policy(client, token_for, world: World) -> None:
    from minhu.evaluation.policies import builtin_sources

    source = builtin_sources()["shuiguohu"].replace("version = 1", "version = 2").replace(
        'basically = "1"', 'basically = "0.8"')
    assert client.post("/api/v1/rate-policies", json={"source": source},
                       headers=token_for(world.leader)).status_code == 403
    loaded = client.post("/api/v1/rate-policies", json={"source": source}, headers=token_for(world.admin))
    assert loaded.status_code == 201
    assert loaded.json()["ref"] == "shuiguohu@2"
    again = client.post("/api/v1/rate-policies", json={"source": source}, headers=token_for(world.admin))
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "rate_policy_exists"
    refs = [p["ref"] for p in client.get("/api/v1/rate-policies", headers=token_for(world.leader)).json()]
    assert refs[:2] == ["shuiguohu@2", "shuiguohu@1"]
    broken = source.replace('weight = "0.50"', 'weight = "0.60"').replace("version = 2", "version = 3")
    refused = client.post("/api/v1/rate-policies", json={"source": broken}, headers=token_for(world.admin))
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "rates"


def test_the_command_line_prints_the_ranking_and_loads_a_policy(run, example: World, tmp_path) -> None:
    shown = run("rates", "show", "--period", "2026-10", "--kind", "street")
    assert shown.exit_code == 0, shown.output
    assert "2026年10月 街道排名" in shown.output
    line = next(line for line in shown.output.splitlines() if "积玉桥街" in line)
    assert "90.00%" in line
    assert "85.44" in line
    refused = run("rates", "show", "--period", "十月")
    assert refused.exit_code != 0
    assert "无法识别的统计期" in refused.output
    from minhu.evaluation.policies import builtin_sources

    policy = tmp_path / "policy.toml"
    policy.write_text(builtin_sources()["beijing"].replace("version = 1", "version = 2"), "utf-8")
    loaded = run("rates", "load", str(policy))
    assert loaded.exit_code == 0, loaded.output
    assert "beijing@2" in loaded.output
    assert run("rates", "load", str(policy)).exit_code != 0  # the same version again is refused


def test_the_page_says_what_it_did_with_a_query_it_cannot_use(client, world: World) -> None:
    login(client, world.leader)
    grid = client.get("/rankings", params={"kind": "grid"}).text
    assert "只对街道、职能部门、社区、物业公司排名，已显示街道排名" in grid
    reversed_span = client.get("/rankings", params={"period": "2026-10-15..2026-10-01"}).text
    assert "统计期的开始日期不能晚于结束日期" in reversed_span


def test_a_nul_in_a_unit_code_or_a_policy_is_refused_not_stored(client, token_for, world: World) -> None:
    refused = client.get("/api/v1/rates", params={"unit": "S1\x00"}, headers=token_for(world.leader))
    assert refused.status_code == 422
    source = 'code = "x"\nversion = 1\nname = "bad\\u0000name"\n'
    loaded = client.post("/api/v1/rate-policies", json={"source": source}, headers=token_for(world.admin))
    assert loaded.status_code == 422
    assert loaded.json()["error"]["details"][0]["field"] == "name"
    login(client, world.leader)
    assert client.get("/dissatisfied", params={"unit": "S1\x00"}).status_code == 422


def test_the_ranking_exports_as_a_workbook_with_percent_numbers(client, example: World) -> None:
    import io

    from openpyxl import load_workbook

    login(client, example.leader)
    page = client.get("/rankings", params={"period": "2026-10", "policy": "shuiguohu@1"}).text
    assert 'id="ranking-export" href="/rankings/export?period=2026-10&policy=shuiguohu%401&kind=street"' in page
    response = client.get("/rankings/export", params={"period": "2026-10", "policy": "shuiguohu@1", "kind": "street"})
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.title == "街道排名"
    headers = [cell.value for cell in sheet[1]]
    row = dict(zip(headers, sheet[2], strict=False))
    assert row["单位"].value == "积玉桥街"
    assert row["综合得分"].value == 85.44
    assert row["满意率"].value == pytest.approx(0.8889)
    assert row["满意率"].number_format == "0.00%"
    assert client.get("/rankings/export", params={"kind": "grid"}).status_code == 422
