"""The reviewers' callback queue page and the rankings page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from minhu.core import clock
from minhu.core.errors import Forbidden, InvalidInput
from minhu.evaluation import callbacks, policies, rankings, rates
from minhu.orders import present
from minhu.org.auth import PageUser, csrf_token
from minhu.org.models import Unit
from minhu.org.roles import Role, UnitKind
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


@router.get("/rankings")
def rankings_page(request: Request, user: PageUser, db: DB,
                  period: Annotated[str | None, Query(max_length=40)] = None,
                  policy: Annotated[str | None, Query(max_length=60)] = None,
                  kind: Annotated[str, Query(max_length=20)] = UnitKind.STREET.value) -> Response:
    """双考排名: pick a month (or any period), a policy and a kind of unit."""
    chosen_kind = UnitKind(kind) if kind in {k.value for k in rankings.RANKED_KINDS} else UnitKind.STREET
    try:
        span = rates.parse_period(period)
        problem = None
    except InvalidInput as error:
        span, problem = rates.last_month(), error.message
    with db.read() as session:
        try:
            chosen = policies.resolve(session, policy)
        except InvalidInput as error:
            chosen, problem = policies.resolve(session, None), error.message
        ranking = rankings.rank(session, chosen, span, chosen_kind)
        district = session.scalar(select(Unit).where(Unit.kind == UnitKind.DISTRICT).order_by(Unit.id))
        whole = rankings.rates_of(session, chosen, span, district.id) if district else None
        available = policies.available(session)
    return render(request, "evaluation/rankings.html", user=user, csrf=csrf_token(request), ranking=ranking,
                  whole=whole, district=district, policies=available, kinds=rankings.RANKED_KINDS, problem=problem,
                  flashes=pop_flashes(request))
