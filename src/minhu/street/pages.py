"""The street dispatcher's page (/street): the street's queue, keyboard first like the centre's, and its settings.

The queue's forms post to the order's own action route (``/orders/{number}/act``) with ``next`` pointing back
here; ``static/js/dispatch.js`` drives them from the keyboard and swaps the queue in place.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from minhu.core.types import MAX_ROW_ID
from minhu.orders.states import STATUS_LABELS
from minhu.org import queries as org_queries
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.roles import UNIT_KIND_LABELS
from minhu.street import queue, service
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)


@router.get("/street")
def street_page(request: Request, user: PageUser, db: DB, focus: Annotated[str, Query(max_length=32)] = "",
                seen: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None) -> Response:
    """The street's queue; htmx and the keyboard script get only the queue block."""
    street = service.check_street_dispatcher(user)
    with db.read() as session:
        found = queue.street_queue(session, street, viewer=user)
        setting = org_queries.street_setting(session, street.id)
        outcome = queue.describe_outcome(session, street, focus, seen_version=seen, viewer=user)
    flashes = pop_flashes(request)
    if outcome is not None:  # said better than the action's own name
        flashes = [[kind, message] for kind, message in flashes if kind != "ok"] + [["ok", outcome]]
    context: dict[str, Any] = {"user": user, "csrf": csrf_token(request), "queue": found, "setting": setting,
                               "focus": focus, "seen": seen, "notes": flashes,
                               "STATUS_LABELS": STATUS_LABELS, "UNIT_KIND_LABELS": UNIT_KIND_LABELS}
    if request.headers.get("hx-request"):
        return render(request, "street/_queue.html", **context)
    return render(request, "street/queue.html", **context)


@router.post("/street/settings", dependencies=[CsrfProtected])
async def save_settings(request: Request, user: PageUser, db: DB) -> Response:
    """The street dispatcher's own settings: unchecked boxes are not sent, so absent means off."""
    street = service.check_street_dispatcher(user)
    form = await request.form()
    with db.transaction() as session:
        service.update_settings(session, session.merge(street, load=False), actor=user,
                                sub_centre=form.get("sub_centre") == "on",
                                review_inner_replies=form.get("review_inner_replies") == "on",
                                a_level_straight=form.get("a_level_straight") == "on")
    flash(request, "街道分中心设置已保存")
    return RedirectResponse("/street#settings", status_code=303)
