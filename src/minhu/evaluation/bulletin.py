"""The monthly bulletin (月度通报): what a district office prints and circulates about a period under a rate policy.

``build`` computes it once, from the rates and rankings, into a plain JSON-able document: the page, the Excel
workbook, the PDF and the API all render that one document, and the archive keeps it, so an archived bulletin
reads as it was published whatever changes later. Rates are percentages with two decimals, scores points on
100 (both rounded once, by ``rates.percent``); ``fmt`` formats them the zh-CN way for every renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import Conflict
from minhu.evaluation import rankings, rates
from minhu.evaluation.policies import RatePolicy
from minhu.evaluation.rankings import RANKED_KINDS, Ranking, RankRow
from minhu.evaluation.rates import Period, UnitRates
from minhu.org.models import Unit
from minhu.org.roles import UnitKind
from minhu.topics import queries as topics

TREND_PERIODS = 12
RED_LIST_PLACES = 3
# Streets and departments are always printed, even empty; the others only when they have figures.
ALWAYS_LISTED = (UnitKind.STREET, UnitKind.DEPARTMENT)
# Whose figures carry a report rate (报到率): the departments called onto orders (吹哨报到).
REPORTING_KINDS = frozenset({UnitKind.DEPARTMENT})

Document = dict[str, Any]


# ---------------------------------------------------------------------------------------------- formats

class fmt:  # noqa: N801 - used in templates as a namespace: fmt.pct(x)
    """zh-CN number formats for every renderer; ``—`` where there is nothing to show."""

    NONE = "—"

    @staticmethod
    def pct(value: float | None) -> str:
        return fmt.NONE if value is None else f"{value:,.2f}%"

    @staticmethod
    def score(value: float | None) -> str:
        return fmt.NONE if value is None else f"{value:,.2f}"

    @staticmethod
    def count(value: int | None) -> str:
        return fmt.NONE if value is None else f"{value:,}"

    @staticmethod
    def points(value: float | None, unit: str = "个百分点") -> str:
        """A signed difference: 上升 1.20 个百分点, 下降 0.35 个百分点, 持平."""
        if value is None:
            return fmt.NONE
        if value == 0:
            return "持平"
        return f"{'上升' if value > 0 else '下降'}{abs(value):,.2f}{unit}"

    @staticmethod
    def delta(value: float | None) -> str:
        """A short signed difference for a table cell: +1.20, -0.35 (+3 for a count)."""
        if value is None:
            return fmt.NONE
        return f"{value:+,}" if isinstance(value, int) else f"{value:+,.2f}"

    @staticmethod
    def move(value: int | None) -> str:
        """Places gained (↑2), lost (↓1) or kept (—0) since another period; ``新`` when unranked then."""
        if value is None:
            return fmt.NONE
        return f"↑{value}" if value > 0 else f"↓{-value}" if value < 0 else "持平"


# ---------------------------------------------------------------------------------------------- the document

def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _difference(now: Decimal | None, then: Decimal | None) -> float | None:
    return None if now is None or then is None else float(now - then)


def figures(unit: UnitRates) -> Document:
    report = rates.percent(unit.report_rate)
    return {"counted": unit.counted, "score": _number(unit.score),
            "rates": {rate.key: _number(rate.percent) for rate in unit.rates},
            "calls": unit.reports["calls"], "reported_in_time": unit.reports["reported_in_time"],
            "report_rate": _number(report)}


def _changes(policy: RatePolicy, now: UnitRates, then: UnitRates) -> Document:
    return {"score": _difference(now.score, then.score),
            "rates": {rate.key: _difference(now.rate(rate.key).percent, then.rate(rate.key).percent)
                      for rate in policy.rates}}


@dataclass(frozen=True)
class District:
    id: int
    name: str


def district_of(session: Session) -> District:
    """The district the bulletin speaks for: the first district of the unit tree, else its first root.

    Raises Conflict when there is no unit at all."""
    for condition in (Unit.kind == UnitKind.DISTRICT, Unit.parent_id.is_(None)):
        found = session.execute(select(Unit.id, Unit.name).where(condition).order_by(Unit.id).limit(1)).first()
        if found is not None:
            return District(found.id, found.name)
    raise Conflict("尚未建立单位树，无法生成通报", code="no_units")


def title_of(district: str, period: Period) -> str:
    kind = "月度" if period.is_month else ""
    return f"{district}接诉即办工作{kind}通报（{period.label}）"


def _row(policy: RatePolicy, row: RankRow) -> Document:
    return {"unit": {"id": row.unit.id, "code": row.unit.code, "name": row.unit.name, "parent": row.unit.parent_name},
            "rank": row.rank, "previous_rank": row.previous_rank, "last_year_rank": row.last_year_rank,
            "change": row.change, "change_on_last_year": row.change_on_last_year, "bottom": row.bottom,
            "figures": figures(row.figures)}


def policy_document(policy: RatePolicy) -> Document:
    return {"ref": policy.ref, "name": policy.name, "description": policy.description,
            "weights": policy.weights_text(), "bottom": policy.bottom, "min_orders": policy.min_orders,
            "rates": [{"key": r.key, "label": r.label, "weight": float(r.weight)} for r in policy.rates]}


def ranking_table(policy: RatePolicy, ranking: Ranking) -> Document:
    """One ranking as the bulletin's table: rows, total, red list and end-ranked names."""
    return {"kind": ranking.kind.value, "label": RANKED_KINDS[ranking.kind],
            "reports": ranking.kind in REPORTING_KINDS or any(r.figures.reports["calls"] for r in ranking.rows),
            "rows": [_row(policy, row) for row in ranking.rows], "total": figures(ranking.total),
            # The red list needs more ranked units than its places (the only ranked community of the month is not
            # praised for being alone), and never names an end-ranked unit.
            "best": [row.unit.name for row in ranking.ranked
                     if row.rank is not None and row.rank <= RED_LIST_PLACES and not row.bottom]
            if len(ranking.ranked) > RED_LIST_PLACES else [],
            "bottom": [row.unit.name for row in ranking.rows if row.bottom]}


