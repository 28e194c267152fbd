"""The three rates (三率) and the composite score, computed in the database under a rate policy.

An order counts in the period it was archived in (归档时间), for the unit that owned it then — an archived
order's owner no longer changes. Under a policy that counts overdue open orders (``count_overdue_open``), an
order whose finish deadline passed unanswered and that was still not archived when the period holding that
deadline ended counts in that period instead — for the unit that owns it now, as late, unresolved and
unsatisfied (a ruling still stands for the answer) — and not again in the period it is finally archived in:
each order counts once in any run of consecutive periods, and a unit cannot escape the ranking by leaving its
late orders open. One GROUP BY over each of the two sets returns, per owning unit, integer counts of each
case the policy distinguishes (responded in time, each resolution and satisfaction answer, ruled solved,
unreachable, overdue open); the rates of a street, a department or the whole district are sums of those
counts over the units below it, so rolling up stays exact. The policy's weights turn
counts into rates as exact fractions; rounding happens once, when a rate is shown (``percent``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import field_error
from minhu.evaluation.policies import RatePolicy
from minhu.orders.enums import Resolution, Satisfaction
from minhu.orders.models import OrderCall, WorkOrder
from minhu.orders.states import Status

K = TypeVar("K")

# ---------------------------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A span of city dates, ``start`` included, ``end`` excluded, with the name a bulletin prints."""

    start: date
    end: date
    key: str
    label: str

    @property
    def is_month(self) -> bool:
        return bool(re.fullmatch(r"\d{4}-\d{2}", self.key))

    @property
    def is_week(self) -> bool:
        return bool(re.fullmatch(r"\d{4}-W\d{2}", self.key))

    def bounds(self) -> tuple[datetime, datetime]:
        """The span as instants: city midnight to city midnight."""
        tz = clock.city_tz()
        return datetime.combine(self.start, time(), tz), datetime.combine(self.end, time(), tz)

    def previous(self) -> Period:
        """The period just before, of the same kind (the month before a month)."""
        if self.is_month:
            return last_month(self.start)
        if self.is_week:
            return week_of(self.start - timedelta(days=7))
        length = self.end - self.start
        return custom(self.start - length, self.start)

    def a_year_before(self) -> Period:
        if self.is_month:
            return month(self.start.year - 1, self.start.month)
        if self.is_week:  # the same week number (a 53rd week has none: the year's last)
            year, number, _ = self.start.isocalendar()
            return week(year - 1, min(number, date(year - 1, 12, 28).isocalendar()[1]))
        return custom(_shift_year(self.start), _shift_year(self.end))


def _shift_year(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, 28) if (day.month, day.day) == (2, 29) else day.day)


def month(year: int, number: int) -> Period:
    start = date(year, number, 1)
    end = date(year + (number == 12), 1 if number == 12 else number + 1, 1)
    return Period(start, end, f"{year:04d}-{number:02d}", f"{year}年{number}月")


def week(year: int, number: int) -> Period:
    """An ISO week (Monday to Sunday): ``2026-W49`` is 30 November to 6 December 2026. Raises ValueError for a
    week the year does not have."""
    start = date.fromisocalendar(year, number, 1)
    last = start + timedelta(days=6)
    return Period(start, start + timedelta(days=7), f"{year:04d}-W{number:02d}",
                  f"{year}年第{number}周（{start.month}月{start.day}日至{last.month}月{last.day}日）")


def week_of(day: date) -> Period:
    year, number, _ = day.isocalendar()
    return week(year, number)


def last_week(today: date | None = None) -> Period:
    """The week before ``today``'s (the city's today by default): the week a weekly review looks back on."""
    return week_of((today or clock.city_now().date()) - timedelta(days=7))


def parse_week(text: str | None, field: str = "week") -> Period:
    """``2026-W49`` (an ISO week); none: the week before this one. Raises InvalidInput naming ``field``."""
    if not text or not text.strip():
        return last_week()
    if m := re.fullmatch(r"(\d{4})-?[Ww](\d{1,2})", text.strip()):
        try:
            return week(int(m[1]), int(m[2]))
        except ValueError:
            raise field_error(field, f"{m[1]} 年没有第 {int(m[2])} 周") from None
    raise field_error(field, f"无法识别的周：{text}（例如 2026-W49，即 ISO 周）")


