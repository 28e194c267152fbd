"""The reviewers' callback queue page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from minhu.core import clock
from minhu.core.errors import Forbidden
from minhu.evaluation import callbacks
from minhu.orders import present
from minhu.org.auth import PageUser, csrf_token
from minhu.org.roles import Role
from minhu.web.deps import DB
from minhu.web.flash import pop_flashes
from minhu.web.render import render

router = APIRouter(include_in_schema=False)
# Who calls citizens back, and who watches them do it.
CALLERS = frozenset({Role.REVIEWER, Role.DISPATCHER, Role.ADMIN, Role.LEADER})


@router.get("/callbacks")
def callback_queue(request: Request, user: PageUser, db: DB) -> Response:
    if user.role not in CALLERS:
        raise Forbidden("您的角色不做回访", code="not_a_caller")
    now = clock.now()
    with db.read() as session:
        found = callbacks.queue(session, user, now)
        rows = [(present.order_read(order, user), order.callback_due_at) for order in found.orders]
    return render(request, "evaluation/callbacks.html", user=user, csrf=csrf_token(request), rows=rows,
                  waiting=found.waiting, overdue=found.overdue, now=now, flashes=pop_flashes(request))
