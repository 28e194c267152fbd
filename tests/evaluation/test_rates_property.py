"""The rates and ranks computed in the database agree with a plain reading of the policy, order by order.

Hypothesis draws archived, open and voided orders with random owners, types, channels, clocks, callback
answers, unreachable callbacks, duplicates, rulings and whistle calls; the reference below computes every
rate, score and rank straight from the policy's definition with exact fractions, without the SQL or
``rates.rate_values`` — including where an overdue order left open counts (``count_overdue_open``).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from minhu.core.db import Database
from minhu.evaluation import policies, rankings
from minhu.evaluation.policies import RatePolicy
from minhu.evaluation.rates import custom
from minhu.orders.enums import Channel, OrderType, Resolution, Ruling, Satisfaction
from minhu.orders.models import OrderCall, WorkOrder
from minhu.orders.states import Status
from minhu.org import service as org_service
from minhu.org.roles import UnitKind
from tests.factories import World, make_world

PERIOD = custom(datetime(2026, 10, 1).date(), datetime(2026, 11, 1).date())
START, END = PERIOD.bounds()


@pytest.fixture
def city(db: Database) -> tuple[Database, World, list[int]]:
    world = make_world(db)
    with db.transaction() as s:
        community = s.merge(world.community)
        district = s.merge(world.district)
        extra = [org_service.create_unit(s, code="P1", name="和平物业", kind=UnitKind.PROPERTY, parent=community),
                 org_service.create_unit(s, code="D2", name="区水务局", kind=UnitKind.DEPARTMENT, parent=district),
                 org_service.create_unit(s, code="S3", name="中华路街", kind=UnitKind.STREET, parent=district)]
        s.flush()
        owners = [world.street.id, world.community.id, world.grid.id, world.other_street.id, world.department.id,
                  *(u.id for u in extra)]
    return db, world, owners


def _instant(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


order_rows = st.lists(st.fixed_dictionaries({
    "owner": st.integers(0, 7),
    "type": st.sampled_from(list(OrderType)),
    "channel": st.sampled_from([Channel.HOTLINE, Channel.WEB_BOARD, Channel.GRID_PATROL]),
    # Some archived before, inside and after the period; some not archived at all.
    "closed": st.integers(-3 * 1440, 34 * 1440),
    "archived": st.booleans() | st.just(True),
    # What a non-archived order is now: waiting for its archive, still with its unit, or voided.
    "open_status": st.sampled_from([Status.CALLED_BACK, Status.HANDLING, Status.VOIDED]),
    "responded": st.none() | st.integers(0, 300),
    "respond_limit": st.none() | st.integers(0, 300),
    "replied": st.none() | st.integers(0, 20000),
    "finish_limit": st.none() | st.integers(0, 20000),
    "resolution": st.none() | st.sampled_from(list(Resolution)),
    "satisfaction": st.none() | st.sampled_from(list(Satisfaction)),
    "unreachable": st.booleans(),
    "duplicate": st.booleans(),
    "ruling": st.none() | st.sampled_from(list(Ruling)),
    "calls": st.lists(st.tuples(st.integers(0, 7), st.none() | st.integers(-100, 100)), max_size=2),
}), min_size=0, max_size=120)


def _insert(db: Database, owners: list[int], rows: list[dict[str, Any]]) -> None:
    with db.transaction() as s:
        s.execute(delete(OrderCall))
        s.execute(delete(WorkOrder))
        anchor_id = None
        for index, row in enumerate(rows):
            created = _instant(row["closed"] - 30000)
            answered = not row["unreachable"]
            values = {
                "number": f"T{index:06d}", "channel": row["channel"], "type": row["type"], "urgency": "normal",
                "status": Status.ARCHIVED if row["archived"] else row["open_status"],
                "anonymous": False, "confidential": False, "title": "t", "content": "c",
                "owner_unit_id": owners[row["owner"]], "created_at": created, "updated_at": created, "version": 1,
                "deadlines_provisional": False,
                "closed_at": (_instant(row["closed"]) if row["archived"] or row["open_status"] is Status.VOIDED
                              else None),
                "responded_at": None if row["responded"] is None else created + timedelta(minutes=row["responded"]),
                "respond_due_at": (None if row["respond_limit"] is None
                                   else created + timedelta(minutes=row["respond_limit"])),
                "replied_at": None if row["replied"] is None else created + timedelta(minutes=row["replied"]),
                "finish_due_at": (None if row["finish_limit"] is None
                                  else created + timedelta(minutes=row["finish_limit"])),
                "resolution": row["resolution"] if answered else None,
                "satisfaction": row["satisfaction"] if answered else None,
                "unreachable": row["unreachable"], "callback_reached": answered, "callback_attempts": 1,
                "ruling": row["ruling"], "ruling_reason": "理由" if row["ruling"] else None,
                "duplicate_of_id": anchor_id if row["duplicate"] and anchor_id else None,
            }
            order_id = s.execute(insert(WorkOrder).values(**values).returning(WorkOrder.id)).scalar_one()
            anchor_id = anchor_id or order_id
            row["id"], row["duplicate_of"] = order_id, values["duplicate_of_id"]
            for unit_index, report_minutes in row["calls"]:
                due = created + timedelta(days=1)
                s.execute(insert(OrderCall).values(
                    order_id=order_id, unit_id=owners[unit_index], called_at=created, report_due_at=due,
                    reported_at=None if report_minutes is None else due + timedelta(minutes=report_minutes)))


# ------------------------------------------------------------------------- the reference: the policy, read plainly

PERIOD_MINUTES = (END - START).total_seconds() // 60


def _counts_in(policy: RatePolicy, row: dict[str, Any]) -> str | None:
    """How the order counts in the period: "archived" (archived in it), "open" (overdue in it and not archived
    by its end), or None."""
    if row["type"] not in policy.types or (policy.channels and row["channel"] not in policy.channels):
        return None
    if policy.exclude_duplicates and row["duplicate_of"] is not None:
        return None
    if row["ruling"] is not None and policy.rulings[row["ruling"]] == "exclude":
        return None
    # The finish deadline, in minutes from the period's start; overdue when not replied by it.
    limit: int | None = row["finish_limit"]
    due = 0 if limit is None else row["closed"] - 30000 + limit
    overdue = (policy.count_overdue_open and limit is not None
               and (row["replied"] is None or row["replied"] > limit))
    if row["archived"] and 0 <= row["closed"] < PERIOD_MINUTES and not (overdue and due < 0):
        return "archived"
    open_at_end = row["closed"] >= PERIOD_MINUTES if row["archived"] else row["open_status"] is not Status.VOIDED
    if overdue and 0 <= due < PERIOD_MINUTES and open_at_end:
        return "open"
    return None


def _reference_rates(policy: RatePolicy, rows: list[dict[str, Any]]) -> dict[str, Fraction | None]:
    result: dict[str, Fraction | None] = {}
    for rate in policy.rates:
        top, bottom = Fraction(0), 0
        for row in rows:
            solved = row["ruling"] is not None and policy.rulings[row["ruling"]] == "solved"
            if rate.numerator in ("resolved", "satisfied"):
                answer = row["resolution"] if rate.numerator == "resolved" else row["satisfaction"]
                weights: dict[Any, Fraction] = (policy.resolution_weights if rate.numerator == "resolved"
                                                else policy.satisfaction_weights)
                if solved:
                    top, bottom = top + 1, bottom + 1
                elif _counts_in(policy, row) == "open":  # whatever the citizen said later: the worst answer
                    worst = Resolution.UNRESOLVED if rate.numerator == "resolved" else Satisfaction.UNSATISFIED
                    top, bottom = top + weights[worst], bottom + 1
                elif row["unreachable"]:
                    bottom += policy.unreachable == "zero"
                elif answer is not None:
                    top, bottom = top + weights[answer], bottom + 1
            else:
                bottom += 1
                at, limit = {"responded_in_time": ("responded", "respond_limit"), "responded": ("responded", None),
                             "finished_in_time": ("replied", "finish_limit")}[rate.numerator]
                if row[at] is not None and (limit is None or row[limit] is None or row[at] <= row[limit]):
                    top += 1
        result[rate.key] = top / bottom if bottom else None
    return result


def _reference_score(policy: RatePolicy, values: dict[str, Fraction | None]) -> int | None:
    """The composite in hundredths of a point, rounded half up."""
    present = [(rate.weight, values[rate.key]) for rate in policy.rates if values[rate.key] is not None]
    if not present:
        return None
    composite = sum(w * v for w, v in present if v is not None) / sum(w for w, _ in present)
    return math.floor(composite * 10000 + Fraction(1, 2))


def _reference_ranks(scores: dict[int, int | None], counted: dict[int, int], minimum: int) -> dict[int, int]:
    eligible = {u: s for u, s in scores.items() if s is not None and counted[u] >= max(minimum, 1)}
    return {u: 1 + sum(1 for other in eligible.values() if other > s) for u, s in eligible.items()}


def _policy(code: str) -> RatePolicy:
    """A shipped policy; ``<code>-archive-only``: the same without counting overdue open orders."""
    shipped, _, variant = code.partition("-")
    source = policies.builtin_sources()[shipped]
    if variant:
        source = source.replace("count_overdue_open = true", "count_overdue_open = false")
    policy = policies.parse_toml(source)
    assert policy.count_overdue_open is not bool(variant)
    return policy


@pytest.mark.parametrize("code", ["shuiguohu", "beijing", "shuiguohu-archive-only"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=order_rows)
def test_rates_and_ranks_match_the_policy_read_plainly(city, code: str, rows: list[dict[str, Any]]) -> None:
    db, _world, owners = city
    _insert(db, owners, rows)
    policy = _policy(code)
    with db.read() as s:
        tree = rankings.UnitTree(s)
        for kind in (UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.COMMUNITY, UnitKind.PROPERTY):
            ranking = rankings.rank(s, policy, PERIOD, kind)
            scores, counted = {}, {}
            for line in ranking.rows:
                below = tree.below(line.unit.id)
                mine = [r for r in rows if owners[r["owner"]] in below and _counts_in(policy, r)]
                expected = _reference_rates(policy, mine)
                for rate in line.figures.rates:
                    assert rate.value == expected[rate.key], (kind, line.unit.name, rate.key)
                assert line.figures.counted == len(mine)
                scores[line.unit.id] = _reference_score(policy, expected)
                counted[line.unit.id] = len(mine)
                printed = line.figures.score
                assert (printed is None) == (scores[line.unit.id] is None)
                if printed is not None:
                    assert int(printed * 100) == scores[line.unit.id]
                # Minutes after the report deadline each call on a counted order was reported (None: never).
                called = [late for r in rows if _counts_in(policy, r)
                          for unit_index, late in r["calls"] if owners[unit_index] in below]
                assert line.figures.reports["calls"] == len(called)
                assert line.figures.reports["reported_in_time"] == sum(1 for late in called
                                                                        if late is not None and late <= 0)
            expected_ranks = _reference_ranks(scores, counted, policy.min_orders)
            assert {line.unit.id: line.rank for line in ranking.rows if line.rank is not None} == expected_ranks


def test_rounding_is_half_up_to_two_decimals() -> None:
    from minhu.evaluation.rates import percent

    assert str(percent(Fraction(1, 8))) == "12.50"
    assert str(percent(Fraction(123455, 1000000))) == "12.35"  # 12.3455 → 12.35, not banker's 12.34
    assert str(percent(Fraction(2, 3))) == "66.67"
    assert str(percent(Fraction(1))) == "100.00"
    assert percent(None) is None


def test_period_neighbours() -> None:
    from minhu.evaluation.rates import month, parse_period

    october = parse_period("2026-10")
    assert (october.start.isoformat(), october.end.isoformat()) == ("2026-10-01", "2026-11-01")
    assert october.previous() == month(2026, 9)
    assert parse_period("2026-01").previous() == month(2025, 12)
    assert october.a_year_before() == month(2025, 10)
    assert parse_period("2026-Q4").end.isoformat() == "2027-01-01"
    assert parse_period("2026-10-01..2026-10-07").end.isoformat() == "2026-10-08"
    from minhu.core import clock

    with clock.frozen(datetime(2026, 1, 15, 12, 0, tzinfo=clock.city_tz())):
        assert parse_period(None) == month(2025, 12)  # no period: the month before the city's today


@pytest.mark.parametrize("text", ["2026-13", "十月", "2026-10-05..2026-10-01", "2026-Q5"])
def test_unreadable_period_names_the_field(text: str) -> None:
    from minhu.core.errors import InvalidInput
    from minhu.evaluation.rates import parse_period

    with pytest.raises(InvalidInput) as raised:
        parse_period(text)
    assert raised.value.details == [{"field": "period", "message": raised.value.message}]

