"""What the leaders' dashboard shows: how many requests, how that compares with the month before and the same
time last year (the figure leaders quote: "579 件，上涨 355%"), where they come from, what they are about,
where they are, who found them first, and the three rates by category.

Every figure counts the orders (voided ones left out) within the viewer's scope and the chosen place, registered in
a period of whole city days; "环比" compares with the same number of days just before, "同比" with the same days a
year earlier. For a viewer who sees every order, the counts come from the daily counts kept beside the orders
(``rollup``), which give the same figures without reading a month of orders; otherwise from the orders. The rates
are always computed from the orders: they depend on the clock and the policy in force.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import ColumnElement, SQLColumnExpression, func, or_, select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.dashboard import rollup
from minhu.evaluation import policies
from minhu.evaluation import rates as evaluation_rates
from minhu.orders.enums import CHANNEL_LABELS, ORDER_TYPE_LABELS, Channel
from minhu.orders.models import WorkOrder
from minhu.orders.permissions import is_centre, visible_clause
from minhu.orders.states import Status
from minhu.org.models import Unit, User
from minhu.org.queries import unit_ids_below
from minhu.routing.models import Category
from minhu.web.period import Period

# Longer periods are drawn month by month, shorter ones day by day.
DAILY_UP_TO_DAYS = 92
TOP_PLACES = 15


@dataclass(frozen=True)
class Change:
    """A count and how it moved against another (None when there was nothing to compare with)."""

    count: int
    before: int

    @property
    def percent(self) -> Decimal | None:
        if not self.before:
            return None
        return (Decimal(self.count - self.before) * 100 / self.before).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Slice:
    key: str
    label: str
    count: int
    previous: int  # the same slice in the period just before

    @property
    def change(self) -> Decimal | None:
        return Change(self.count, self.previous).percent


@dataclass(frozen=True)
class CategoryRates:
    code: str
    label: str
    counted: int
    rates: dict[str, Decimal | None]
    score: Decimal | None


@dataclass
class Dashboard:
    period: Period
    place: str
    total: int
    month_on_month: Change
    year_on_year: Change
    previous_period: Period
    last_year_period: Period
    series_unit: str  # "day" or "month"
    series: list[tuple[str, int, int]]  # (label, this period, the same a year before)
    by_category: list[Slice] = field(default_factory=list)
    by_channel: list[Slice] = field(default_factory=list)
    by_type: list[Slice] = field(default_factory=list)
    by_street: list[Slice] = field(default_factory=list)
    by_community: list[Slice] = field(default_factory=list)
    grid_found: Change = Change(0, 0)  # orders grid workers found first, of all
    rate_labels: list[tuple[str, str]] = field(default_factory=list)
    rates_by_category: list[CategoryRates] = field(default_factory=list)

    @property
    def grid_share(self) -> Decimal | None:
        return (Decimal(self.grid_found.count) * 100 / self.grid_found.before).quantize(Decimal("0.1")) \
            if self.grid_found.before else None


def shifted(period: Period, *, days: int = 0, years: int = 0) -> Period:
    def move(day: date) -> date:
        if years:
            try:
                day = day.replace(year=day.year - years)
            except ValueError:  # 29 February
                day = day.replace(year=day.year - years, day=28)
        return day - timedelta(days=days)
    return Period(move(period.first), move(period.last))


def _scope(viewer: User, place: Unit | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [visible_clause(viewer), WorkOrder.status != Status.VOIDED]
    if place is not None:
        where.append(or_(WorkOrder.street_id == place.id, WorkOrder.community_id == place.id,
                         WorkOrder.grid_id == place.id))
    return where


def _in(period: Period) -> list[ColumnElement[bool]]:
    return [WorkOrder.created_at >= period.start, WorkOrder.created_at < period.end]


class Counts(Protocol):
    """Where the counts come from: the orders themselves, or the daily counts kept beside them."""

    def by_day(self, period: Period) -> Counter[date]:
        """The orders of each city day of the period."""

    def breakdowns(self, period: Period) -> dict[str, Counter[Any]]:
        """The period's orders by first-level category, channel, type, street and community."""


