"""The called units' scores (吹哨报到单位考核), the second half of 双考.

When a street blows the whistle (吹哨), the units it calls must report (报到) by the report deadline and act with
it. After the callbacks of those orders, each called unit is scored for the period on:

- **报到率**: calls reported by the report deadline ÷ calls (a late report and no report both fail it);
- **解决率** and **满意率** of the orders it was called to: the citizens' answers at the callback, weighed as the
  rate policy weighs them (each order once per unit, however many times the unit was called onto it).

The calls and orders counted are those of the orders counted in the period under the policy — archived in it,
or gone overdue in it and still open at its end (``count_overdue_open``) — so a called unit is judged on the
same orders as the unit that called it. The composite is Σ weight × rate with the weights of the policy's
``[called]`` table; a rate with nothing to count gives its weight to the others. Units are ranked on the printed
score from the policy's ``min_calls``, the last ``bottom`` places marked 末位. A called unit is scored as itself,
not rolled up to the unit above it: a department's office called onto an order answers for its own reports.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from sqlalchemy.orm import Session

from minhu.evaluation import rates
from minhu.evaluation.policies import CALLED_MEASURES, RatePolicy
from minhu.evaluation.rankings import PeriodCounts, UnitRef, bottom_places, competition_ranks
from minhu.evaluation.rates import Period, RateValue


@dataclass(frozen=True)
class CalledFigures:
    """One called unit's reports and the counts of the orders it was called to."""

    reports: Counter[str]  # calls, reported, reported_in_time
    orders: Counter[str]  # as rates counts orders: counted, each answer, ruled solved, ...
    rates: tuple[RateValue, ...]  # report, resolution, satisfaction (weights 0 when the policy scores none)
    scored: bool  # the policy has a [called] table

    @property
    def calls(self) -> int:
        return self.reports["calls"]

    @property
    def reported_in_time(self) -> int:
        return self.reports["reported_in_time"]

    @property
    def reported_late(self) -> int:
        return self.reports["reported"] - self.reports["reported_in_time"]

    @property
    def unreported(self) -> int:
        return self.reports["calls"] - self.reports["reported"]

    @property
    def order_count(self) -> int:
        return self.orders["counted"]

    def rate(self, key: str) -> RateValue:
        return next(r for r in self.rates if r.key == key)

    @cached_property
    def score(self) -> Decimal | None:
        """The composite on a 100-point scale, two decimals, half up; None when the policy scores no called units."""
        return rates.percent(rates.weighted(self.rates)) if self.scored else None


def called_figures(policy: RatePolicy, reports: Counter[str], orders: Counter[str]) -> CalledFigures:
    weights = policy.called.weights if policy.called else {key: Fraction(0) for key in CALLED_MEASURES}
    resolved, answered_resolution = rates.answer_rate(policy, orders, "resolved")
    satisfied, answered_satisfaction = rates.answer_rate(policy, orders, "satisfied")
    values = (
        RateValue("report", CALLED_MEASURES["report"], weights["report"], Fraction(reports["reported_in_time"]),
                  reports["calls"]),
        RateValue("resolution", CALLED_MEASURES["resolution"], weights["resolution"], resolved, answered_resolution),
        RateValue("satisfaction", CALLED_MEASURES["satisfaction"], weights["satisfaction"], satisfied,
                  answered_satisfaction),
    )
    return CalledFigures(reports, orders, values, policy.called is not None)


@dataclass(frozen=True)
class CalledRow:
    unit: UnitRef
    figures: CalledFigures
    rank: int | None  # None: too few calls, or no score
    bottom: bool


@dataclass(frozen=True)
class CalledRanking:
    policy: RatePolicy
    period: Period
    min_calls: int
    rows: tuple[CalledRow, ...]

    @property
    def scored(self) -> bool:
        return self.policy.called is not None

    @property
    def bottom_rows(self) -> tuple[CalledRow, ...]:
        return tuple(r for r in self.rows if r.bottom)


def rank_called(session: Session, policy: RatePolicy, period: Period, *, counted: PeriodCounts | None = None,
                min_calls: int | None = None, bottom: int | None = None) -> CalledRanking:
    """Every unit called onto orders counted in the period, best score first; units below the minimum of calls
    follow, most calls first. ``min_calls`` and ``bottom`` replace the policy's (the weekly review has its own)."""
    counted = counted or PeriodCounts(session, policy)
    settings = policy.called
    least = min_calls if min_calls is not None else (settings.min_calls if settings else 1)
    last = bottom if bottom is not None else (settings.bottom if settings else 0)
    _, reports = counted.of(period)
    orders = counted.called_orders(period)
    tree = counted.tree
    figures = {unit_id: called_figures(policy, reports.get(unit_id, Counter()), orders.get(unit_id, Counter()))
               for unit_id in reports.keys() | orders.keys() if unit_id in tree.units}
    ranks = competition_ranks((unit_id, f.score) for unit_id, f in figures.items() if f.calls >= max(least, 1))
    places = bottom_places(ranks, last)
    rows = [CalledRow(tree.units[unit_id], f, ranks.get(unit_id), ranks.get(unit_id) in places)
            for unit_id, f in figures.items()]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, -r.figures.calls, r.unit.name))
    return CalledRanking(policy, period, least, tuple(rows))
