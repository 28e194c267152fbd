"""The grid worker's phone page (网格工作台): a patrol started, marked on the way and ended; household visits; a
problem found on the spot reported with photos (主动发现), or, for an A-level matter solved there, registered and
replied in one step with photos before and after (就地解决)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi import Path as UrlPath
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from minhu.core import clock, idempotency
from minhu.core.errors import Conflict, DomainError, InvalidInput, NotFound, field_error
from minhu.core.files import StoredFile, remove_stored
from minhu.core.types import MAX_ROW_ID
from minhu.intake import photo_pages, photos
from minhu.orders import attachments, forms, present
from minhu.orders import service as order_service
from minhu.orders.enums import ORDER_TYPE_LABELS, Channel, OrderType
from minhu.orders.intake import Chosen
from minhu.orders.models import WorkOrder
from minhu.orders.states import STATUS_LABELS, Status
from minhu.org import queries as org_queries
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import Unit, User
from minhu.people import permissions, service
from minhu.people.models import ROUND_KIND_LABELS, RoundKind
from minhu.routing import service as routing
from minhu.web.deps import DB, AppSettings
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
RoundId = Annotated[int, UrlPath(ge=1, le=MAX_ROW_ID)]
# What the page lists of the worker's own: the rounds and reports of the last week.
RECENT = timedelta(days=7)
# The photos of one report, before and after together, are those one browser may hold at once.
BEFORE, AFTER = "photos", "after_photos"


def _home(request: Request, user: User, db: Any, **extra: Any) -> Response:
    since = clock.now() - RECENT
    with db.read() as session:
        patrol = service.patrol_under_way(session, user)
        rounds = [r for r in service.recent_rounds(session, user, since=since) if r is not patrol]
        reported = list(session.scalars(select(WorkOrder).where(WorkOrder.created_by_id == user.id,
                                                                 WorkOrder.created_at >= since)
                                        .order_by(WorkOrder.created_at.desc()).limit(30)))
        grid = session.get(Unit, user.unit_id)
    return render(request, "grid/home.html", user=user, csrf=csrf_token(request), patrol=patrol, rounds=rounds,
                  reported=reported, grid=grid, kinds=ROUND_KIND_LABELS, statuses=STATUS_LABELS,
                  flashes=pop_flashes(request), **extra)


@router.get("/grid")
def grid_home(request: Request, user: PageUser, db: DB) -> Response:
    permissions.check_recorder(user)
    return _home(request, user, db)


def _done(request: Request, message: str, kind: str = "ok") -> Response:
    flash(request, message, kind)
    return RedirectResponse("/grid", status_code=303)


def _record(request: Request, db: Any, write: Callable[[Session], str]) -> Response:
    """Run one write of the page; its outcome, or the refusal in plain words, comes back as a message."""
    try:
        with db.transaction() as session:
            message = write(session)
    except (InvalidInput, Conflict, NotFound) as exc:
        return _done(request, exc.message, "error")
    return _done(request, message)


@router.post("/grid/patrols", dependencies=[CsrfProtected])
def start_patrol(request: Request, user: PageUser, db: DB) -> Response:
    permissions.check_recorder(user)

    def write(session: Session) -> str:
        patrol = service.start_patrol(session, actor=user)
        return f"巡查已开始（{patrol.at.astimezone(clock.city_tz()):%H:%M}）"
    return _record(request, db, write)


def _coordinate(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise field_error(name, "未取得当前位置：请允许浏览器使用位置后重试") from None


@router.post("/grid/patrols/{round_id}/points", dependencies=[CsrfProtected])
def mark_point(request: Request, user: PageUser, db: DB, round_id: RoundId,
               latitude: Annotated[str, Form(max_length=32)] = "", longitude: Annotated[str, Form(max_length=32)] = "",
               note: Annotated[str, Form(max_length=200)] = "") -> Response:
    permissions.check_recorder(user)

    def write(session: Session) -> str:
        point = service.mark_point(session, actor=user, round_id=round_id,
                                   latitude=_coordinate(latitude, "latitude"),
                                   longitude=_coordinate(longitude, "longitude"), note=note)
        return f"已记录位置（{point.latitude:.5f}，{point.longitude:.5f}）"
    return _record(request, db, write)


@router.post("/grid/patrols/{round_id}/end", dependencies=[CsrfProtected])
def end_patrol(request: Request, user: PageUser, db: DB, round_id: RoundId,
               note: Annotated[str, Form(max_length=500)] = "") -> Response:
    permissions.check_recorder(user)

    def write(session: Session) -> str:
        patrol = service.end_patrol(session, actor=user, round_id=round_id, note=note)
        minutes = max(1, round((patrol.ended_at - patrol.at).total_seconds() / 60)) if patrol.ended_at else 0
        return f"巡查已结束：用时 {minutes} 分钟，记录位置 {len(patrol.points)} 个"
    return _record(request, db, write)


@router.post("/grid/visits", dependencies=[CsrfProtected])
def record_visit(request: Request, user: PageUser, db: DB, household: Annotated[str, Form(max_length=200)] = "",
                 note: Annotated[str, Form(max_length=500)] = "") -> Response:
    permissions.check_recorder(user)

    def write(session: Session) -> str:
        if not household.strip():
            raise field_error("household", "请填写走访的住户（楼栋、门牌或户主）")
        service.record_round(session, actor=user, kind=RoundKind.VISIT, at=None, note=note, household=household)
        return f"已登记入户走访：{household.strip()}"
    return _record(request, db, write)


def _report_page(request: Request, user: User, db: Any, *, form: dict[str, str], errors: dict[str, str],
                 status_code: int = 200, message: str | None = None, held: dict[str, list[str]] | None = None,
                 idem: str | None = None) -> Response:
    with db.read() as session:
        grid = session.get(Unit, user.unit_id)
        street = org_queries.street_above(session, grid)
        items = routing.a_level_items(session, street.id if street is not None else None)
    return render(request, "grid/report.html", status_code=status_code, user=user, csrf=csrf_token(request),
                  form=form, errors=errors, message=message, items=items, grid=grid, held=held or {},
                  types=[(t.value, ORDER_TYPE_LABELS[t]) for t in OrderType if t is not OrderType.PRAISE],
                  idem=idem or secrets.token_urlsafe(16))


@router.get("/grid/report")
def report_form(request: Request, user: PageUser, db: DB, settings: AppSettings) -> Response:
    """A fresh form starts without photos: those this browser held for a form it left are let go."""
    permissions.check_recorder(user)
    held = photo_pages.held_tokens(request)
    for token in held:
        photos.release(settings.attachments_dir, token)
    photo_pages.forget_tokens(request, held)
    form = {"type": OrderType.REPORT.value, **({"solved": "1"} if request.query_params.get("solved") else {})}
    return _report_page(request, user, db, form=form, errors={})


async def _chosen_photos(request: Request) -> dict[str, list[str]]:
    """The held photos the form sends, before and after apart; only this browser's, each once, nine in all."""
    held = set(photo_pages.held_tokens(request))
    form = await request.form()
    chosen: dict[str, list[str]] = {}
    seen: set[str] = set()
    for name in (BEFORE, AFTER):
        tokens = [t for t in dict.fromkeys(form.getlist(name)) if isinstance(t, str) and t in held and t not in seen]
        chosen[name] = tokens[:photos.MAX_PHOTOS - len(seen)]
        seen.update(chosen[name])
    return chosen