def custom(start: date, end: date) -> Period:
    last = date.fromordinal(end.toordinal() - 1)
    return Period(start, end, f"{start.isoformat()}..{last.isoformat()}",
                  f"{start.year}年{start.month}月{start.day}日至{last.year}年{last.month}月{last.day}日")


def last_month(today: date | None = None) -> Period:
    """The month before ``today``'s (the city's today by default)."""
    today = today or clock.city_now().date()
    return month(today.year - (today.month == 1), 12 if today.month == 1 else today.month - 1)


def parse_period(text: str | None, field: str = "period") -> Period:
    """``2026-10`` (a month), ``2026-Q3``, ``2026-W49`` (an ISO week), ``2026`` or ``2026-10-01..2026-10-31``
    (both days included)."""
    if not text:
        return last_month()
    text = text.strip()
    if re.fullmatch(r"\d{4}-?[Ww]\d{1,2}", text):
        return parse_week(text, field)
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            return month(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", text):
            year, quarter = int(m[1]), int(m[2])
            return Period(month(year, quarter * 3 - 2).start, month(year, quarter * 3).end, f"{year}-Q{quarter}",
                          f"{year}年第{quarter}季度")
        if m := re.fullmatch(r"(\d{4})", text):
            year = int(m[1])
            return Period(date(year, 1, 1), date(year + 1, 1, 1), str(year), f"{year}年")
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
            first_day, last_day = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if last_day < first_day:
                raise field_error(field, f"统计期的开始日期不能晚于结束日期：{text}")
            return custom(first_day, date.fromordinal(last_day.toordinal() + 1))
    except ValueError:
        pass
    raise field_error(field, f"无法识别的统计期：{text}"
                             "（例如 2026-10、2026-Q3、2026-W49、2026 或 2026-10-01..2026-10-31）")


# ---------------------------------------------------------------------------------------------- counts

def _overdue() -> ColumnElement[bool]:
    """The finish deadline passed before the reply (or with none yet)."""
    order = WorkOrder
    return and_(order.finish_due_at.is_not(None),
                or_(order.replied_at.is_(None), order.replied_at > order.finish_due_at))


def _scopes(policy: RatePolicy, start: datetime, end: datetime) -> list[tuple[bool, list[ColumnElement[bool]]]]:
    """The sets of orders counted in the period, each with whether its orders count as overdue open: those
    archived in it and, under ``count_overdue_open``, those that went overdue in it and were still open at its
    end (or are still open now, for the running period). An order archived here that went overdue before the
    period began was counted in the period of its deadline already."""
    order = WorkOrder
    archived: list[ColumnElement[bool]] = [order.status == Status.ARCHIVED.value, order.closed_at >= start,
                                           order.closed_at < end, *_kept(policy)]
    if not policy.count_overdue_open:
        return [(False, archived)]
    archived.append(~and_(_overdue(), order.finish_due_at < start))
    open_at_end: list[ColumnElement[bool]] = [
        order.status.in_([s.value for s in Status if s is not Status.VOIDED]),
        order.finish_due_at >= start, order.finish_due_at < min(end, clock.now()), _overdue(),
        or_(order.closed_at.is_(None), order.closed_at >= end), *_kept(policy)]
    return [(False, archived), (True, open_at_end)]


def _kept(policy: RatePolicy) -> list[ColumnElement[bool]]:
    """Which orders count under the policy: type, channel, not merged away, not ruled out."""
    order = WorkOrder
    where: list[ColumnElement[bool]] = [order.type.in_([t.value for t in policy.types])]
    if policy.channels:
        where.append(order.channel.in_([c.value for c in policy.channels]))
    if policy.exclude_duplicates:
        where.append(order.duplicate_of_id.is_(None))
    if excluded := policy.excluded_rulings():
        where.append(or_(order.ruling.is_(None), order.ruling.not_in([r.value for r in excluded])))
    return where


def _count_columns(policy: RatePolicy, *, overdue_open: bool = False) -> dict[str, ColumnElement[Any]]:
    """What one GROUP BY counts per owner. For overdue open orders the citizen's answers do not count: each is
    unresolved and unsatisfied (unless a ruling stands for it), and none is unreachable."""
    order = WorkOrder
    solved_rulings = [r.value for r in policy.solved_rulings()]
    # Never NULL (a NULL ruling would make "not ruled solved" unknown and drop the order from every count).
    ruled_solved = and_(order.ruling.is_not(None), order.ruling.in_(solved_rulings)) if solved_rulings else None

    def count_if(*conditions: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    def answered(*conditions: ColumnElement[bool]) -> ColumnElement[Any]:
        # The citizen's answers count only where no ruling stands in for them.
        return count_if(*conditions, *(() if ruled_solved is None else (~ruled_solved,)))

    in_time = or_(order.respond_due_at.is_(None), order.responded_at <= order.respond_due_at)
    finished_in_time = or_(order.finish_due_at.is_(None), order.replied_at <= order.finish_due_at)
    columns: dict[str, ColumnElement[Any]] = {
        "counted": func.count(),
        "responded": count_if(order.responded_at.is_not(None)),
        "responded_in_time": count_if(order.responded_at.is_not(None), in_time),
        "finished": count_if(order.replied_at.is_not(None)),
        "finished_in_time": count_if(order.replied_at.is_not(None), finished_in_time),
        "ruled_solved": count_if(ruled_solved) if ruled_solved is not None else literal(0),
        "overdue_open": func.count() if overdue_open else literal(0),
    }
    if overdue_open:
        columns["unreachable"] = literal(0)
        worst = {f"resolution_{Resolution.UNRESOLVED.value}", f"satisfaction_{Satisfaction.UNSATISFIED.value}"}
        for key in [*(f"resolution_{r.value}" for r in Resolution), *(f"satisfaction_{s.value}" for s in Satisfaction)]:
            columns[key] = answered(true()) if key in worst else literal(0)
        return columns
    columns["unreachable"] = answered(order.unreachable.is_(True))
    for resolution in Resolution:
        columns[f"resolution_{resolution.value}"] = answered(order.resolution == resolution.value)
    for satisfaction in Satisfaction:
        columns[f"satisfaction_{satisfaction.value}"] = answered(order.satisfaction == satisfaction.value)
    return columns


def counts_by_owner(session: Session, policy: RatePolicy, period: Period) -> dict[int, Counter[str]]:
    """Per owning unit, the counts of its orders counted in the period under the policy."""
    return counts_by(session, policy, period, WorkOrder.owner_unit_id)


def counts_by(session: Session, policy: RatePolicy, period: Period, key: SQLColumnExpression[K],
              where: Sequence[ColumnElement[bool]] = ()) -> dict[K, Counter[str]]:
    """Per value of ``key`` (the owner, a category's first level …), the counts of the orders counted in the
    period under the policy (and meeting ``where``)."""
    start, end = period.bounds()
    result: dict[K, Counter[str]] = {}
    for overdue_open, scope in _scopes(policy, start, end):
        columns = _count_columns(policy, overdue_open=overdue_open)
        query = (select(key, *(c.label(k) for k, c in columns.items())).where(*scope, *where).group_by(key))
        for row in session.execute(query):
            result.setdefault(row[0], Counter()).update(
                {name: int(value) for name, value in zip(columns, row[1:], strict=True)})
    return result


def report_counts_by_unit(session: Session, policy: RatePolicy, period: Period) -> dict[int, Counter[str]]:
    """Per unit called onto orders (吹哨), on the counted orders of the period: calls, reports, reports in time."""
    start, end = period.bounds()
    call = OrderCall
    result: dict[int, Counter[str]] = {}
    for _overdue_open, where in _scopes(policy, start, end):
        query = (select(call.unit_id, func.count(),
                        func.coalesce(func.sum(case((call.reported_at.is_not(None), 1), else_=0)), 0),
                        func.coalesce(func.sum(case((call.reported_at <= call.report_due_at, 1), else_=0)), 0))
                 .join(WorkOrder, WorkOrder.id == call.order_id).where(*where).group_by(call.unit_id))
        for unit_id, calls, reported, in_time in session.execute(query):
            result.setdefault(unit_id, Counter()).update(
                {"calls": int(calls), "reported": int(reported), "reported_in_time": int(in_time)})
    return result


def order_counts_by_called_unit(session: Session, policy: RatePolicy, period: Period) -> dict[int, Counter[str]]:
    """Per unit called onto orders (吹哨), the counts of those orders counted in the period — each order once
    per unit, however many times the unit was called onto it."""
    pairs = select(OrderCall.order_id, OrderCall.unit_id).distinct().subquery()
    return counts_by(session, policy, period, pairs.c.unit_id, where=[pairs.c.order_id == WorkOrder.id])


# ---------------------------------------------------------------------------------------------- rates

HUNDREDTH = Decimal("0.01")


def percent(value: Fraction | None) -> Decimal | None:
    """A rate as a percentage with two decimals, rounded half up (0.123456 → 12.35): the one rounding step."""
    if value is None:
        return None
    return (Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


# Frozen dataclasses whose derived values are cached on first use (a ranking reads each many times).
@dataclass(frozen=True)
class RateValue:
    key: str
    label: str
    weight: Fraction
    numerator: Fraction
    denominator: int

    @cached_property
    def value(self) -> Fraction | None:
        """The exact rate, or None when nothing could be counted (no answered order for an answer rate)."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> Decimal | None:
        return percent(self.value)


@dataclass(frozen=True)
class UnitRates:
    counts: Counter[str]
    rates: tuple[RateValue, ...]
    reports: Counter[str]

    @property
    def counted(self) -> int:
        return self.counts["counted"]

    @cached_property
    def composite(self) -> Fraction | None:
        return weighted(self.rates)

    @cached_property
    def score(self) -> Decimal | None:
        """The composite on a 100-point scale, two decimals, half up: what is printed and ranked on."""
        return percent(self.composite)

    @property
    def report_rate(self) -> Fraction | None:
        return Fraction(self.reports["reported_in_time"], self.reports["calls"]) if self.reports["calls"] else None

    @property
    def report_percent(self) -> Decimal | None:
        return percent(self.report_rate)

    def rate(self, key: str) -> RateValue:
        return next(r for r in self.rates if r.key == key)


def weighted(values: Iterable[RateValue]) -> Fraction | None:
    """The weighted sum of the rates; a rate with nothing to count gives its weight to the others in proportion."""
    present = [r for r in values if r.value is not None]
    total_weight = sum((r.weight for r in present), Fraction(0))
    if not total_weight:
        return None
    return sum((r.weight * r.value for r in present if r.value is not None), Fraction(0)) / total_weight


def answer_rate(policy: RatePolicy, counts: Mapping[str, int], numerator: str) -> tuple[Fraction, int]:
    """A rate of the citizen's answers (``resolved`` or ``satisfied``) from counts: its numerator, its denominator."""
    weights: Mapping[Any, Fraction]
    if numerator == "resolved":
        prefix, weights = "resolution", policy.resolution_weights
    else:
        prefix, weights = "satisfaction", policy.satisfaction_weights
    answered = sum(counts.get(f"{prefix}_{a.value}", 0) for a in weights)
    value = sum((w * n for a, w in weights.items() if (n := counts.get(f"{prefix}_{a.value}", 0))), Fraction(0))
    value += counts.get("ruled_solved", 0)
    denominator = answered + counts.get("ruled_solved", 0)
    if policy.unreachable == "zero":
        denominator += counts.get("unreachable", 0)
    return value, denominator


def rate_values(policy: RatePolicy, counts: Mapping[str, int]) -> tuple[RateValue, ...]:
    """Each rate of the policy from one unit's counts."""
    values = []
    for rate in policy.rates:
        if rate.needs_answer:
            numerator, denominator = answer_rate(policy, counts, rate.numerator)
        else:
            numerator, denominator = Fraction(counts.get(rate.numerator, 0)), counts.get("counted", 0)
        values.append(RateValue(rate.key, rate.label, rate.weight, numerator, denominator))
    return tuple(values)


def unit_rates(policy: RatePolicy, counts: Mapping[str, int], reports: Mapping[str, int] | None = None) -> UnitRates:
    return UnitRates(Counter(counts), rate_values(policy, counts), Counter(reports or {}))


def summed(parts: Iterable[Mapping[str, int]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for part in parts:
        total.update(part)
    return total
