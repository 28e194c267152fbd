"""The dispatcher's pages: the queue (派单队列).

The queue's forms post to the order's own action route (``/orders/{number}/act``, which calls
``orders.service.apply_action``) with ``next`` pointing back here with the order's number and the version
the dispatcher saw; this page then says in one line what became of it. ``static/js/dispatch.js`` drives
the same forms from the keyboard and swaps the queue in place; without JavaScript they are plain forms.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from minhu.core.types import MAX_ROW_ID
from minhu.dispatch import permissions, queue
from minhu.orders.states import STATUS_LABELS, Status
from minhu.org import queries as org_queries
from minhu.org.auth import PageUser, csrf_token
from minhu.web.deps import DB
from minhu.web.flash import pop_flashes
from minhu.web.render import render

router = APIRouter(include_in_schema=False)

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
    errors = [message for kind, message in flashes if kind == "error"]
    with db.read() as session:
        waiting = queue.list_queue(session, viewer=user, statuses=wanted, limit=limit)
        outcome = queue.describe_outcome(session, focus, seen_version=seen, succeeded=bool(flashes) and not errors,
                                         error=errors[0] if errors else None) if focus and flashes else None
        fragment = bool(request.headers.get("hx-request"))
        targets = [] if fragment else org_queries.list_dispatch_targets(session)
    context: dict[str, Any] = {
        "user": user, "csrf": csrf_token(request), "queue": waiting, "outcome": outcome,
        "notes": [] if outcome is not None else flashes, "status_filter": status if wanted else "", "limit": limit,
        "waiting_labels": [(s.value, STATUS_LABELS[s]) for s in queue.WAITING]}
    if fragment:
        return render(request, "dispatch/_queue.html", **context)
    return render(request, "dispatch/queue.html", targets=targets, **context)
