"""The supervision page (一键监管): lights by unit and limit, and the orders behind each count."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import DomainError, InvalidInput
from minhu.core.types import MAX_ROW_ID
from minhu.deadlines.models import LIMIT_LABELS, LimitKind
from minhu.deadlines.service import unknown_years_ahead
from minhu.orders import present, queries
from minhu.orders import service as order_service
from minhu.orders.lights import LIGHT_LABELS, Light
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.supervision import service
from minhu.web.deps import DB
from minhu.web.flash import flash
from minhu.web.render import render

router = APIRouter(include_in_schema=False)
@router.get("/supervision")
def supervision(request: Request, user: PageUser, db: DB) -> Response:
    service.check_watcher(user)
    now = clock.now()
    with db.read() as session:
        board = service.board(session, user, now)
        missing_years = unknown_years_ahead(session, today=clock.city_now().date())
    return render(request, "supervision/board.html", user=user, csrf=csrf_token(request), board=board,
                  now=now, missing_years=missing_years, Light=Light)


@router.get("/supervision/orders")
def supervision_orders(request: Request, user: PageUser, db: DB, limit: LimitKind, light: Light,
                       unit: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None) -> Response:
    service.check_watcher(user)
    with db.read() as session:
        orders = [present.order_brief(o) for o in service.orders_in(session, user, clock.now(), limit=limit,
                                                                     light=light, unit_id=unit)]
    title = f"{LIMIT_LABELS[limit]}{LIGHT_LABELS[light]}工单"
    return render(request, "supervision/orders.html", user=user, csrf=csrf_token(request), orders=orders,
                  title=title, limit=limit, light=light, next_cursor=None, filters={})


def _city_instant(text: str) -> datetime:
    """A ``datetime-local`` field's value, read in the city's time zone."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=clock.city_tz())
    except ValueError:
        raise InvalidInput("督办时限格式无效", details=[{"field": "due_at", "message": "请选择日期和时间"}]) from None


def _supervise_from_page(db: Database, number: str, user: User, action: str, form: dict[str, str]) -> None:
    with db.transaction() as session:
        order = queries.get_for_update(session, number, viewer=user)
        if action == "urge":
            order_service.urge(session, order, actor=user, note=form.get("note", ""))
        else:
            order_service.supervise(session, order, actor=user, note=form.get("note", ""),
                                    due_at=_city_instant(form.get("due_at", "")))


@router.post("/orders/{number}/supervision", dependencies=[CsrfProtected])
async def supervise_order(request: Request, number: str, user: PageUser, db: DB) -> Response:
    """The order page's 催办 and 督办 forms."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    action = "urge" if form.get("action") == "urge" else "supervise"
    try:
        await run_in_threadpool(_supervise_from_page, db, number, user, action, form)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(request, exc.message, "error")
    else:
        flash(request, "已催办" if action == "urge" else "已督办")
    return RedirectResponse(f"/orders/{number}", status_code=303)
