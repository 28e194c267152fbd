"""What evaluation's API returns: rates and rankings (percentages are decimal strings with two places, "86.97",
exact as printed), the reply quality, and what a citizen's online rating takes in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from minhu.core.schemas import InputModel
from minhu.core.text import StorableText
from minhu.evaluation.called import CalledRanking, CalledRow
from minhu.evaluation.policies import RatePolicy
from minhu.evaluation.rankings import Ranking, RankRow, UnitRef
from minhu.evaluation.rates import Period, RateValue, UnitRates
from minhu.evaluation.reply_quality import Grade, ReplyQuality
from minhu.evaluation.weekly import BottomUnit, KindBottom, WeeklyBottom
from minhu.orders.enums import Resolution, Satisfaction
from minhu.orders.schemas import UnitBrief


class PeriodRead(BaseModel):
    key: str = Field(description="2026-10, 2026-Q3, 2026-W49, 2026 或 2026-10-01..2026-10-31")
    label: str
    first: date
    last: date


class PolicyRead(BaseModel):
    ref: str = Field(description="code@version")
    code: str
    version: int
    name: str
    description: str
    weights: dict[str, Decimal] = Field(description="各项率的权重（合计 1）")


class RateRead(BaseModel):
    key: str
    label: str
    percent: Decimal | None = Field(description="百分比，两位小数，四舍五入；无可计件数时为 null")
    numerator: str = Field(description="分子（精确分数，如 41/2）")
    denominator: int


class ReportsRead(BaseModel):
    calls: int = Field(description="吹哨被叫次数")
    reported: int
    reported_in_time: int
    percent: Decimal | None = Field(description="按时报到率")


class FiguresRead(BaseModel):
    counted: int = Field(description="参与考核的件数")
    rates: list[RateRead]
    score: Decimal | None = Field(description="综合得分（百分制，两位小数）")
    reports: ReportsRead
    counts: dict[str, int] = Field(description="各类件数（计算依据）")


class UnitRatesRead(BaseModel):
    unit: UnitBrief
    period: PeriodRead
    policy: PolicyRead
    figures: FiguresRead


class RankRowRead(BaseModel):
    rank: int | None = Field(description="名次；件数不足时为 null（不排名）")
    previous_rank: int | None
    last_year_rank: int | None
    change: int | None = Field(description="较上期上升的名次（负数为下降）")
    change_on_last_year: int | None
    bottom: bool = Field(description="末位")
    rewards: list[str] = Field(description="所获奖励档次（考核口径 [[rewards]] 的 label），仅按月")
    unit: UnitBrief
    parent: str | None
    figures: FiguresRead


class RankingRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "双考排名"})

    kind: str
    period: PeriodRead
    policy: PolicyRead
    rows: list[RankRowRead]


def period_read(period: Period) -> PeriodRead:
    return PeriodRead(key=period.key, label=period.label, first=period.start,
                      last=date.fromordinal(period.end.toordinal() - 1))


def policy_read(policy: RatePolicy) -> PolicyRead:
    return PolicyRead(ref=policy.ref, code=policy.code, version=policy.version, name=policy.name,
                      description=policy.description,
                      weights={r.key: Decimal(r.weight.numerator) / Decimal(r.weight.denominator)
                               for r in policy.rates})


def figures_read(figures: UnitRates) -> FiguresRead:
    reports = figures.reports
    return FiguresRead(
        counted=figures.counted, score=figures.score, counts=dict(sorted(figures.counts.items())),
        rates=[_rate_read(r) for r in figures.rates],
        reports=ReportsRead(calls=reports["calls"], reported=reports["reported"],
                            reported_in_time=reports["reported_in_time"], percent=figures.report_percent))


def unit_ref_brief(unit: UnitRef) -> UnitBrief:
    return UnitBrief(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind.value)


def rank_row_read(row: RankRow) -> RankRowRead:
    return RankRowRead(rank=row.rank, previous_rank=row.previous_rank, last_year_rank=row.last_year_rank,
                       change=row.change, change_on_last_year=row.change_on_last_year, bottom=row.bottom,
                       rewards=list(row.rewards),
                       unit=unit_ref_brief(row.unit), parent=row.unit.parent_name, figures=figures_read(row.figures))


def ranking_read(ranking: Ranking) -> RankingRead:
    return RankingRead(kind=ranking.kind.value, period=period_read(ranking.period),
                       policy=policy_read(ranking.policy), rows=[rank_row_read(r) for r in ranking.rows])


class CalledRowRead(BaseModel):
    rank: int | None = Field(description="名次；被叫次数不足或口径未规定评分时为 null")
    bottom: bool = Field(description="末位")
    unit: UnitBrief
    parent: str | None
    calls: int = Field(description="被吹哨次数")
    reported_in_time: int = Field(description="按时报到")
    reported_late: int = Field(description="逾期报到")
    unreported: int = Field(description="未报到")
    orders: int = Field(description="所涉工单中参与考核的件数")
    rates: list[RateRead] = Field(description="报到率、所涉工单的解决率和满意率")
    score: Decimal | None = Field(description="综合得分（百分制，两位小数）")


class CalledRankingRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "吹哨报到单位考核"})

    period: PeriodRead
    policy: PolicyRead
    scored: bool = Field(description="考核口径是否规定了吹哨报到单位评分（[called]）")
    weights: dict[str, Decimal] = Field(description="report、resolution、satisfaction 的权重")
    min_calls: int
    rows: list[CalledRowRead]


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _rate_read(rate: RateValue) -> RateRead:
    return RateRead(key=rate.key, label=rate.label, percent=rate.percent, numerator=str(rate.numerator),
                    denominator=rate.denominator)


def called_row_read(row: CalledRow) -> CalledRowRead:
    f = row.figures
    return CalledRowRead(rank=row.rank, bottom=row.bottom, unit=unit_ref_brief(row.unit), parent=row.unit.parent_name,
                         calls=f.calls, reported_in_time=f.reported_in_time, reported_late=f.reported_late,
                         unreported=f.unreported, orders=f.order_count, rates=[_rate_read(r) for r in f.rates],
                         score=f.score)


def called_ranking_read(ranking: CalledRanking) -> CalledRankingRead:
    weights = ranking.policy.called.weights if ranking.policy.called else {}
    return CalledRankingRead(period=period_read(ranking.period), policy=policy_read(ranking.policy),
                             scored=ranking.scored, weights={k: _decimal(w) for k, w in weights.items()},
                             min_calls=ranking.min_calls, rows=[called_row_read(r) for r in ranking.rows])


class BottomUnitRead(BaseModel):
    kind: str = Field(description="street、department、community、property 或 called（吹哨报到单位）")
    kind_label: str
    unit: UnitBrief
    rank: int
    score: Decimal | None
    counted: int = Field(description="参与考核的件数（吹哨报到单位为被叫次数）")


class KindBottomRead(BaseModel):
    kind: str
    label: str
    ranked: int = Field(description="本周参与排名的单位数")
    units: list[BottomUnitRead]


class WeeklyBottomRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "每周末位汇报"})

    week: PeriodRead
    policy: PolicyRead
    configured: bool = Field(description="考核口径是否规定了每周末位汇报（[weekly]）")
    kinds: list[KindBottomRead]
    units: list[BottomUnitRead] = Field(description="各类末位单位，按类别依次排列")


def bottom_unit_read(unit: BottomUnit) -> BottomUnitRead:
    return BottomUnitRead(kind=unit.kind, kind_label=unit.kind_label, unit=unit_ref_brief(unit.unit), rank=unit.rank,
                          score=unit.score, counted=unit.counted)


def _kind_bottom_read(kind: KindBottom) -> KindBottomRead:
    return KindBottomRead(kind=kind.kind, label=kind.label, ranked=kind.ranked,
                          units=[bottom_unit_read(u) for u in kind.units])


def weekly_bottom_read(report: WeeklyBottom) -> WeeklyBottomRead:
    return WeeklyBottomRead(week=period_read(report.week), policy=policy_read(report.policy),
                            configured=report.configured, kinds=[_kind_bottom_read(k) for k in report.kinds],
                            units=[bottom_unit_read(u) for u in report.units])


class CriterionRead(BaseModel):
    key: str = Field(description="relevance | completeness | timeliness | tone")
    label: str
    score: int | None = Field(description="0–100; null when it could not be judged (it then carries no weight)")
    weight: float
    reasons: list[str]


class MissingPartRead(BaseModel):
    key: str = Field(description="finding | action | basis | result | contact")
    label: str
    hint: str


class ReplyQualityRead(BaseModel):
    number: str
    score: int = Field(ge=0, le=100)
    grade: Grade
    grade_label: str = Field(description="优 / 良 / 中 / 差")
    says_nothing: bool = Field(description="the reply is stock phrases without facts")
    criteria: list[CriterionRead]
    missing: list[MissingPartRead]
    caps: list[str] = Field(description="why the score is below the criteria's weighted sum (a cap applied), "
                                        "e.g. 答复仅有套话、缺少事实，总分封顶 30 分; empty when no cap lowered it")


def reply_quality_read(number: str, quality: ReplyQuality) -> ReplyQualityRead:
    return ReplyQualityRead(
        number=number, score=quality.score, grade=quality.grade, grade_label=quality.grade_label,
        says_nothing=quality.says_nothing,
        criteria=[CriterionRead(key=c.key, label=c.label, score=None if c.score is None else round(c.score),
                                weight=c.weight, reasons=list(c.reasons)) for c in quality.criteria],
        missing=[MissingPartRead(key=m.key, label=m.label, hint=m.hint) for m in quality.missing],
        caps=list(quality.caps))


MAX_COMMENT_CHARS = 500


class RatingAnswer(InputModel):
    """The two questions of 一事一评, and what else the citizen wants to say."""

    resolution: Resolution
    satisfaction: Satisfaction
    comment: Annotated[StorableText, Field(max_length=MAX_COMMENT_CHARS)] = ""
