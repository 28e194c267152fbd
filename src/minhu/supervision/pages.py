"""The supervision page (一键监管): lights by unit and limit, and the orders behind each count."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import DomainError, Forbidden, InvalidInput
from minhu.core.types import MAX_ROW_ID
from minhu.deadlines import policy as policy_files
from minhu.deadlines import service as deadlines
from minhu.deadlines.models import LIMIT_LABELS, UNIT_LABELS, LimitKind
from minhu.deadlines.service import unknown_years_ahead
from minhu.orders import present, queries
from minhu.orders import service as order_service
from minhu.orders.enums import CHANNEL_LABELS, ORDER_TYPE_LABELS, URGENCY_LABELS
from minhu.orders.lights import LIGHT_LABELS, Light
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.org.roles import Role
from minhu.routing.models import LIMIT_CLASS_LABELS
from minhu.supervision import alerts, service, setup
from minhu.supervision.models import SweepAction
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
# The policy's keys as people read them (the file keeps the stable values).
KEY_LABELS: dict[str, dict[str, str]] = {
    "type": {k.value: v for k, v in ORDER_TYPE_LABELS.items()},
    "urgency": {k.value: v for k, v in URGENCY_LABELS.items()},
    "channel": {k.value: v for k, v in CHANNEL_LABELS.items()},
    "limit_class": {k.value: v for k, v in LIMIT_CLASS_LABELS.items()},
}
@router.get("/supervision")
def supervision(request: Request, user: PageUser, db: DB) -> Response:
    service.check_watcher(user)
    now = clock.now()
    with db.read() as session:
        board = service.board(session, user, now)
        missing_years = unknown_years_ahead(session, today=clock.city_now().date())
    return render(request, "supervision/board.html", user=user, csrf=csrf_token(request), board=board,
                  now=now, missing_years=missing_years, Light=Light, flashes=pop_flashes(request))


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
    try:
        return clock.city_local(text)
    except ValueError:
        raise InvalidInput("督办时限格式无效", details=[{"field": "due_at", "message": "请选择日期和时间"}]) from None


def _supervise_from_page(db: Database, number: str, user: User, action: str, form: dict[str, str]) -> None:
    with db.transaction() as session:
        order = queries.get_for_update(session, number, viewer=user)
        note = form.get("note", "")
        if action == "urge":
            order_service.urge(session, order, actor=user, note=note)
            alerts.notify_by_hand(session, order, SweepAction.URGE, actor=user, note=note)
        else:
            supervision = order_service.supervise(session, order, actor=user, note=note,
                                                  due_at=_city_instant(form.get("due_at", "")))
            alerts.notify_by_hand(session, order, SweepAction.SUPERVISE, actor=user, note=note,
                                  due_at=supervision.due_at)


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


def _admin(user: User) -> None:
    if user.role is not Role.ADMIN:
        raise Forbidden("只有管理员可以维护时限政策和工作日历", code="admin_only")


@router.get("/admin/time-limits")
def time_limits(request: Request, user: PageUser, db: DB) -> Response:
    """The policy in force (and the versions before it) and the working-day calendar."""
    service.check_watcher(user)
    with db.read() as session:
        view = service.time_limits_view(session, today=clock.city_now().date())
    return render(request, "supervision/time_limits.html", user=user, csrf=csrf_token(request), view=view,
                  limit_labels=LIMIT_LABELS, unit_labels=UNIT_LABELS, can_edit=user.role is Role.ADMIN,
                  key_labels=KEY_LABELS,
                  flashes=pop_flashes(request))


def _set_day_from_page(db: Database, form: dict[str, str]) -> str:
    try:
        day = date.fromisoformat(form.get("day", ""))
    except ValueError:
        raise InvalidInput("日期无效", details=[{"field": "day", "message": "请选择日期"}]) from None
    workday = form.get("kind") == "workday"
    with db.transaction() as session:
        deadlines.set_day(session, day, workday=workday, name=form.get("name", "").strip()[:50])
    return f"{day} 已设为{'调休上班' if workday else '放假'}"


@router.post("/admin/time-limits/day", dependencies=[CsrfProtected])
async def set_calendar_day(request: Request, user: PageUser, db: DB) -> Response:
    _admin(user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        flash(request, await run_in_threadpool(_set_day_from_page, db, form))
    except DomainError as exc:
        flash(request, exc.message, "error")
    return RedirectResponse("/admin/time-limits", status_code=303)


def _load_policy_from_page(db: Database, raw: bytes, name: str) -> str:
    parsed = policy_files.parse_policy(raw, setup.ALLOWED_KEYS)
    with db.transaction() as session:
        policy = deadlines.load_policy(session, parsed, name=name or "上传的时限政策")
        return f"时限政策 {policy.version} 已生效（{len(parsed.lines)} 条），此后登记的工单按新政策计时"


@router.post("/admin/time-limits/policy", dependencies=[CsrfProtected])
async def upload_policy(request: Request, user: PageUser, db: DB) -> Response:
    _admin(user)
    form = await request.form()
    upload = form.get("file")
    name = form.get("name")
    if not isinstance(upload, UploadFile):
        flash(request, "请选择时限政策 CSV 文件", "error")
        return RedirectResponse("/admin/time-limits", status_code=303)
    raw = await upload.read()
    try:
        flash(request, await run_in_threadpool(_load_policy_from_page, db, raw, name if isinstance(name, str) else ""))
    except DomainError as exc:
        lines = "；".join(exc.detail_lines()[:10])
        flash(request, f"{exc.message}{'：' + lines if lines else ''}", "error")
    return RedirectResponse("/admin/time-limits", status_code=303)
