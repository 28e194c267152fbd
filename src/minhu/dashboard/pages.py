"""The dashboard (数据看板) and its wall screen (大屏), for a period and a place; every chart's figures as CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import field_error
from minhu.dashboard import figures
from minhu.org.auth import ApiUser, PageUser
from minhu.org.models import Unit
from minhu.org.roles import UnitKind
from minhu.web.deps import DB
from minhu.web.downloads import attachment
from minhu.web.formdata import FormRoute
from minhu.web.period import Period, parse_day, period, presets
from minhu.web.render import render
from minhu.web.responses import ERRORS

router = APIRouter(include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/api/v1", tags=["数据看板"], route_class=FormRoute)

From = Annotated[str, Query(alias="from", max_length=10, description="第一天 YYYY-MM-DD（含）")]
To = Annotated[str, Query(alias="to", max_length=10, description="最后一天 YYYY-MM-DD（含）")]
Place = Annotated[str, Query(max_length=10, description="街道或社区的单位 id；空为全区")]
# A wall screen refreshes itself this often (seconds).
WALL_REFRESH = 300
PLACE_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY)


def _place(session: Session, value: str) -> Unit | None:
    if not value:
        return None
    unit = session.get(Unit, int(value)) if value.isdecimal() else None
    if unit is None or unit.kind not in PLACE_KINDS:
        raise field_error("place", "请选择街道或社区", code="invalid_place")
    return unit


def _span(first: str, last: str) -> Period:
    return period(parse_day(first, "from"), parse_day(last, "to"))


def _places(session: Session) -> list[tuple[int, str, str]]:
    return [(i, name, kind.value) for i, name, kind in session.execute(
        select(Unit.id, Unit.name, Unit.kind).where(Unit.kind.in_(PLACE_KINDS), Unit.active.is_(True))
        .order_by(Unit.code))]


@router.get("/dashboard")
def dashboard_page(request: Request, user: PageUser, db: DB, first: From = "", last: To = "",
                   place: Place = "") -> Response:
    span = _span(first, last)
    with db.read() as session:
        board = figures.dashboard(session, span, viewer=user, place=_place(session, place))
        places = _places(session)
    return render(request, "dashboard/dashboard.html", user=user, board=board, data=figures.document(board),
                  period=span, presets=presets(), places=places, place=place, sections=figures.SECTIONS)


@router.get("/dashboard/wall")
def wall(request: Request, user: PageUser, db: DB, first: From = "", last: To = "", place: Place = "") -> Response:
    """Full screen for the command centre's wall: the same figures, large, refreshed every five minutes."""
    span = _span(first, last)
    with db.read() as session:
        board = figures.dashboard(session, span, viewer=user, place=_place(session, place))
    return render(request, "dashboard/wall.html", user=user, board=board, data=figures.document(board),
                  refresh=WALL_REFRESH, now=clock.city_now())


@router.get("/dashboard/export")
def export(user: PageUser, db: DB, section: Annotated[str, Query(max_length=16)], first: From = "",
           last: To = "", place: Place = "") -> Response:
    if section not in {*figures.SECTIONS, "series", "rates"}:
        raise field_error("section", "没有这张图表", code="invalid_section")
    span = _span(first, last)
    with db.read() as session:
        board = figures.dashboard(session, span, viewer=user, place=_place(session, place))
    out = io.StringIO()
    csv.writer(out).writerows(figures.table(board, section))
    name = f"看板-{section}-{span.first.isoformat()}至{span.last.isoformat()}.csv"
    return attachment(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", filename=name,
                      ascii_name=f"dashboard-{section}.csv")


@api.get("/dashboard", responses=ERRORS(401, 422))
def dashboard_data(user: ApiUser, db: DB, first: From = "", last: To = "", place: Place = "") -> dict[str, object]:
    """The dashboard's figures for a period (default the last 30 days) and a street or community: totals with
    环比 and 同比, the series, the breakdowns by category, channel, type, street and community, the share grid
    workers found first, and the three rates by category — within the caller's scope."""
    span = _span(first, last)
    with db.read() as session:
        return figures.document(figures.dashboard(session, span, viewer=user, place=_place(session, place)))