def build(session: Session, policy: RatePolicy, period: Period) -> Document:
    """The bulletin of ``period`` under ``policy``, as a JSON-able document.

    Raises Conflict when the unit tree is empty."""
    district = district_of(session)
    # Each month's two aggregations run once, whether the trend, the totals or a ranking reads them.
    counted = rankings.PeriodCounts(session, policy)
    current = rankings.rates_of(session, policy, period, district.id, counted=counted)
    previous_period, last_year_period = period.previous(), period.a_year_before()
    previous = rankings.rates_of(session, policy, previous_period, district.id, counted=counted)
    last_year = rankings.rates_of(session, policy, last_year_period, district.id, counted=counted)

    trend_periods = [period]
    while len(trend_periods) < TREND_PERIODS:
        trend_periods.insert(0, trend_periods[0].previous())
    trend = []
    for each in trend_periods:
        trend.append({"key": each.key, "label": each.label,
                      **figures(rankings.rates_of(session, policy, each, district.id, counted=counted))})

    listed = [ranking for kind, ranking in rankings.rank_all(session, policy, period, counted=counted).items()
              if kind in ALWAYS_LISTED or any(row.figures.counted for row in ranking.rows)]
    tables = [ranking_table(policy, ranking) for ranking in listed]

    return {
        "title": title_of(district.name, period),
        "district": district.name,
        "period": {"key": period.key, "label": period.label},
        "policy": policy_document(policy),
        "computed_at": clock.now().isoformat(),
        "summary": {
            "current": figures(current),
            "previous": {"label": previous_period.label, **figures(previous)},
            "last_year": {"label": last_year_period.label, **figures(last_year)},
            "on_previous": _changes(policy, current, previous),
            "on_last_year": _changes(policy, current, last_year),
        },
        "trend": trend,
        "rankings": tables,
        "red_list": [{"label": t["label"], "units": t["best"]} for t in tables if t["best"]],
        "bottom": [{"label": t["label"], "units": t["bottom"]} for t in tables if t["bottom"]],
        "bottom_text": bottom_text(tables),
        "remarks": remarks(policy, period, current, previous, last_year, listed),
        "topics": _topics(session, period),
    }


