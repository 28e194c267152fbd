"""Rankings (双考): the units of one kind ordered by their composite score for a period, with the rank they had
the period before and the same period a year before, the last ones marked for the end-rank report (末位汇报), and
the places that earn a reward under the policy's ``[[rewards]]`` (奖励, for months).

A unit's figures cover the orders owned by it and by every unit below it (a street answers for its offices,
communities and grids). Units are ranked on the printed score — the composite rounded to two decimals — so
two units that print the same score share a rank (1, 1, 3); units with fewer counted orders than the policy's
minimum are listed without a rank.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core.errors import field_error
from minhu.evaluation import rates
from minhu.evaluation.policies import RANKED_UNIT_KINDS, RatePolicy, RewardTier
from minhu.evaluation.rates import Period, UnitRates
from minhu.org.models import Unit
from minhu.org.roles import UnitKind

KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.STREET: "街道",
    UnitKind.DEPARTMENT: "职能部门",
    UnitKind.COMMUNITY: "社区",
    UnitKind.PROPERTY: "物业公司",
}
RANKED_KINDS: dict[UnitKind, str] = {kind: KIND_LABELS[kind] for kind in RANKED_UNIT_KINDS}
LISTED_WHEN_EMPTY = frozenset({UnitKind.STREET, UnitKind.DEPARTMENT})


def check_kind(kind: UnitKind) -> None:
    """Raises InvalidInput (field ``kind``) for a kind of unit that is not ranked."""
    if kind not in RANKED_KINDS:
        raise field_error("kind", f"只对{'、'.join(RANKED_KINDS.values())}排名")


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: UnitKind
    path: str
    parent_name: str | None


@dataclass(frozen=True)
class RankRow:
    unit: UnitRef
    figures: UnitRates
    rank: int | None  # None: too few counted orders to be ranked
    previous_rank: int | None
    last_year_rank: int | None
    bottom: bool  # among the last ranked units (末位)
    rewards: tuple[str, ...] = ()  # the labels of the policy's reward tiers the place earns (奖励)

    @property
    def change(self) -> int | None:
        """Places gained since the previous period (positive: moved up)."""
        return None if self.rank is None or self.previous_rank is None else self.previous_rank - self.rank

    @property
    def change_on_last_year(self) -> int | None:
        return None if self.rank is None or self.last_year_rank is None else self.last_year_rank - self.rank


@dataclass(frozen=True)
class Ranking:
    policy: RatePolicy
    period: Period
    kind: UnitKind
    rows: tuple[RankRow, ...]

    @property
    def ranked(self) -> tuple[RankRow, ...]:
        return tuple(r for r in self.rows if r.rank is not None)

    @property
    def total(self) -> UnitRates:
        """All the listed units together."""
        return rates.unit_rates(self.policy, rates.summed(r.figures.counts for r in self.rows),
                                rates.summed(r.figures.reports for r in self.rows))


class UnitTree:
    """Every unit with its ancestry, to find which unit of a kind an owning unit belongs to."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.path, Unit.parent_id,
                                      Unit.active)).all()
        names = {row.id: row.name for row in rows}
        self.units = {row.id: UnitRef(row.id, row.code, row.name, row.kind, row.path,
                                      names.get(row.parent_id) if row.parent_id else None) for row in rows}
        self.active = {row.id for row in rows if row.active}
        self._of_kind: dict[tuple[int, UnitKind], int | None] = {}

    def ancestors_or_self(self, unit_id: int) -> list[int]:
        unit = self.units.get(unit_id)
        if unit is None:
            return []
        return [int(part) for part in unit.path.strip("/").split("/") if part] or [unit_id]

    def of_kind(self, unit_id: int, kind: UnitKind) -> int | None:
        """The nearest unit of ``kind`` at or above ``unit_id``."""
        key = (unit_id, kind)
        if key not in self._of_kind:
            self._of_kind[key] = next((a for a in reversed(self.ancestors_or_self(unit_id))
                                       if a in self.units and self.units[a].kind is kind), None)
        return self._of_kind[key]

    def below(self, unit_id: int) -> set[int]:
        """The unit and every unit under it."""
        prefix = self.units[unit_id].path
        return {u.id for u in self.units.values() if u.path.startswith(prefix)}


