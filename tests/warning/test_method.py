"""The break-out rule as arithmetic: the tail probabilities are the distributions' own, a season rising as it did
last year is expected, a category that grew this year is judged by its own level, and the minimum count holds."""

from __future__ import annotations

import math

import pytest

from minhu.warning import method

POLICY = method.Policy()


def test_flooding_in_july_is_expected_when_last_july_flooded_too():
    """Drains: two a week in spring, twenty a week in last year's rainy July; this June two again."""
    base = method.baseline([2] * 8, season=[18, 20, 22], season_trailing=[2] * 8, overall_level=1.0, policy=POLICY)
    assert base.expected == pytest.approx(20)  # this June's two, plus last July's rise of eighteen
    assert not method.judge(24, base, POLICY).breaks_out
    assert method.judge(60, base, POLICY).breaks_out  # three times last year's flood is news


def test_the_season_grows_with_the_hotline():
    base = method.baseline([3] * 8, season=[20] * 3, season_trailing=[2] * 8, overall_level=1.5, policy=POLICY)
    assert base.expected == pytest.approx(3 + 1.5 * 18)
    assert method.level([150] * 8, [100] * 8, POLICY) == 1.5
    assert method.level([500] * 8, [100] * 8, POLICY) == POLICY.level_max


def test_a_category_that_grew_this_year_is_judged_by_its_own_level():
    """Five a week all autumn where last year had one: last year's quiet is no reason to warn now."""
    base = method.baseline([5] * 8, season=[1] * 3, season_trailing=[1] * 8, overall_level=1.0, policy=POLICY)
    assert base.expected == pytest.approx(5)
    assert not method.judge(9, base, POLICY).breaks_out


def test_a_season_that_ended_lowers_the_expectation_but_not_below_the_floor():
    base = method.baseline([10] * 8, season=[0] * 3, season_trailing=[12] * 8, overall_level=1.0, policy=POLICY)
    assert base.expected == POLICY.min_expected


def test_without_last_year_the_trailing_mean_is_the_baseline():
    base = method.baseline([1, 0, 2, 1, 0, 1, 2, 1], None, None, 1.0, POLICY)
    assert base.expected == pytest.approx(1.0)
    assert base.last_year is None


def test_the_minimum_count_holds_whatever_the_probability():
    quiet = method.baseline([0] * 8, None, None, 1.0, method.Policy(min_expected=0.01))
    assert method.upper_tail(2, quiet.expected) < 0.001
    assert not method.judge(2, quiet, method.Policy(min_expected=0.01)).breaks_out


def test_a_policy_from_loose_values_is_checked():
    assert method.Policy.from_values({"alpha": "0.01", "min_count": "4"}).min_count == 4
    for bad in ({"alpha": 0}, {"category_level": 3}, {"min_history_weeks": 20}, {"dispersion": "many"},
                {"nonsense": 1}):
        with pytest.raises(ValueError, match=r"\w"):
            method.Policy.from_values(bad)


@pytest.mark.parametrize(("k", "mean", "size"), [(5, 3.0, 0.0), (1, 0.2, 0.0), (12, 4.0, 0.0), (5, 3.0, 2.0),
                                                  (9, 1.5, 10.0)])
def test_the_upper_tail_is_the_sum_of_the_distribution(k, mean, size):
    def pmf(i: int) -> float:
        if size == 0:
            return float(math.exp(-mean) * mean**i / math.factorial(i))
        p = size / (size + mean)
        return float(math.exp(math.lgamma(i + size) - math.lgamma(size) - math.lgamma(i + 1)) * p**size * (1 - p)**i)

    assert method.upper_tail(k, mean, size) == pytest.approx(1 - sum(pmf(i) for i in range(k)), rel=1e-9)


def test_a_tiny_tail_keeps_its_precision():
    assert 0 < method.upper_tail(60, 2.0) < 1e-40
