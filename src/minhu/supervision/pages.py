"""The supervision page (一键监管): lights by unit and limit, and the orders behind each count."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from minhu.core import clock
from minhu.core.errors import Forbidden
from minhu.core.types import MAX_ROW_ID
from minhu.deadlines.models import LIMIT_LABELS, LimitKind
from minhu.deadlines.service import unknown_years_ahead
from minhu.orders import present
from minhu.orders.lights import LIGHT_LABELS, Light
from minhu.org.auth import PageUser, csrf_token
from minhu.org.models import User
from minhu.org.roles import Role
from minhu.supervision import service
from minhu.web.deps import DB
from minhu.web.render import render

router = APIRouter(include_in_schema=False)
# Who watches the lights: the centre, leaders, and the units' handlers for their own orders.
WATCHERS = frozenset({Role.DISPATCHER, Role.OPERATOR, Role.REVIEWER, Role.ADMIN, Role.LEADER, Role.HANDLER})


def _watcher(user: User) -> User:
    if user.role not in WATCHERS:
        raise Forbidden("您的角色不查看时限监管", code="not_a_watcher")
    return user


@router.get("/supervision")
def supervision(request: Request, user: PageUser, db: DB) -> Response:
    _watcher(user)
    now = clock.now()
    with db.read() as session:
        board = service.board(session, user, now)
        missing_years = unknown_years_ahead(session, today=clock.city_now().date())
    return render(request, "supervision/board.html", user=user, csrf=csrf_token(request), board=board,
                  now=now, missing_years=missing_years, Light=Light)


@router.get("/supervision/orders")
def supervision_orders(request: Request, user: PageUser, db: DB, limit: LimitKind, light: Light,
                       unit: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None) -> Response:
    _watcher(user)
    with db.read() as session:
        orders = [present.order_brief(o) for o in service.orders_in(session, user, clock.now(), limit=limit,
                                                                     light=light, unit_id=unit)]
    title = f"{LIMIT_LABELS[limit]}{LIGHT_LABELS[light]}工单"
    return render(request, "supervision/orders.html", user=user, csrf=csrf_token(request), orders=orders,
                  title=title, limit=limit, light=light, next_cursor=None, filters={})