def rolled_up(tree: UnitTree, by_owner: dict[int, Counter[str]], kind: UnitKind) -> dict[int, Counter[str]]:
    """Counts per unit of ``kind``, each the sum over the owning units below it."""
    totals: dict[int, Counter[str]] = {}
    for owner, counts in by_owner.items():
        target = tree.of_kind(owner, kind)
        if target is not None:
            totals.setdefault(target, Counter()).update(counts)
    return totals


def competition_ranks(scores: Iterable[tuple[int, Decimal | None]]) -> dict[int, int]:
    """Competition ranks (1, 1, 3) of units on their printed score, best first; units without a score are left out."""
    scored = sorted(((score, unit_id) for unit_id, score in scores if score is not None),
                    key=lambda pair: pair[0], reverse=True)
    ranks: dict[int, int] = {}
    for position, (score, unit_id) in enumerate(scored, start=1):
        previous = scored[position - 2] if position > 1 else None
        ranks[unit_id] = ranks[previous[1]] if previous is not None and previous[0] == score else position
    return ranks


def bottom_places(ranks: dict[int, int], bottom: int) -> set[int]:
    """The last ``bottom`` places taken (ties share one), but never the whole list: three ranked units do not
    make a bottom of three."""
    worst = sorted(set(ranks.values()), reverse=True)
    return set(worst[:bottom]) if len(ranks) > bottom else set()


def _ranks(min_orders: int, figures: dict[int, UnitRates]) -> dict[int, int]:
    """Competition ranks on the printed score, among units with enough counted orders."""
    return competition_ranks((unit_id, f.score) for unit_id, f in figures.items() if f.counted >= max(min_orders, 1))


class PeriodCounts:
    """The two aggregations of a period (orders by owner, whistle calls by unit), and the unit tree they are
    rolled up along, each read once however many kinds of unit and periods are figured from them."""

    def __init__(self, session: Session, policy: RatePolicy) -> None:
        self.session, self.policy = session, policy
        self._done: dict[str, tuple[dict[int, Counter[str]], dict[int, Counter[str]]]] = {}
        self._called: dict[str, dict[int, Counter[str]]] = {}

    @cached_property
    def tree(self) -> UnitTree:
        return UnitTree(self.session)

    def of(self, period: Period) -> tuple[dict[int, Counter[str]], dict[int, Counter[str]]]:
        if period.key not in self._done:
            self._done[period.key] = (rates.counts_by_owner(self.session, self.policy, period),
                                      rates.report_counts_by_unit(self.session, self.policy, period))
        return self._done[period.key]

    def called_orders(self, period: Period) -> dict[int, Counter[str]]:
        """Per unit called onto orders, the counts of those orders (for the called units' scores)."""
        if period.key not in self._called:
            self._called[period.key] = rates.order_counts_by_called_unit(self.session, self.policy, period)
        return self._called[period.key]


def _figures(counted: PeriodCounts, period: Period, kind: UnitKind) -> dict[int, UnitRates]:
    by_owner, by_called = counted.of(period)
    counts, reports = rolled_up(counted.tree, by_owner, kind), rolled_up(counted.tree, by_called, kind)
    return {unit_id: rates.unit_rates(counted.policy, counts.get(unit_id, Counter()), reports.get(unit_id))
            for unit_id in counts.keys() | reports.keys()}