@dataclass(frozen=True)
class LiveCounts:
    """Counted from the orders, within ``where`` (the viewer's scope and the place)."""

    session: Session
    where: list[ColumnElement[bool]]

    def by_day(self, period: Period) -> Counter[date]:
        tz = clock.city_tz()
        return Counter(at.astimezone(tz).date() for at in self.session.scalars(
            select(WorkOrder.created_at).where(*self.where, *_in(period))))

    def breakdowns(self, period: Period) -> dict[str, Counter[Any]]:
        keys: dict[str, SQLColumnExpression[Any]] = {
            "category": func.substr(WorkOrder.category_code, 1, rollup.FIRST_LEVEL), "channel": WorkOrder.channel,
            "type": WorkOrder.type, "street": WorkOrder.street_id, "community": WorkOrder.community_id}
        found = {}
        for name, key in keys.items():
            rows = self.session.execute(select(key, func.count()).where(*self.where, *_in(period)).group_by(key))
            found[name] = Counter({k: int(n) for k, n in rows})
        return found


@dataclass(frozen=True)
class KeptCounts:
    """Read from the daily counts of one place (``rollup.WHOLE``: every order), with the values the orders'
    columns hold (None where an order has none)."""

    session: Session
    place_id: int

    def by_day(self, period: Period) -> Counter[date]:
        return rollup.by_day(self.session, self.place_id, period.first, period.last)

    def breakdowns(self, period: Period) -> dict[str, Counter[Any]]:
        found: dict[str, Counter[Any]] = {}
        for name, counts in rollup.breakdowns(self.session, self.place_id, period.first, period.last).items():
            ids = name in ("street", "community")
            found[name] = Counter({(int(v) if ids else v) if v else None: n for v, n in counts.items()})
        return found


def counts_for(session: Session, viewer: User, place: Unit | None) -> Counts:
    """The daily counts where they give exactly what counting the orders would: for a viewer who sees every
    order (the command centre, or someone whose unit holds every unit), for the whole district or a street. The
    counts file an order under its street only, so a place some order names as its community or grid (every
    community) is counted from the orders, as is anyone else's scope."""
    everything = is_centre(viewer) or not session.scalar(
        select(func.count()).select_from(Unit).where(Unit.id.not_in(unit_ids_below(viewer.unit))))
    if not everything:
        return LiveCounts(session, _scope(viewer, place))
    if place is None:
        return KeptCounts(session, rollup.WHOLE)
    # One look-up per column, each down its own index (an OR of the two reads every order on PostgreSQL).
    if any(session.scalar(select(WorkOrder.id).where(column == place.id).limit(1)) is not None
           for column in (WorkOrder.community_id, WorkOrder.grid_id)):
        return LiveCounts(session, _scope(viewer, place))
    return KeptCounts(session, place.id)


def _slices(now: Counter[Any], before: Counter[Any], labels: dict[Any, str], limit: int | None = None) -> list[Slice]:
    keys = sorted(set(now) | set(before), key=lambda k: (-now.get(k, 0), -before.get(k, 0), str(k)))
    slices = [Slice(str(k) if k is not None else "", labels.get(k, "未分类" if k is None else str(k)),
                    now.get(k, 0), before.get(k, 0)) for k in keys]
    return slices[:limit] if limit else slices


def _series(period: Period, days: Counter[date], last_year: Counter[date]) -> tuple[str, list[tuple[str, int, int]]]:
    """The period's orders day by day (or month by month), with the same days of the year before."""
    unit = "day" if period.days <= DAILY_UP_TO_DAYS else "month"

    def bucket(local: date, shift_years: int = 0) -> str:
        if shift_years:
            local = local.replace(year=local.year + shift_years) if not (local.month == 2 and local.day == 29) \
                else local.replace(year=local.year + shift_years, day=28)
        return local.isoformat() if unit == "day" else local.isoformat()[:7]

    now: Counter[str] = Counter()
    for day, n in days.items():
        now[bucket(day)] += n
    before: Counter[str] = Counter()
    for day, n in last_year.items():
        before[bucket(day, 1)] += n
    labels: list[str] = []
    day = period.first
    while day <= period.last:
        label = day.isoformat() if unit == "day" else day.isoformat()[:7]
        if not labels or labels[-1] != label:
            labels.append(label)
        day += timedelta(days=1)
    return unit, [(label, now.get(label, 0), before.get(label, 0)) for label in labels]


def _rates_by_category(session: Session, where: list[ColumnElement[bool]], period: Period,
                       names: dict[str, str]) -> tuple[list[tuple[str, str]], list[CategoryRates]]:
    """The three rates of the policy in force, by first-level category, over the orders counted in the period
    (archived in it, as the bulletin counts them)."""
    policy = policies.resolve(session, None)
    span = evaluation_rates.custom(period.first, period.last + timedelta(days=1))
    first_level = func.substr(WorkOrder.category_code, 1, 2)
    counts = evaluation_rates.counts_by(session, policy, span, first_level, where)
    result = []
    for code, counted in sorted(counts.items(), key=lambda item: -item[1]["counted"]):
        figures = evaluation_rates.unit_rates(policy, counted)
        result.append(CategoryRates(code or "", names.get(code, code) if code else "未分类", figures.counted,
                                    {r.key: r.percent for r in figures.rates}, figures.score))
    labels = [(r.key, r.label) for r in evaluation_rates.unit_rates(policy, Counter()).rates]
    return labels, result


