"""The dispatcher's pages: the queue (派单队列), the classifier's quality (分类质量) and the unit figures
(单位统计) — and the answer the order page's dispatch form asks for when another category is chosen.

The queue's forms post to the order's own action route (``/orders/{number}/act``, which calls
``orders.service.apply_action``) with ``next`` pointing back here with the order's number and the version
the dispatcher saw; this page then says in one line what became of it. ``static/js/dispatch.js`` drives
the same forms from the keyboard and swaps the queue in place; without JavaScript they are plain forms.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from minhu.core.types import MAX_ROW_ID
from minhu.dispatch import permissions, proposal, queue, report, units
from minhu.dispatch.api import CategoryCode, proposal_read
from minhu.dispatch.schemas import Period, parse_day, period, presets
from minhu.orders.states import STATUS_LABELS, Status
from minhu.org import tree
from minhu.org.auth import PageUser, csrf_token
from minhu.org.models import User
from minhu.org.roles import UNIT_KIND_LABELS
from minhu.routing import service as routing
from minhu.web.deps import DB
from minhu.web.flash import pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)

From = Annotated[str, Query(alias="from", max_length=10, description="第一天 YYYY-MM-DD（含）")]
To = Annotated[str, Query(alias="to", max_length=10, description="最后一天 YYYY-MM-DD（含）")]


def _period(first: str, last: str) -> Period:
    return period(parse_day(first, "from"), parse_day(last, "to"))


@router.get("/dispatch")
def show_queue(
    request: Request, user: PageUser, db: DB,
    status: Annotated[str, Query(max_length=20)] = "",
    limit: Annotated[int, Query(ge=1, le=queue.MAX_LIMIT)] = queue.DEFAULT_LIMIT,
    focus: Annotated[str, Query(max_length=32)] = "",
    seen: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> Response:
    """The queue; ``focus``/``seen`` name the order just acted on, whose outcome the page states.
    htmx and the keyboard script get only the queue block."""
    permissions.check_queue_viewer(user)
    wanted = frozenset({Status(status)}) if status in {s.value for s in queue.WAITING} else None
    flashes = pop_flashes(request)
    with db.read() as session:
        waiting = queue.list_queue(session, viewer=user, statuses=wanted, limit=limit)
        outcome = queue.describe_outcome(session, focus, seen_version=seen, messages=flashes)
        fragment = bool(request.headers.get("hx-request"))
        targets = [] if fragment else tree.dispatch_targets(session)
    context: dict[str, Any] = {
        "user": user, "csrf": csrf_token(request), "queue": waiting, "outcome": outcome,
        "notes": [] if outcome is not None else flashes, "status_filter": status if wanted else "", "limit": limit,
        "waiting_labels": [(s.value, STATUS_LABELS[s]) for s in queue.WAITING]}
    if fragment:
        return render(request, "dispatch/_queue.html", **context)
    return render(request, "dispatch/queue.html", targets=targets, **context)


def _figures_page(request: Request, template: str, span: Period, user: User, **context: Any) -> Response:
    return render(request, template, user=user, csrf=csrf_token(request), period=span, presets=presets(), **context)


@router.get("/dispatch/quality")
def show_quality(request: Request, user: PageUser, db: DB, first: From = "", last: To = "") -> Response:
    """The classifier's quality: accuracy, confusion, calibration, auto-dispatches that came back."""
    permissions.check_figures_viewer(user)
    span = _period(first, last)
    with db.read() as session:
        figures = report.production_report(session, start=span.start, end=span.end, viewer=user)
    # The threshold in use: the deployment's setting, else the one derived with the model.
    threshold = routing.dispatch_threshold()
    return _figures_page(request, "dispatch/quality.html", span, user, report=figures,
                         threshold=threshold if threshold <= 1 else None)


@router.get("/dispatch/units")
def show_units(request: Request, user: PageUser, db: DB, first: From = "", last: To = "") -> Response:
    """Every unit's dispatches, returns, reports and escalations, highest return rate first."""
    permissions.check_figures_viewer(user)
    span = _period(first, last)
    with db.read() as session:
        rows = units.unit_figures(session, span)
    return _figures_page(request, "dispatch/units.html", span, user, rows=rows, kind_labels=UNIT_KIND_LABELS,
                         notable=units.NOTABLE_RETURN_RATE)


@router.get("/dispatch/units/{unit_id}")
def show_unit(request: Request, unit_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], user: PageUser, db: DB,
              first: From = "", last: To = "") -> Response:
    """One unit's figures with the orders behind each."""
    permissions.check_figures_viewer(user)
    span = _period(first, last)
    with db.read() as session:
        detail = units.get_unit_detail(session, unit_id, span, viewer=user)
    return _figures_page(request, "dispatch/unit.html", span, user, detail=detail, kind_labels=UNIT_KIND_LABELS)


@router.get("/dispatch/orders/{number}/proposal")
def show_proposal(number: Annotated[str, Path(max_length=32)], category_code: CategoryCode, user: PageUser,
                  db: DB) -> Response:
    """JSON for the dispatch form (``static/js/picker.js``): the grade and owner under another category, as
    ``GET /api/v1/dispatch/orders/{number}/proposal`` answers it."""
    with db.read() as session:
        found = proposal.propose(session, number, category_code, viewer=user)
        return JSONResponse(proposal_read(found).model_dump(mode="json"))