def _rewards(counted: PeriodCounts, period: Period, kind: UnitKind, min_orders: int,
             current: dict[int, int]) -> dict[int, tuple[str, ...]]:
    """The reward tiers (奖励) each unit's place earns, a tier left out where a narrower one of the same span is
    earned; only months are rewarded."""
    tiers = [t for t in counted.policy.rewards if kind in t.kinds]
    if not tiers or not period.is_month:
        return {}
    earned: dict[int, list[RewardTier]] = {}
    for tier in tiers:
        months = [period]
        while len(months) < tier.months:
            months.append(months[-1].previous())
        if tier.basis == "combined":
            standings = [_ranks(min_orders, _figures(counted, rates.custom(months[-1].start, period.end), kind))]
        else:
            standings = [current, *(_ranks(min_orders, _figures(counted, m, kind)) for m in months[1:])]
        for unit_id in standings[0]:
            if all(unit_id in ranks and ranks[unit_id] <= tier.top for ranks in standings):
                earned.setdefault(unit_id, []).append(tier)

    def dominated(tier: RewardTier, others: list[RewardTier]) -> bool:
        # Within the top fifty over three months is within the top hundred too: only the narrower mark shows.
        return any(o.months == tier.months and o.basis == tier.basis and o.top < tier.top for o in others)

    return {unit_id: tuple(t.label for t in won if not dominated(t, won)) for unit_id, won in earned.items()}


def rank(session: Session, policy: RatePolicy, period: Period, kind: UnitKind, *,
         counted: PeriodCounts | None = None, min_orders: int | None = None, bottom: int | None = None) -> Ranking:
    """The ranking of the units of ``kind`` for ``period``, best first; unranked units follow.

    Pass one ``counted`` to figure several kinds or units from the same aggregations (``rank_all``). ``min_orders``
    and ``bottom`` replace the policy's monthly ones (the weekly review has its own)."""
    check_kind(kind)
    min_orders = policy.min_orders if min_orders is None else min_orders
    bottom = policy.bottom if bottom is None else bottom
    counted = counted or PeriodCounts(session, policy)
    tree = counted.tree
    figures = _figures(counted, period, kind)
    # Every active street and department is listed, even with nothing counted: an empty line is news too. The
    # hundreds of communities and property companies are listed when they have figures.
    if kind in LISTED_WHEN_EMPTY:
        for unit in tree.units.values():
            if unit.kind is kind and unit.id in tree.active:
                figures.setdefault(unit.id, rates.unit_rates(policy, Counter()))
    current = _ranks(min_orders, figures)
    previous = _ranks(min_orders, _figures(counted, period.previous(), kind))
    last_year = _ranks(min_orders, _figures(counted, period.a_year_before(), kind))
    last_places = bottom_places(current, bottom)
    rewards = _rewards(counted, period, kind, min_orders, current)
    rows = [RankRow(tree.units[unit_id], f, current.get(unit_id), previous.get(unit_id), last_year.get(unit_id),
                    current.get(unit_id) in last_places, rewards.get(unit_id, ()))
            for unit_id, f in figures.items()]
    # Ranked units by rank; then those with too few orders, most counted first.
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, -r.figures.counted, r.unit.name))
    return Ranking(policy, period, kind, tuple(rows))


def rank_all(session: Session, policy: RatePolicy, period: Period, *,
             counted: PeriodCounts | None = None) -> dict[UnitKind, Ranking]:
    """Every ranked kind for the period: six aggregations in all (this period, the one before, a year before)."""
    counted = counted or PeriodCounts(session, policy)
    return {kind: rank(session, policy, period, kind, counted=counted) for kind in RANKED_KINDS}


def rates_of(session: Session, policy: RatePolicy, period: Period, unit_id: int, *,
             counted: PeriodCounts | None = None) -> UnitRates:
    """One unit's figures over its whole subtree (the district for the district, a street for a street)."""
    counted = counted or PeriodCounts(session, policy)
    below = counted.tree.below(unit_id)
    by_owner, reports = counted.of(period)
    return rates.unit_rates(policy, rates.summed(c for owner, c in by_owner.items() if owner in below),
                            rates.summed(c for unit, c in reports.items() if unit in below))
