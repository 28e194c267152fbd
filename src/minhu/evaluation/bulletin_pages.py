"""The monthly bulletin's pages: the archive with a form to generate one, a bulletin, and its files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from minhu.core.db import Database
from minhu.core.errors import Forbidden
from minhu.evaluation import bulletin_archive, bulletin_charts, policies, rates
from minhu.evaluation.bulletin import fmt
from minhu.evaluation.bulletin_files import PDF_TYPE, XLSX_TYPE
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.org.roles import Role
from minhu.web.deps import DB, AppSettings
from minhu.web.downloads import attachment
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
# Everyone signed in reads the bulletin (it is circulated to every unit). The centre makes it: generating again
# replaces the archived bulletin with the current figures, so leaders, who are judged by it, only read it.
GENERATORS = frozenset({Role.ADMIN, Role.DISPATCHER})
PolicyParam = Annotated[str | None, Query(max_length=60)]


def may_generate(user: User) -> bool:
    return user.role in GENERATORS


def _require_generator(user: User) -> None:
    if not may_generate(user):
        raise Forbidden("只有指挥中心派单员和管理员可以生成通报", code="not_a_bulletin_maker")


@router.get("/bulletins")
def list_bulletins(request: Request, user: PageUser, db: DB) -> Response:
    with db.read() as session:
        records = bulletin_archive.list_records(session)
        choices = policies.available(session)
    return render(request, "evaluation/bulletins.html", user=user, csrf=csrf_token(request), records=records,
                  policies=choices, default_period=rates.last_month().key, may_generate=may_generate(user),
                  scheduler=bulletin_archive.SCHEDULER, flashes=pop_flashes(request))


@router.post("/bulletins", dependencies=[CsrfProtected])
def generate_bulletin(request: Request, user: PageUser, db: DB, settings: AppSettings,
                      period: Annotated[str, Form(max_length=40)],
                      policy: Annotated[str, Form(max_length=60)] = "") -> Response:
    _require_generator(user)
    month = bulletin_archive.month_of(period)
    done = bulletin_archive.generate(db, period=month, policy_ref=policy or None, by=user.full_name,
                                     templates_dir=settings.home / "templates")
    assert done is not None  # only_if_missing is off: it always stores
    flash(request, f"{done.title} 已{'重新生成' if done.replaced else '生成并归档'}")
    return RedirectResponse(f"/bulletins/{done.period}?policy={done.policy_ref}", status_code=303)


def _archived_file(db: Database, period: str, policy: str | None, extension: str, media_type: str) -> Response:
    """One of an archived bulletin's files (``pdf`` or ``xlsx``), named after its title."""
    with db.read() as session:
        record = bulletin_archive.get(session, bulletin_archive.month_of(period).key, policy, files=True)
    return attachment(getattr(record, extension), media_type, filename=f"{record.title}.{extension}",
                      ascii_name=f"bulletin-{record.period}.{extension}")


# The file routes come before the page: "/bulletins/{period}" would take "2026-10.pdf" as a period.
@router.get("/bulletins/{period}.pdf")
def bulletin_pdf(period: str, user: PageUser, db: DB, policy: PolicyParam = None) -> Response:
    return _archived_file(db, period, policy, "pdf", PDF_TYPE)


@router.get("/bulletins/{period}.xlsx")
def bulletin_xlsx(period: str, user: PageUser, db: DB, policy: PolicyParam = None) -> Response:
    return _archived_file(db, period, policy, "xlsx", XLSX_TYPE)


@router.get("/bulletins/{period}")
def show_bulletin(request: Request, period: str, user: PageUser, db: DB, policy: PolicyParam = None) -> Response:
    """The archived bulletin of the month, else a preview computed now (which a generator may then archive)."""
    month = bulletin_archive.month_of(period)
    with db.read() as session:
        record = bulletin_archive.find(session, month.key, policy)
        document = record.content if record is not None else bulletin_archive.preview(session, policy, month)
    charts = {"trend": bulletin_charts.trend_svg(document), "scores": bulletin_charts.street_scores_svg(document)}
    return render(request, "evaluation/bulletin.html", user=user, csrf=csrf_token(request), b=document, fmt=fmt,
                  charts=charts, chart_data=bulletin_charts.echarts_data(document), record=record,
                  scheduler=bulletin_archive.SCHEDULER, may_generate=may_generate(user),
                  flashes=pop_flashes(request))