def _sent_before(db: Any, user: User, key: str) -> bool:
    if not key:
        return False
    with db.read() as session:
        return idempotency.used(session, f"user:{user.id}", key)


@router.post("/grid/report", dependencies=[CsrfProtected])
async def report(request: Request, user: PageUser, db: DB, settings: AppSettings) -> Response:
    """Report what was found (it waits for the centre's acceptance), or register an A-level matter solved on the
    spot and its reply in one step. A retried form (its key) registers one order."""
    permissions.check_recorder(user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    chosen = await _chosen_photos(request)
    solved = bool(form.get("solved"))
    idem = form.get("idem", "")
    root = settings.attachments_dir
    linked: dict[str, list[StoredFile]] = {BEFORE: [], AFTER: []}
    try:
        if solved and not form.get("category_code"):
            raise field_error("category_code", "请选择就地解决的 A 级事项")
        if solved and not form.get("outcome", "").strip():
            raise field_error("outcome", "请写明现场是怎样解决的")
        data = forms.order_create(form, channel=Channel.GRID_PATROL.value)
        for name in (BEFORE, AFTER):
            for token in chosen[name]:
                stored = photos.attach(root, token)
                if stored is not None:
                    linked[name].append(stored)
        # A second tap finds its photos already sent with the first: only a first sending must bring one.
        if solved and not linked[AFTER] and not await run_in_threadpool(_sent_before, db, user, idem):
            raise field_error(AFTER, "请添加处置后的照片")
        decided = (Chosen(category=form["category_code"], solved=form["outcome"].strip()[:2000])
                   if solved else None)
        registered = await run_in_threadpool(partial(
            order_service.create_order_once, db, data, actor=user, key=idem or None,
            scope=f"user:{user.id}", chosen=decided,
            with_order=(partial(_add_photos, actor=user, before=linked[BEFORE], after=linked[AFTER],
                                solved=solved),)))
    except DomainError as exc:
        _unlink(root, linked)
        if exc.status not in (409, 422):
            raise
        errors = ({d["field"]: d["message"] for d in exc.details if isinstance(d, dict)}
                  if isinstance(exc.details, list) else {})
        message = exc.message
        if exc.code == "idempotency_key_reused":
            # Sent before, then changed (the back button): a new request now, confirmed by sending once more.
            idem, message = "", "此表单已提交过，内容已修改；如确需另行登记，请再次提交。"
        return _report_page(request, user, db, form=form, errors=errors, status_code=exc.status,
                            message=message, held=chosen, idem=idem or None)
    except BaseException:
        _unlink(root, linked)
        raise
    if not registered.created:  # a retry: the first sending registered the order and its photos
        _unlink(root, linked)
    sent = chosen[BEFORE] + chosen[AFTER]
    for token in sent:
        photos.release(root, token)
    photo_pages.forget_tokens(request, sent)
    order = registered.order
    # Said from what was registered, not from this form: a retry may differ from the sending that counted.
    if order.status is Status.REPLIED and order.owner_unit_id == user.unit_id:
        flash(request, f"已登记就地解决：工单 {order.number}，待指挥中心审核后回访")
    else:
        flash(request, f"问题已上报：工单 {order.number}（{present.status_label(order)}）")
    return RedirectResponse("/grid", status_code=303)


def _add_photos(session: Session, order: WorkOrder, *, actor: User, before: list[StoredFile],
                after: list[StoredFile], solved: bool) -> None:
    """The report's photos as the order's attachments, in the transaction that registers it; for a matter solved on
    the spot named before and after, so the order page and the reviewer tell them apart."""
    for label, files in (("处置前" if solved else "现场", before), ("处置后", after if solved else [])):
        for index, file in enumerate(files, start=1):
            attachments.add_attachment(session, order, actor=actor, filename=f"{label}照片{index}", stored=file)


def _unlink(root: Any, linked: dict[str, list[StoredFile]]) -> None:
    for files in linked.values():
        for file in files:
            remove_stored(root, file.storage_key)