def _topics(session: Session, period: Period) -> list[Document]:
    """每月一题: the problems of the month under way in ``period``, with their orders in it and the month before."""
    first, end = period.bounds()
    previous_first, _ = period.previous().bounds()
    return topics.for_bulletin(session, first=first, end=end, previous_first=previous_first)


def bottom_text(tables: list[Document]) -> str:
    """The end-rank paragraph (末位汇报): who reports at the monthly review meeting, or that nobody does."""
    names = [f"{name}（{t['label']}）" for t in tables for name in t["bottom"]]
    if not names:
        return "本期无末位单位。"
    return f"请以下单位在月度点评会上作汇报：{'、'.join(names)}。"


# ---------------------------------------------------------------------------------------------- remarks

def remarks(policy: RatePolicy, period: Period, current: UnitRates, previous: UnitRates, last_year: UnitRates,
            listed: list[Ranking]) -> list[str]:
    """A few plain sentences read off the figures: the totals, which rates moved, who rose and who fell."""
    if not current.counted:
        return [f"{period.label}全区没有计入考核的工单。"]
    said = [_totals_sentence(period, current, previous, last_year)]
    moved = [(rate.label, _difference(current.rate(rate.key).percent, previous.rate(rate.key).percent))
             for rate in policy.rates]
    known = [(label, change) for label, change in moved if change is not None]
    if known:
        said.append("与上月相比，" + "，".join(f"{label}{fmt.points(change)}" for label, change in known) + "。")
    by_kind = {ranking.kind: ranking for ranking in listed}
    for kind in ALWAYS_LISTED:
        if kind in by_kind:
            said.extend(_ranking_sentences(RANKED_KINDS[kind], by_kind[kind]))
    falling = [(change, label) for label, change in known if change < 0]
    streets = by_kind.get(UnitKind.STREET)
    if falling and streets is not None:
        _change, label = min(falling)
        rate = next(r for r in policy.rates if r.label == label)
        values = [(row.figures.rate(rate.key).percent, row.unit.name) for row in streets.ranked]
        present = [(value, name) for value, name in values if value is not None]
        if present:
            value, name = min(present)
            said.append(f"{label}下降最多，街道中{name}的{label}最低（{fmt.pct(float(value))}），须重点关注。")
    return said


def _totals_sentence(period: Period, current: UnitRates, previous: UnitRates, last_year: UnitRates) -> str:
    text = (f"{period.label}，全区计入考核的工单共{fmt.count(current.counted)}件，"
            f"综合得分{fmt.score(_number(current.score))}分")
    if (change := _difference(current.score, previous.score)) is not None:
        text += f"，较上月{fmt.points(change, '分')}"
    if (change := _difference(current.score, last_year.score)) is not None:
        text += f"，较去年同期{fmt.points(change, '分')}"
    return text + "。"


def _ranking_sentences(label: str, ranking: Ranking) -> list[str]:
    ranked = ranking.ranked
    if not ranked:
        return []
    best = ranked[0]
    said = [f"{label}中{best.unit.name}综合得分最高（{fmt.score(_number(best.figures.score))}分）"]
    risers = [row for row in ranked if row.change and row.change > 0]
    fallers = [row for row in ranked if row.change and row.change < 0]
    if risers:
        top = max(risers, key=lambda row: (row.change or 0, -(row.rank or 0)))
        said.append(f"{top.unit.name}排名上升最多，由上月第{top.previous_rank}名升至第{top.rank}名")
    if fallers:
        low = min(fallers, key=lambda row: (row.change or 0, row.rank or 0))
        said.append(f"{low.unit.name}排名下降最多，由上月第{low.previous_rank}名降至第{low.rank}名")
    return ["；".join(said) + "。"]
