"""docs/evaluation.md's worked example of an overdue order left open: computed from orders walked through
their real lifecycle. 积玉桥街 finishes four orders in October 2026 and leaves the fifth open past its deadline
into November; it counts against the street in October, once, and not again when archived in November."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

import pytest

from minhu.core import clock
from minhu.core.db import Database
from minhu.evaluation import policies, rankings
from minhu.evaluation.policies import RatePolicy
from minhu.evaluation.rates import month
from minhu.orders.states import Action
from minhu.org.roles import UnitKind
from minhu.supervision import setup
from tests.factories import World, act, make_order


def at(month_: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month_, day, hour, minute, tzinfo=clock.city_tz())


OCTOBER, NOVEMBER = month(2026, 10), month(2026, 11)


def _finished(db: Database, world: World, day: int, satisfaction: str) -> None:
    """Dispatched on ``day`` at 10:00, answered at once, replied the next day, archived the day after."""
    with clock.frozen(at(10, day)):
        order = make_order(db, world, upto=Action.HANDLE)
    with clock.frozen(at(10, day + 1)):
        act(db, order.number, Action.REPLY, world.handler, note="已处理完毕")
        act(db, order.number, Action.APPROVE, world.dispatcher)
    with clock.frozen(at(10, day + 2)):
        act(db, order.number, Action.CALLBACK, world.reviewer, reached=True, resolution="resolved",
            satisfaction=satisfaction)
        act(db, order.number, Action.ARCHIVE, world.reviewer)


@pytest.fixture
def example(db: Database, world: World) -> dict[str, Any]:
    with clock.frozen(at(9, 1)), db.transaction() as s:
        setup.seed_calendar(s)
        setup.load_policy_file(s)
    for day, satisfaction in ((12, "satisfied"), (13, "satisfied"), (14, "satisfied"), (20, "basically")):
        _finished(db, world, day, satisfaction)
    # Order 5: dispatched Monday 26 October, due Thursday the 29th at 17:30; answered at once, never replied in
    # October.
    with clock.frozen(at(10, 26)):
        late = make_order(db, world, upto=Action.HANDLE)
    assert late.finish_due_at == at(10, 29, 17, 30)
    return {"db": db, "world": world, "late": late.number}


def _archive_the_late_order_in_november(db: Database, world: World, number: str) -> None:
    with clock.frozen(at(11, 2)):
        act(db, number, Action.REPLY, world.handler, note="已处理完毕")
        act(db, number, Action.APPROVE, world.dispatcher)
    with clock.frozen(at(11, 3)):
        act(db, number, Action.CALLBACK, world.reviewer, reached=True, resolution="resolved",
            satisfaction="satisfied")
        act(db, number, Action.ARCHIVE, world.reviewer)


def _figures(db: Database, world: World, policy: RatePolicy, period: Any, when: datetime) -> dict[str, Any]:
    with clock.frozen(when), db.read() as s:
        figures = rankings.rates_of(s, policy, period, world.street.id)
        row = next(r for r in rankings.rank(s, policy, period, UnitKind.STREET).rows if r.unit.id == world.street.id)
    return {"counted": figures.counted, "overdue_open": figures.counts["overdue_open"],
            **{r.key: (str(r.percent), r.numerator, r.denominator) for r in figures.rates},
            "score": str(figures.score), "rank": row.rank}


def _archive_only(code: str) -> RatePolicy:
    return policies.parse_toml(policies.builtin_sources()[code].replace("count_overdue_open = true",
                                                                        "count_overdue_open = false"))


def test_the_open_overdue_order_counts_against_the_street_in_october(example: dict[str, Any]) -> None:
    db, world = example["db"], example["world"]
    shuiguohu = policies.parse_toml(policies.builtin_sources()["shuiguohu"])
    # The bulletin's view on 1 November: order 5 is still open.
    october = _figures(db, world, shuiguohu, OCTOBER, at(11, 1, 9))
    assert october == {"counted": 5, "overdue_open": 1, "response": ("100.00", 5, 5),
                       "resolution": ("80.00", 4, 5), "satisfaction": ("80.00", 4, 5), "score": "82.00", "rank": 1}
    # Counted only when archived, the street would show four perfect orders — too few to be ranked at all.
    escaped = _figures(db, world, _archive_only("shuiguohu"), OCTOBER, at(11, 1, 9))
    assert (escaped["counted"], escaped["score"], escaped["rank"]) == (4, "100.00", None)

    beijing = policies.parse_toml(policies.builtin_sources()["beijing"])
    assert _figures(db, world, beijing, OCTOBER, at(11, 1, 9)) == {
        "counted": 5, "overdue_open": 1, "response": ("100.00", 5, 5), "resolution": ("80.00", 4, 5),
        "satisfaction": ("76.00", Fraction(19, 5), 5), "score": "80.20", "rank": 1}


def test_archived_later_it_counts_once_in_october_and_not_in_november(example: dict[str, Any]) -> None:
    db, world = example["db"], example["world"]
    _archive_the_late_order_in_november(db, world, example["late"])
    shuiguohu = policies.parse_toml(policies.builtin_sources()["shuiguohu"])
    # October reads as it did on 1 November, although the citizen said 解决、满意 on 3 November.
    october = _figures(db, world, shuiguohu, OCTOBER, at(12, 1, 9))
    assert (october["counted"], october["resolution"], october["satisfaction"], october["score"]) == (
        5, ("80.00", 4, 5), ("80.00", 4, 5), "82.00")
    november = _figures(db, world, shuiguohu, NOVEMBER, at(12, 1, 9))
    assert (november["counted"], november["score"]) == (0, "None")
    # Counted at its archive instead, it would have been November's one order — late but satisfied — and
    # October's four perfect orders would have stood unranked.
    archive_only = _figures(db, world, _archive_only("shuiguohu"), NOVEMBER, at(12, 1, 9))
    assert (archive_only["counted"], archive_only["resolution"], archive_only["score"]) == (1, ("0.00", 0, 1), "60.00")


def test_the_rates_api_shows_the_overdue_open_count(client, token_for, example: dict[str, Any]) -> None:
    world = example["world"]
    with clock.frozen(at(11, 1, 9)):
        body = client.get("/api/v1/rates", params={"unit": "S1", "period": "2026-10", "policy": "shuiguohu"},
                          headers=token_for(world.leader)).json()
    assert body["figures"]["counted"] == 5
    assert body["figures"]["counts"]["overdue_open"] == 1
    assert body["figures"]["score"] == "82.00"
