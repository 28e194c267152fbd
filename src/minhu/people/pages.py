"""The people page (人员): grid workers' and areas' figures, communities' staffing, and the grid worker's form
for a patrol or household visit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from minhu.core import clock
from minhu.core.errors import DomainError, field_error
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.people import figures, permissions, service
from minhu.people.models import ROUND_KIND_LABELS, RoundKind
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.period import parse_day, period, presets
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
# A district has a thousand grids: the page lists those that found the most, the API all of them.
MAX_GRIDS = 100

From = Annotated[str, Query(alias="from", max_length=10)]
To = Annotated[str, Query(alias="to", max_length=10)]


@router.get("/people")
def show_people(request: Request, user: PageUser, db: DB, first: From = "", last: To = "") -> Response:
    permissions.check_viewer(user)
    span = period(parse_day(first, "from"), parse_day(last, "to"))
    with db.read() as session:
        found = figures.people_figures(session, span, user)
    return render(request, "people/people.html", user=user, csrf=csrf_token(request), period=span,
                  presets=presets(), figures=found, high_vacancy=figures.HIGH_VACANCY,
                  may_record=permissions.may_record_rounds(user), max_grids=MAX_GRIDS, kinds=ROUND_KIND_LABELS,
                  now=clock.city_now().strftime("%Y-%m-%dT%H:%M"), flashes=pop_flashes(request))


@router.post("/people/rounds", dependencies=[CsrfProtected])
def record_round(request: Request, user: PageUser, db: DB, kind: Annotated[str, Form(max_length=16)],
                 at: Annotated[str, Form(max_length=20)] = "",
                 note: Annotated[str, Form(max_length=500)] = "") -> Response:
    """The grid worker's form; the outcome comes back as a message on the page."""
    permissions.check_recorder(user)
    try:
        if kind not in {k.value for k in RoundKind}:
            raise field_error("kind", "请选择巡查或入户走访")
        try:
            when = clock.city_local(at) if at.strip() else None
        except ValueError:
            raise field_error("at", f"时间格式不对：{at}") from None
        with db.transaction() as session:
            service.record_round(session, actor=user, kind=RoundKind(kind), at=when, note=note)
    except DomainError as exc:
        if exc.status != 422:
            raise
        flash(request, exc.message, "error")
    else:
        flash(request, f"已登记{ROUND_KIND_LABELS[RoundKind(kind)]}")
    return RedirectResponse("/people", status_code=303)
