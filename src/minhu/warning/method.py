"""The break-out rule, as pure functions of counts: what a week is expected to bring and how unlikely what came is.

For one community × category and the week scanned::

    T  = mean count of the trailing weeks (8 by default) this year
    S  = mean count of the same weeks a year before (the week 52 weeks back and ``season_window`` either side)
    T' = mean count of the trailing weeks before those, a year before
    L  = this year's overall level: all orders of the trailing weeks over those of the same weeks a year before
    E  = max(T + w·L·(S − T'), min_expected)

``S − T'`` is how much last year's season rose (or fell) at this time against its own preceding weeks: heating
complaints jump in November every year, so this November's rise is expected, not a break-out. ``L`` carries that
rise to this year's volume (a hotline that grew by half sees the season grow by half), and ``w`` blends the
seasonal term in (0: the trailing mean alone). Without last year's data the term is left out.

The observed count ``k`` breaks out when ``k ≥ min_count`` and ``P(X ≥ k) < alpha`` for ``X`` negative binomial
with mean ``E`` and size ``r`` (variance ``E + E²/r``: week-to-week counts vary more than Poisson's); ``r = 0``
is the Poisson case. The minimum count keeps one or two orders from ever warning, however quiet the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Policy:
    """The tunable parameters; ``data/policy.toml`` holds the defaults an administrator changes."""

    alpha: float = 0.001  # the sensitivity: a smaller value warns less often
    min_count: int = 3  # fewer orders in a week never warn
    trailing_weeks: int = 8
    season_window: int = 1  # weeks either side of the same week last year
    seasonal_weight: float = 1.0  # w above: 0 ignores last year
    dispersion: float = 10.0  # the negative binomial's size r; 0 for Poisson
    min_expected: float = 0.5  # a floor under E: a quiet category is not a silent one
    min_history_weeks: int = 4  # fewer trailing weeks with data (a new installation) scan nothing
    level_min: float = 0.5  # bounds on L, so one odd year does not swing the baseline
    level_max: float = 2.0
    category_level: int = 2  # count by first-level (1) or second-level (2) category
    scan_weeks: int = 2  # the current week and the one before it

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> Policy:
        """A policy from loose values (a file, a form); raises ValueError naming the bad key."""
        known = {f.name: f for f in fields(cls)}
        chosen: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"未知参数 {key}")
            kind = int if known[key].type in ("int", int) else float
            try:
                chosen[key] = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"参数 {key} 的值 {value!r} 无效") from None
        policy = cls(**chosen)
        policy.check()
        return policy

    def check(self) -> None:
        """Raises ValueError for values outside their sense."""
        problems = [
            (0 < self.alpha < 0.5, "alpha 须在 0 与 0.5 之间"),
            (self.min_count >= 1, "min_count 至少为 1"),
            (1 <= self.trailing_weeks <= 26, "trailing_weeks 须在 1 到 26 之间"),
            (0 <= self.season_window <= 4, "season_window 须在 0 到 4 之间"),
            (0 <= self.seasonal_weight <= 1, "seasonal_weight 须在 0 与 1 之间"),
            (self.dispersion >= 0, "dispersion 不能为负"),
            (self.min_expected > 0, "min_expected 须大于 0"),
            (1 <= self.min_history_weeks <= self.trailing_weeks, "min_history_weeks 须在 1 与 trailing_weeks 之间"),
            (0 < self.level_min <= 1 <= self.level_max, "level_min ≤ 1 ≤ level_max"),
            (self.category_level in (1, 2), "category_level 须为 1 或 2"),
            (1 <= self.scan_weeks <= 8, "scan_weeks 须在 1 到 8 之间"),
        ]
        for ok, message in problems:
            if not ok:
                raise ValueError(message)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Baseline:
    trailing_mean: float  # T
    last_year: float | None  # S, None without last year's data
    last_year_trailing: float | None  # T'
    level: float  # L (1 without last year's data)
    expected: float  # E


@dataclass(frozen=True)
class Verdict:
    observed: int
    baseline: Baseline
    p_value: float
    breaks_out: bool


def _mean(values: Sequence[int]) -> float:
    return sum(values) / len(values)


def level(this_year: Sequence[int], last_year: Sequence[int], policy: Policy) -> float:
    """L: the mean weekly volume of all orders now over the same weeks a year before, bounded; 1 when either
    side has no weeks."""
    if not this_year or not last_year or sum(last_year) == 0:
        return 1.0
    return min(max(_mean(this_year) / _mean(last_year), policy.level_min), policy.level_max)


def baseline(trailing: Sequence[int], season: Sequence[int] | None, season_trailing: Sequence[int] | None,
             overall_level: float, policy: Policy) -> Baseline:
    """E for one cell from its weekly counts (weeks without any data in the city left out by the caller)."""
    t = _mean(trailing) if trailing else 0.0
    if season and season_trailing:
        s, t_ly = _mean(season), _mean(season_trailing)
        expected = t + policy.seasonal_weight * overall_level * (s - t_ly)
        return Baseline(t, s, t_ly, overall_level, max(expected, policy.min_expected))
    return Baseline(t, None, None, 1.0, max(t, policy.min_expected))


def upper_tail(k: int, mean: float, size: float = 0.0) -> float:
    """P(X ≥ k) for X Poisson(mean) (``size`` 0) or negative binomial with that mean and size.

    Summed upwards from k, term by term (each from the last), so a tiny tail keeps its precision where
    ``1 − CDF`` would round to 0."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if size > 0:
        q = mean / (size + mean)  # the success odds of each further count
        log_term = (math.lgamma(k + size) - math.lgamma(size) - math.lgamma(k + 1)
                    + size * math.log(size / (size + mean)) + k * math.log(q))

        def ratio(i: int) -> float:
            return (i + size) / (i + 1) * q
    else:
        log_term = k * math.log(mean) - mean - math.lgamma(k + 1)

        def ratio(i: int) -> float:
            return mean / (i + 1)
    term, total, i = math.exp(log_term), 0.0, k
    while term > 0:
        total += term
        # Past the mode the terms shrink geometrically: stop once they no longer change the sum.
        if term < total * 1e-16 and i > mean:
            break
        term *= ratio(i)
        i += 1
        if i > k + 100_000:
            break
    return min(total, 1.0)


def judge(observed: int, base: Baseline, policy: Policy) -> Verdict:
    """Whether ``observed`` breaks out of ``base`` under ``policy``."""
    p = upper_tail(observed, base.expected, policy.dispersion)
    return Verdict(observed, base, p, observed >= policy.min_count and p < policy.alpha)
