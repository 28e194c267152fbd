"""JSON routes of the dispatch figures under /api/v1/dispatch: the classifier's quality and the unit figures,
the same numbers as the pages (one computation each), for reports and other systems."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from minhu.core.types import MAX_ROW_ID
from minhu.dispatch import permissions, proposal, report, units
from minhu.dispatch.schemas import (
    AutoReturnRead,
    CalibrationRead,
    ConfusionCellRead,
    ConfusionRead,
    Period,
    PeriodRead,
    ProposalRead,
    QualityRead,
    UnitDetailRead,
    UnitFiguresPage,
    UnitFiguresRead,
    UnitOrderRead,
    period,
)
from minhu.orders.present import unit_brief
from minhu.org.auth import ApiUser
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1/dispatch", tags=["派单统计"], route_class=FormRoute)

From = Annotated[date | None, Query(alias="from", description="第一天（市内日期，含）；默认 30 天前")]
To = Annotated[date | None, Query(alias="to", description="最后一天（市内日期，含）；默认今天")]


def _period_read(span: Period) -> PeriodRead:
    return PeriodRead(first=span.first, last=span.last)


def unit_figures_read(row: units.UnitFigures) -> UnitFiguresRead:
    return UnitFiguresRead(
        unit=unit_brief(row.unit), dispatched=row.dispatched, returned=row.returned, return_rate=row.return_rate,
        returns_by_reason={reason or "unspecified": n for reason, n in row.returns_by_reason.most_common()},
        returns_by_category=dict(row.returns_by_category.most_common()), called=row.called,
        reported_on_time=row.reported_on_time, reported_late=row.reported_late, missing=row.missing,
        awaiting=row.awaiting, escalations_requested=row.escalations_requested,
        escalations_accepted=row.escalations_accepted, escalations_refused=row.escalations_refused,
        escalations_pending=row.escalations_pending)


def _orders(rows: list[units.UnitOrder]) -> list[UnitOrderRead]:
    return [UnitOrderRead(number=o.number, title=o.title, at=o.at, detail=o.detail, url=f"/api/v1/orders/{o.number}")
            for o in rows]


def quality_read(r: report.ProductionReport, span: Period) -> QualityRead:
    return QualityRead(
        period=_period_read(span), routed=r.routed, auto_dispatched=r.auto_dispatched, decided=r.decided,
        judged=r.judged, top1_first_level=r.share(r.top1, r.judged), top1_exact=r.share(r.top1_exact, r.judged),
        top3_first_level=r.share(r.top3, r.judged), top3_exact=r.share(r.top3_exact, r.judged),
        owner_suggested=r.owner_suggested, owner_agreement=r.share(r.owner_agreed, r.owner_suggested),
        category_names={code: r.name(code) for code in {*r.suggested_levels, *r.chosen_levels} if code},
        confusion=[ConfusionCellRead(suggested=s or None, chosen=c, count=n) for (s, c), n in sorted(r.matrix.items())],
        calibration=[CalibrationRead(low=b.low, high=b.high, count=b.count, mean_confidence=b.mean_confidence,
                                     accuracy=round(b.accuracy, 4)) for b in r.calibration],
        expected_calibration_error=r.expected_calibration_error,
        frequent_confusions=[ConfusionRead(suggested=c.suggested, suggested_name=r.path(c.suggested), chosen=c.chosen,
                                           chosen_name=r.path(c.chosen), count=c.count) for c in r.confusions],
        auto_returned=r.auto_returned, auto_return_rate=r.auto_return_rate, manual_return_rate=r.manual_return_rate,
        auto_returned_orders=[AutoReturnRead(number=a.number, confidence=a.confidence, suggested=a.suggested,
                                             reason=a.reason) for a in r.auto_returns])


@router.get("/quality", response_model=QualityRead, responses=ERRORS(401, 403, 422))
def read_quality(user: ApiUser, db: DB, first: From = None, last: To = None) -> QualityRead:
    """Routing's suggestions against the dispatchers' choices over the period (the 分类质量 page)."""
    permissions.check_figures_viewer(user)
    span = period(first, last)
    with db.read() as session:
        return quality_read(report.production_report(session, start=span.start, end=span.end, viewer=user), span)


@router.get("/units", response_model=UnitFiguresPage, responses=ERRORS(401, 403, 422))
def list_unit_figures(user: ApiUser, db: DB, first: From = None, last: To = None) -> UnitFiguresPage:
    """Each unit's dispatches, returns, reports and escalations over the period, highest return rate first."""
    permissions.check_figures_viewer(user)
    span = period(first, last)
    with db.read() as session:
        rows = units.unit_figures(session, span)
        return UnitFiguresPage(period=_period_read(span), units=[unit_figures_read(r) for r in rows])


@router.get("/units/{unit_id}", response_model=UnitDetailRead, responses=ERRORS(401, 403, 404, 422))
def read_unit_figures(unit_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], user: ApiUser, db: DB,
                      first: From = None, last: To = None) -> UnitDetailRead:
    """One unit's figures with the orders behind each."""
    permissions.check_figures_viewer(user)
    span = period(first, last)
    with db.read() as session:
        detail = units.get_unit_detail(session, unit_id, span, viewer=user)
        return UnitDetailRead(period=_period_read(span), figures=unit_figures_read(detail.figures),
                              dispatched=_orders(detail.dispatched), returned=_orders(detail.returned),
                              calls=_orders(detail.calls), escalations=_orders(detail.escalations))


CategoryCode = Annotated[str, Query(pattern=r"^(\d{2}){1,3}$", description="诉求分类编码（任一有效分类）")]


def proposal_read(found: proposal.Proposal) -> ProposalRead:
    return ProposalRead(number=found.number, category_code=found.category_code, category_path=found.category_path,
                        grade=found.grade, grade_reasons=found.grade_reasons,
                        owner=unit_brief(found.owner) if found.owner is not None else None,
                        owner_reason=found.owner_reason)


@router.get("/orders/{number}/proposal", response_model=ProposalRead, responses=ERRORS(401, 403, 404, 422))
def read_proposal(number: Annotated[str, Path(max_length=32)], category_code: CategoryCode, user: ApiUser,
                  db: DB) -> ProposalRead:
    """The grade and owner routing gives the order under ``category_code`` (the dispatch form's 改选分类):
    dispatch with that category and no ``grade`` stores this grade."""
    with db.read() as session:
        return proposal_read(proposal.propose(session, number, category_code, viewer=user))