def dashboard(session: Session, period: Period, *, viewer: User, place: Unit | None = None) -> Dashboard:
    counts = counts_for(session, viewer, place)
    previous = shifted(period, days=period.days)
    last_year = shifted(period, years=1)
    days, year_days = counts.by_day(period), counts.by_day(last_year)
    now, before = counts.breakdowns(period), counts.breakdowns(previous)
    total = sum(days.values())
    unit, series = _series(period, days, year_days)
    names = dict(session.execute(select(Category.code, Category.name).where(func.length(Category.code) == 2)).all())
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    board = Dashboard(
        period=period, place=place.name if place else "全区", total=total,
        # Every order has a channel: the channels' sum is the count.
        month_on_month=Change(total, sum(before["channel"].values())),
        year_on_year=Change(total, sum(year_days.values())),
        previous_period=previous, last_year_period=last_year, series_unit=unit, series=series,
        grid_found=Change(now["channel"].get(Channel.GRID_PATROL, 0), total))
    for name, dimension, labels, limit in (
            ("by_category", "category", names, None),
            ("by_channel", "channel", dict(CHANNEL_LABELS), None),
            ("by_type", "type", dict(ORDER_TYPE_LABELS), None),
            ("by_street", "street", units, TOP_PLACES),
            ("by_community", "community", units, TOP_PLACES)):
        setattr(board, name, _slices(now[dimension], before[dimension], labels, limit))
    board.rate_labels, board.rates_by_category = _rates_by_category(session, _scope(viewer, place), period, names)
    return board


SECTIONS = {"category": ("by_category", "诉求分类"), "channel": ("by_channel", "渠道"), "type": ("by_type", "诉求类型"),
            "street": ("by_street", "街道"), "community": ("by_community", "社区")}


def _pct(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def document(board: Dashboard) -> dict[str, Any]:
    """The dashboard as JSON: what the API returns and the charts draw."""
    return {
        "period": {"from": board.period.first.isoformat(), "to": board.period.last.isoformat()},
        "place": board.place,
        "total": board.total,
        "month_on_month": {"before": board.month_on_month.before, "percent": _pct(board.month_on_month.percent),
                           "from": board.previous_period.first.isoformat(),
                           "to": board.previous_period.last.isoformat()},
        "year_on_year": {"before": board.year_on_year.before, "percent": _pct(board.year_on_year.percent),
                         "from": board.last_year_period.first.isoformat(),
                         "to": board.last_year_period.last.isoformat()},
        "grid_found": {"count": board.grid_found.count, "share": _pct(board.grid_share)},
        "series": {"unit": board.series_unit, "labels": [s[0] for s in board.series],
                   "orders": [s[1] for s in board.series], "last_year": [s[2] for s in board.series]},
        **{name: [{"key": s.key, "label": s.label, "count": s.count, "previous": s.previous,
                   "change": _pct(s.change)} for s in getattr(board, attribute)]
           for name, (attribute, _) in SECTIONS.items()},
        "rates_by_category": {
            "rates": [{"key": k, "label": label} for k, label in board.rate_labels],
            "rows": [{"code": r.code, "label": r.label, "counted": r.counted, "score": _pct(r.score),
                      **{k: _pct(v) for k, v in r.rates.items()}} for r in board.rates_by_category]},
    }


def table(board: Dashboard, section: str) -> list[list[Any]]:
    """One chart's figures as rows with a header: what 导出表格 downloads."""
    if section == "series":
        return [["日期" if board.series_unit == "day" else "月份", "工单（件）", "去年同期（件）"],
                *[list(row) for row in board.series]]
    if section == "rates":
        return [["分类", "计入考核（件）", *[label for _, label in board.rate_labels], "综合得分"],
                *[[r.label, r.counted, *[_pct(r.rates.get(k)) for k, _ in board.rate_labels], _pct(r.score)]
                  for r in board.rates_by_category]]
    attribute, title = SECTIONS[section]
    return [[title, "工单（件）", "上期（件）", "环比（%）"],
            *[[s.label, s.count, s.previous, _pct(s.change)] for s in getattr(board, attribute)]]
