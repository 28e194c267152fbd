"""双考 beyond the three rates: the called units' scores (吹哨报到单位考核), the weekly bottom report (每周末位汇报)
and the reward marks (奖励), each from orders whose expected scores and ranks are worked out by hand below."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import InvalidInput
from minhu.evaluation import policies, rates, weekly
from minhu.evaluation.policies import PolicyError, builtin_sources
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import Role, UnitKind
from tests.evaluation.scoring_city import add_units, at, week_41, whistled_october
from tests.factories import World, act, insert_archived, make_order
from tests.intake.test_pages import login

# --------------------------------------------------------------------------- the called units (吹哨报到单位考核)

@pytest.fixture
def whistled(db: Database, world: World) -> dict[str, Unit]:
    return whistled_october(db, world)


def _called(client, token_for, world: World, **params: str) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/rankings/called", params=params, headers=token_for(world.leader))
    assert response.status_code == 200, response.text
    return {row["unit"]["name"]: row for row in response.json()["rows"]}


def test_called_units_are_scored_on_reports_and_on_the_callbacks_of_their_orders(client, token_for, world,
                                                                                  whistled) -> None:
    rows = _called(client, token_for, world, period="2026-10", policy="shuiguohu")
    # 报到率 40%, 解决率 30% (部分解决 ½), 满意率 30% (基本满意 1):
    # D1: 3/3 in time, 3/3 solved, 3/3 satisfied                → 100.00
    # D3: 3/3 in time (C3 is out with its order), 1/2, 1/2      → 40 + 15 + 15 = 70.00
    # D2: 2/4 in time, (1 + ½ + 0 + 1)/4 = 62.5%, 3/4 = 75%     → 20 + 18.75 + 22.5 = 61.25
    # D4: one call, fewer than the policy's two: not ranked.
    def brief(name: str) -> tuple[Any, ...]:
        row = rows[name]
        return (row["rank"], row["score"], row["calls"], row["reported_in_time"], row["reported_late"],
                row["unreported"], row["orders"], [r["percent"] for r in row["rates"]], row["bottom"])

    assert brief("区城管执法局") == (1, "100.00", 3, 3, 0, 0, 3, ["100.00", "100.00", "100.00"], False)
    assert brief("区环保局") == (2, "70.00", 3, 3, 0, 0, 2, ["100.00", "50.00", "50.00"], False)
    assert brief("区市场监管局") == (3, "61.25", 4, 2, 1, 1, 4, ["50.00", "62.50", "75.00"], True)
    assert brief("区住建局")[:3] == (None, "100.00", 1)
    assert list(rows) == ["区城管执法局", "区环保局", "区市场监管局", "区住建局"]


def test_the_called_units_weights_and_answers_follow_the_policy(client, token_for, world, whistled) -> None:
    rows = _called(client, token_for, world, period="2026-10", policy="beijing")
    # Beijing style: 部分解决 0, 基本满意 0.8.
    # D2: 2/4 → 20; (1 + 0 + 0 + 1)/4 = 50% → 15; (1 + 0.8 + 0 + 1)/4 = 70% → 21.
    assert rows["区市场监管局"]["score"] == "56.00"
    assert [r["percent"] for r in rows["区市场监管局"]["rates"]] == ["50.00", "50.00", "70.00"]
    # November holds only B5: D2's one unreported call.
    november = _called(client, token_for, world, period="2026-11")
    assert list(november) == ["区市场监管局"]
    assert (november["区市场监管局"]["calls"], november["区市场监管局"]["unreported"]) == (1, 1)


def test_the_rankings_page_shows_the_called_units(client, world, whistled) -> None:
    login(client, world.leader)
    page = client.get("/rankings", params={"period": "2026-10"})
    assert page.status_code == 200
    section = page.text.split('id="called-units"')[1].split("</section>")[0]
    assert "吹哨报到单位考核" in section
    assert "报到率 40% · 解决率 30% · 满意率 30%" in section
    assert section.index("区城管执法局") < section.index("区环保局") < section.index("区市场监管局")
    assert "61.25" in section
    assert "末位" in section


def test_the_command_line_prints_the_called_units(run, world, whistled) -> None:
    shown = run("rates", "called", "--period", "2026-10")
    assert shown.exit_code == 0, shown.output
    line = next(line for line in shown.output.splitlines() if "区市场监管局" in line)
    assert "61.25" in line
    assert "末位" in line


def test_a_real_whistle_and_a_late_report_count_against_the_caller(client, token_for, db, world) -> None:
    """Through the lifecycle: the street calls two departments, one reports late; the order is called back and
    archived this week."""
    units = add_units(db, world, ("D2", "区市场监管局", UnitKind.DEPARTMENT))
    with db.transaction() as s:
        officers = [org_service.create_user(s, username=name, password="a-long-password", full_name=name,
                                            role=Role.HANDLER, unit=s.merge(unit))
                    for name, unit in (("chengguan", world.department), ("shijian", units["D2"]))]
    order = make_order(db, world, upto=Action.SIGN)
    act(db, order.number, Action.WHISTLE, world.handler, unit_ids=[world.department.id, units["D2"].id],
        note="请城管、市监到场")
    act(db, order.number, Action.REPORT, officers[0], note="已到场")
    with clock.frozen(clock.now() + timedelta(hours=30)):
        act(db, order.number, Action.REPORT, officers[1], note="迟到报到")
        act(db, order.number, Action.REPLY, world.handler, note="已联合处置完毕，问题已解决")
        act(db, order.number, Action.APPROVE, world.dispatcher)
        act(db, order.number, Action.CALLBACK, world.reviewer, reached=True, resolution="resolved",
            satisfaction="satisfied")
        act(db, order.number, Action.ARCHIVE, world.reviewer)
    rows = _called(client, token_for, world, period="2026-W49")
    # Both solved and satisfied; 区城管执法局 reported in time (100), 区市场监管局 late: 0 × 40% + 30 + 30 = 60.
    assert (rows["区城管执法局"]["score"], rows["区市场监管局"]["score"]) == ("100.00", "60.00")
    assert (rows["区市场监管局"]["reported_late"], rows["区市场监管局"]["rank"]) == (1, None)  # one call < two
    report = client.get("/api/v1/rankings/weekly-bottom", params={"week": "2026-W49"},
                        headers=token_for(world.leader)).json()
    called_kind = next(k for k in report["kinds"] if k["kind"] == "called")
    assert called_kind["ranked"] == 2  # the week ranks from one call
    assert [u["unit"]["name"] for u in called_kind["units"]] == ["区市场监管局"]


# --------------------------------------------------------------------------- the weekly bottom report

@pytest.fixture
def week41(db: Database, world: World) -> dict[str, Unit]:
    return week_41(db, world)


def test_the_weekly_report_names_the_last_unit_of_each_kind(client, token_for, world, week41) -> None:
    body = client.get("/api/v1/rankings/weekly-bottom", params={"week": "2026-W41"},
                      headers=token_for(world.leader)).json()
    assert body["week"] == {"key": "2026-W41", "label": "2026年第41周（10月5日至10月11日）",
                            "first": "2026-10-05", "last": "2026-10-11"}
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert list(kinds) == ["street", "department", "community", "property", "called"]
    assert kinds["street"]["ranked"] == 3
    assert [(u["unit"]["name"], u["rank"], u["score"]) for u in kinds["street"]["units"]] == [("水果湖街", 3, "83.33")]
    assert [(u["unit"]["name"], u["rank"], u["score"]) for u in kinds["called"]["units"]] == [
        ("区市场监管局", 2, "60.00")]
    assert (kinds["department"]["ranked"], kinds["department"]["units"]) == (0, [])
    assert [(u["kind"], u["unit"]["name"]) for u in body["units"]] == [("street", "水果湖街"),
                                                                       ("called", "区市场监管局")]


def test_other_packages_ask_for_the_weeks_bottom_units(db, world, week41) -> None:
    with db.read() as s:
        named = weekly.bottom_units(s, rates.parse_week("2026-W41"))
        assert [(u.kind_label, u.unit.name) for u in named] == [("街道", "水果湖街"), ("吹哨报到单位", "区市场监管局")]
        # By default the week before this one (the suite's clock stands on Monday 30 November: week 48), empty.
        assert weekly.bottom_units(s) == []
        # The same week ranks the streets on the page's ranking too.
        beijing = policies.resolve(s, "beijing")
        assert next(u.unit.name for u in weekly.bottom_units(s, rates.week(2026, 41), policy=beijing)) == "水果湖街"


def test_the_rankings_page_shows_the_weekly_bottom_report(client, world, week41) -> None:
    login(client, world.leader)
    page = client.get("/rankings", params={"period": "2026-10", "week": "2026-W41"})
    section = page.text.split('id="weekly-bottom"')[1].split("</section>")[0]
    assert "每周末位汇报" in section
    assert "2026年第41周" in section
    assert "水果湖街（街道）、区市场监管局（吹哨报到单位），请在周调度会上汇报原因和整改措施" in section
    refused = client.get("/rankings", params={"period": "2026-10", "week": "第41周"})
    assert refused.status_code == 200
    assert "无法识别的周" in refused.text


def test_the_command_line_prints_the_weekly_bottom_report(run, world, week41) -> None:
    shown = run("rates", "weekly-bottom", "--week", "2026-W41")
    assert shown.exit_code == 0, shown.output
    assert "2026年第41周" in shown.output
    assert "街道（3 个单位排名）：水果湖街（第 3 名，83.33 分）" in shown.output
    assert "吹哨报到单位（2 个单位排名）：区市场监管局（第 2 名，60.00 分）" in shown.output
    refused = run("rates", "weekly-bottom", "--week", "2025-W53")
    assert refused.exit_code != 0
    assert "2025 年没有第 53 周" in refused.output


def test_a_bad_week_is_a_clear_error(client, token_for, world) -> None:
    answer = client.get("/api/v1/rankings/weekly-bottom", params={"week": "2026-10"},
                        headers=token_for(world.leader))
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "week"


def test_weeks_are_iso_weeks() -> None:
    w49 = rates.parse_week("2026-W49")
    assert (w49.start.isoformat(), w49.end.isoformat()) == ("2026-11-30", "2026-12-07")
    assert rates.parse_week("2026w1").previous().key == "2025-W52"
    assert rates.parse_period("2026-W53").a_year_before().key == "2025-W52"  # 2025 has no 53rd week
    assert rates.parse_period("2026-W49") == w49
    with pytest.raises(InvalidInput):
        rates.parse_week("2025-W53")


# --------------------------------------------------------------------------- rewards (奖励)

@pytest.fixture
def three_months(db: Database, world: World) -> dict[str, Unit]:
    """Three streets with five orders a month in August, September and October, k of each month's unsatisfied:
    score 10 + 40 + 50 × (5 − k)/5.

    | street | Aug k | Sep k | Oct k | ranks Aug, Sep, Oct | three months together |
    | --- | --- | --- | --- | --- | --- |
    | 积玉桥街 | 0 (100) | 1 (90) | 0 (100) | 1, 2, 1 | 14/15 → 96.67, 1st |
    | 水果湖街 | 1 (90) | 0 (100) | 2 (80) | 2, 1, 3 | 12/15 → 90.00, 2nd |
    | 白沙洲街 | 2 (80) | 2 (80) | 1 (90) | 3, 3, 2 | 10/15 → 83.33, 3rd |

    中华路街 has five orders in October only, two unsatisfied (80): October ranks 积玉桥街 1, 白沙洲街 2, 水果湖街 and
    中华路街 3 (the same printed score).
    """
    units = add_units(db, world, ("S3", "白沙洲街", UnitKind.STREET), ("S4", "中华路街", UnitKind.STREET))
    unsatisfied = {world.street.id: (0, 1, 0), world.other_street.id: (1, 0, 2), units["S3"].id: (2, 2, 1)}
    with db.transaction() as s:
        for owner, ks in unsatisfied.items():
            for month, k in zip((8, 9, 10), ks, strict=True):
                for index in range(5):
                    insert_archived(s, number=f"R{owner}-{month}-{index}", owner_unit_id=owner,
                                    closed_at=at(month, 15), satisfaction="unsatisfied" if index < k else "satisfied")
        for index in range(5):
            insert_archived(s, number=f"R-S4-{index}", owner_unit_id=units["S4"].id, closed_at=at(10, 15),
                            satisfaction="unsatisfied" if index < 2 else "satisfied")
    return units


TIERS = """
[[rewards]]
label = "单月第一"
top = 1
months = 1

