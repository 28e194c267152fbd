"""JSON routes of evaluation under /api/v1: a unit's three rates for a period, the rankings, the called units'
scores (吹哨报到单位考核), the weekly bottom report (每周末位汇报), the rate policies, and the reply quality of an
order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy import select

from minhu.core.errors import Forbidden, NotFound
from minhu.core.schemas import InputModel
from minhu.core.text import StorableText
from minhu.evaluation import called, policies, rankings, rates, review, weekly
from minhu.evaluation.schemas import (
    CalledRankingRead,
    PolicyRead,
    RankingRead,
    ReplyQualityRead,
    UnitRatesRead,
    WeeklyBottomRead,
    called_ranking_read,
    figures_read,
    period_read,
    policy_read,
    ranking_read,
    reply_quality_read,
    weekly_bottom_read,
)
from minhu.orders import queries
from minhu.orders.api import OrderNumber
from minhu.orders.present import unit_brief
from minhu.org.auth import ApiUser
from minhu.org.models import Unit
from minhu.org.roles import Role, UnitKind
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["考核评价"], route_class=FormRoute)

PeriodQuery = Annotated[str | None, Query(max_length=40, description=(
    "统计期：2026-10（月）、2026-Q3、2026-W49（周）、2026 或 2026-10-01..2026-10-31；默认上月"))]
WeekQuery = Annotated[str | None, Query(max_length=12, description="ISO 周，如 2026-W49；默认上周")]
PolicyQuery = Annotated[str | None, Query(max_length=60, description=(
    "考核口径：code 或 code@version；默认水果湖街口径"))]
KindQuery = Annotated[UnitKind, Query(description=(
    "street 街道、department 职能部门、community 社区、property 物业公司"))]


@router.get("/rates", response_model=UnitRatesRead, responses=ERRORS(401, 404, 422))
def unit_rates(user: ApiUser, db: DB, period: PeriodQuery = None, policy: PolicyQuery = None,
               unit: Annotated[StorableText | None, Query(max_length=32, description="单位编码；默认全区")] = None,
               ) -> UnitRatesRead:
    """三率: one unit's response, resolution and satisfaction rates and composite over everything below it."""
    span = rates.parse_period(period)
    with db.read() as session:
        chosen = policies.resolve(session, policy)
        found = (session.scalar(select(Unit).where(Unit.code == unit)) if unit
                 else session.scalar(select(Unit).where(Unit.kind == UnitKind.DISTRICT).order_by(Unit.id)))
        if found is None:
            raise NotFound(f"没有单位 {unit}", code="unknown_unit",
                           details=[{"field": "unit", "message": "没有该单位"}])
        figures = rankings.rates_of(session, chosen, span, found.id)
        return UnitRatesRead(unit=unit_brief(found), period=period_read(span), policy=policy_read(chosen),
                             figures=figures_read(figures))


@router.get("/rankings", response_model=RankingRead, responses=ERRORS(401, 422))
def ranking(user: ApiUser, db: DB, period: PeriodQuery = None, policy: PolicyQuery = None,
            kind: KindQuery = UnitKind.STREET) -> RankingRead:
    """双考排名: the units of a kind by composite score, with rank changes and the bottom units marked."""
    span = rates.parse_period(period)
    with db.read() as session:
        return ranking_read(rankings.rank(session, policies.resolve(session, policy), span, kind))


@router.get("/rankings/called", response_model=CalledRankingRead, responses=ERRORS(401, 422))
def called_ranking(user: ApiUser, db: DB, period: PeriodQuery = None,
                   policy: PolicyQuery = None) -> CalledRankingRead:
    """吹哨报到单位考核: the units called onto orders, by report rate and the callbacks of those orders."""
    span = rates.parse_period(period)
    with db.read() as session:
        return called_ranking_read(called.rank_called(session, policies.resolve(session, policy), span))


@router.get("/rankings/weekly-bottom", response_model=WeeklyBottomRead, responses=ERRORS(401, 422))
def weekly_bottom(user: ApiUser, db: DB, week: WeekQuery = None, policy: PolicyQuery = None) -> WeeklyBottomRead:
    """每周末位汇报: the last units of each kind over a week, as the policy's [weekly] table says."""
    span = rates.parse_week(week)
    with db.read() as session:
        return weekly_bottom_read(weekly.weekly_bottom(session, policies.resolve(session, policy), span))


@router.get("/rate-policies", response_model=list[PolicyRead], responses=ERRORS(401))
def list_policies(user: ApiUser, db: DB) -> list[PolicyRead]:
    """Every selectable policy version, the default first."""
    with db.read() as session:
        return [policy_read(p) for p in policies.available(session)]


class PolicyUpload(InputModel):
    source: StorableText = Field(min_length=1, max_length=50_000,
                                 description="考核口径 TOML 全文（见 docs/evaluation.md）")


@router.post("/rate-policies", response_model=PolicyRead, status_code=201, responses=ERRORS(401, 403, 422))
def load_policy(body: PolicyUpload, user: ApiUser, db: DB) -> PolicyRead:
    """Load a new policy version (administrators); a version already there is refused, never replaced."""
    if user.role is not Role.ADMIN:
        raise Forbidden("只有管理员可以载入考核口径", code="not_an_administrator")
    with db.transaction() as session:
        return policy_read(policies.load(session, body.source))




@router.get("/orders/{number}/reply-quality", response_model=ReplyQualityRead, responses=ERRORS(401, 404, 409))
def read_reply_quality(number: OrderNumber, user: ApiUser, db: DB) -> ReplyQualityRead:
    """How well the order's reply answers the request (答复质量): score, grade, each criterion with its
    reasons, the missing parts. 409 ``no_reply`` while the order has no reply."""
    with db.read() as session:
        order = queries.get_visible(session, number, viewer=user)
        return reply_quality_read(number, review.quality_of(session, order))
