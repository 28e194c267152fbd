"""The weekly bottom report (每周末位汇报): which units were last in their kind over a week.

The district's leading group reviews the hotline's work every week (周调度); the units last in their ranking
that week report there on why and what they will change. For a week (ISO, Monday to Sunday) and a rate policy,
each kind the policy's ``[weekly]`` table lists — streets, departments, communities, property companies on the
three rates, and the called units (``called``) on their own score — is ranked over the week as the monthly
ranking is over a month, with the week's own minimum of orders (or calls) and its own number of last places.

``bottom_units`` is the entry other packages call: the week's bottom units, in the order the report names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from minhu.evaluation import called, policies, rankings, rates
from minhu.evaluation.policies import CALLED, RatePolicy
from minhu.evaluation.rankings import PeriodCounts, UnitRef
from minhu.evaluation.rates import Period
from minhu.org.roles import UnitKind

CALLED_LABEL = "吹哨报到单位"


def kind_label(kind: str) -> str:
    return CALLED_LABEL if kind == CALLED else rankings.KIND_LABELS[UnitKind(kind)]


@dataclass(frozen=True)
class BottomUnit:
    kind: str  # a ranked unit kind's value, or "called"
    unit: UnitRef
    rank: int
    score: Decimal | None
    counted: int  # orders counted (calls, for a called unit)

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


@dataclass(frozen=True)
class KindBottom:
    """One kind's week: how many units were ranked and which were last."""

    kind: str
    ranked: int
    units: tuple[BottomUnit, ...]

    @property
    def label(self) -> str:
        return kind_label(self.kind)


@dataclass(frozen=True)
class WeeklyBottom:
    policy: RatePolicy
    week: Period
    kinds: tuple[KindBottom, ...]  # empty when the policy has no [weekly] table

    @property
    def configured(self) -> bool:
        return self.policy.weekly is not None

    @property
    def units(self) -> tuple[BottomUnit, ...]:
        return tuple(unit for kind in self.kinds for unit in kind.units)


def weekly_bottom(session: Session, policy: RatePolicy, week: Period, *,
                  counted: PeriodCounts | None = None) -> WeeklyBottom:
    """The week's last units of each kind the policy's ``[weekly]`` table lists."""
    settings = policy.weekly
    if settings is None:
        return WeeklyBottom(policy, week, ())
    counted = counted or PeriodCounts(session, policy)
    found = []
    for kind in settings.kinds:
        if kind == CALLED:
            ranking = called.rank_called(session, policy, week, counted=counted, min_calls=settings.min_calls,
                                         bottom=settings.bottom)
            ranked = sum(r.rank is not None for r in ranking.rows)
            last = [BottomUnit(kind, r.unit, r.rank, r.figures.score, r.figures.calls)
                    for r in ranking.rows if r.bottom and r.rank is not None]
        else:
            by_rates = rankings.rank(session, policy, week, UnitKind(kind), counted=counted,
                                     min_orders=settings.min_orders, bottom=settings.bottom)
            ranked = len(by_rates.ranked)
            last = [BottomUnit(kind, r.unit, r.rank, r.figures.score, r.figures.counted)
                    for r in by_rates.rows if r.bottom and r.rank is not None]
        last.sort(key=lambda u: (-u.rank, u.unit.name))
        found.append(KindBottom(kind, ranked, tuple(last)))
    return WeeklyBottom(policy, week, tuple(found))


def bottom_units(session: Session, week: Period | None = None, *, policy: RatePolicy | None = None,
                 ) -> list[BottomUnit]:
    """The units that report at the weekly review: the last of each kind in ``week`` (by default the week before
    this one) under ``policy`` (by default the default policy), kind by kind, the very last first."""
    chosen = policy or policies.resolve(session, None)
    return list(weekly_bottom(session, chosen, week or rates.last_week()).units)