[[rewards]]
label = "连续3个月前2名"
top = 2
months = 3
basis = "each"

[[rewards]]
label = "3个月合计前2名"
top = 2
months = 3
basis = "combined"

[[rewards]]
label = "连续3个月前3名"
top = 3
months = 3
"""


def _bare_source(code: str = "shuiguohu", version: int = 7) -> str:
    """A shipped policy without its 双考 tables, under another version."""
    source = builtin_sources()[code].split("# 双考, its second half")[0]
    return source.replace("version = 1", f"version = {version}")


def test_reward_marks_follow_the_tiers_of_the_policy(client, token_for, db, world, three_months) -> None:
    with db.transaction() as s:
        policies.load(s, _bare_source() + TIERS)
    rows = client.get("/api/v1/rankings", params={"period": "2026-10", "policy": "shuiguohu@7"},
                      headers=token_for(world.leader)).json()["rows"]
    marks = {r["unit"]["name"]: (r["rank"], r["rewards"]) for r in rows}
    assert marks == {
        # Within the top two in each month, so within the top three: that wider mark is not shown again.
        "积玉桥街": (1, ["单月第一", "连续3个月前2名", "3个月合计前2名"]),
        "白沙洲街": (2, ["连续3个月前3名"]),  # 3rd in August and September; 3rd on the three months together
        "水果湖街": (3, ["3个月合计前2名", "连续3个月前3名"]),  # 2nd on the three months together, 3rd in October
        "中华路街": (3, []),  # ranked in October only; 4th on the three months (80.00)
    }


def test_the_shipped_tiers_reward_the_seeds_places(client, token_for, world, three_months) -> None:
    rows = client.get("/api/v1/rankings", params={"period": "2026-10"}, headers=token_for(world.leader)).json()["rows"]
    marks = {r["unit"]["name"]: r["rewards"] for r in rows}
    # Five streets or fewer are all within a top ten; only those ranked in each of the three months are within
    # the top fifty (and so the hundred, which is then not marked again) "累计3个月".
    every = ["单月前10名", "累计3个月前50名"]
    assert marks == {"积玉桥街": every, "水果湖街": every, "白沙洲街": every, "中华路街": ["单月前10名"]}
    # A quarter is no month: no marks.
    quarter = client.get("/api/v1/rankings", params={"period": "2026-Q4"}, headers=token_for(world.leader)).json()
    assert all(r["rewards"] == [] for r in quarter["rows"])


def test_the_rankings_page_marks_the_rewards(client, world, three_months) -> None:
    login(client, world.leader)
    page = client.get("/rankings", params={"period": "2026-10", "kind": "street"})
    row = page.text.split('data-unit="S4"')[1].split("</tr>")[0]
    assert "奖励 · 单月前10名" in row
    assert "累计3个月" not in row
    assert "奖励：单月前10名（街道，当月排名前 10 名）" in page.text


# --------------------------------------------------------------------------- the policy file

@pytest.mark.parametrize(("tables", "field"), [
    ('[called]\n[called.weights]\nreport = "0.5"\nresolution = "0.3"\nsatisfaction = "0.1"\n', "called.weights"),
    ('[called]\n[called.weights]\nreport = "0.5"\nspeed = "0.5"\n', "called.weights.speed"),
    ('[called]\nweights = "0.5"\n', "called.weights"),
    ('[called]\nmin_calls = 0\n[called.weights]\nreport = "1"\n', "called.min_calls"),
    ('[weekly]\nkinds = ["street", "town"]\nbottom = 1\n', "weekly.kinds"),
    ('[weekly]\nbotom = 1\n', "weekly.botom"),
    ('[weekly]\nkinds = ["street"]\n', "weekly.bottom"),
    ('[weekly]\nbottom = true\n', "weekly.bottom"),
    ('[[rewards]]\nlabel = "前十"\ntop = 0\n', "rewards[0].top"),
    ('[[rewards]]\nlabel = "前十"\ntop = 10\nmonths = 13\n', "rewards[0].months"),
    ('[[rewards]]\nlabel = "前十"\ntop = 10\nbasis = "sum"\n', "rewards[0].basis"),
    ('[[rewards]]\nlabel = "前十"\ntop = 10\nkinds = ["grid"]\n', "rewards[0].kinds"),
    ('[[rewards]]\ntop = 10\n', "rewards[0].label"),
    ('[[rewards]]\nlabel = "前十"\ntop = 10\n[[rewards]]\nlabel = "前十"\ntop = 5\n', "rewards"),
    ('[rewards]\nlabel = "前十"\ntop = 10\n', "rewards"),
])
def test_a_bad_scoring_table_is_refused_naming_its_key(client, token_for, world, tables: str, field: str) -> None:
    with pytest.raises(PolicyError) as raised:
        policies.parse_toml(_bare_source() + "\n" + tables)
    assert raised.value.details == [{"field": field, "message": raised.value.message}]
    answer = client.post("/api/v1/rate-policies", json={"source": _bare_source() + "\n" + tables},
                         headers=token_for(world.admin))
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == field


def test_a_policy_without_the_tables_scores_reports_and_rewards_nothing(client, token_for, db, world,
                                                                        whistled) -> None:
    with db.transaction() as s:
        policies.load(s, _bare_source())
    rows = _called(client, token_for, world, period="2026-10", policy="shuiguohu@7")
    assert {row["score"] for row in rows.values()} == {None}
    assert rows["区市场监管局"]["calls"] == 4  # still listed with its reports
    report = client.get("/api/v1/rankings/weekly-bottom", params={"week": "2026-W41", "policy": "shuiguohu@7"},
                        headers=token_for(world.leader)).json()
    assert (report["configured"], report["units"]) == (False, [])
    login(client, world.leader)
    page = client.get("/rankings", params={"period": "2026-10", "policy": "shuiguohu@7"})
    assert "本考核口径未规定每周末位汇报" in page.text
    assert "本考核口径未规定吹哨报到单位的评分权重" in page.text


def test_the_page_says_the_visit_rates_have_no_data(client, world) -> None:
    login(client, world.leader)
    section = client.get("/rankings").text.split('id="grid-workers"')[1].split("</section>")[0]
    assert "见面率、上门率、入户率：<strong>暂无数据</strong>" in section
    assert 'href="/people"' in section
