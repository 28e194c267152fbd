"""The operator's new-order form and the resident pages (submit a request, follow it)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as UrlPath
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from minhu.board import service as board
from minhu.core.db import Database
from minhu.core.errors import Conflict, Forbidden, InvalidInput, TooManyRequests
from minhu.core.files import StoredFile, remove_stored
from minhu.guard import service as guard
from minhu.intake import photo_pages, photos, tracking
from minhu.orders import attachments, forms, permissions, present, queries
from minhu.orders import service as order_service
from minhu.orders.enums import Channel
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status
from minhu.org import queries as org_queries
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import Unit
from minhu.org.roles import Role, UnitKind
from minhu.web.deps import DB, AppSettings, client_address
from minhu.web.flash import flash
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)



STAFF_CHANNELS = (Channel.HOTLINE, Channel.WEB_BOARD, Channel.LEADER_MAILBOX, Channel.GRID_PATROL)


def _desk(user: Any) -> dict[str, Any]:
    """What the form offers this person: a grid worker reports from the patrol, a property company or owners'
    committee what residents brought it, and the centre accepts what the centre registers; anyone else's report
    waits for it."""
    if user.role is Role.GRIDWORKER:
        channels: tuple[Channel, ...] = (Channel.GRID_PATROL,)
    elif permissions.registers_for_neighbours(user):
        channels = (Channel.NEIGHBOURHOOD,)
    else:
        channels = STAFF_CHANNELS
    return {"channels": channels, "accepts": user.role in order_service.INTAKE_ROLES,
            "neighbourhood": permissions.registers_for_neighbours(user)}


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.get("/orders/new")
def new_order_form(request: Request, user: PageUser) -> Response:
    if not permissions.may_register(user):
        raise Forbidden("您的角色不能登记工单", code="not_an_intake_role")
    return render(request, "intake/new.html", user=user, csrf=csrf_token(request), form={},
                  errors={}, idem=secrets.token_urlsafe(16), **_desk(user))


@router.post("/orders/new", dependencies=[CsrfProtected])
async def create_from_console(request: Request, user: PageUser, db: DB) -> Response:
    """A double-clicked submit carries one form key, so it registers one order."""
    form = await _form(request)
    try:
        data = forms.order_create(form)
        if not permissions.is_centre(user) and data.channel not in _desk(user)["channels"]:
            # A grid worker reports from the patrol, a property company for its residents: the channel says who
            # found it (主动发现 counts the grid's), so it is theirs, not a choice.
            raise InvalidInput("来源渠道不对", details=[{"field": "channel", "message": "只能选择本单位的来源渠道"}],
                               code="channel_not_allowed")
        # The write blocks on the database: off the event loop, like every sync route.
        order = (await run_in_threadpool(order_service.create_order_once, db, data, actor=user,
                                         key=form.get("idem") or None, scope=f"user:{user.id}")).order
    except (InvalidInput, Conflict) as exc:
        return render(request, "intake/new.html", status_code=exc.status, user=user, csrf=csrf_token(request),
                      form=form, **_desk(user), **_form_trouble(exc, form))
    flash(request, f"工单 {order.number} 已登记" + await run_in_threadpool(_joined_note, db, order))
    return RedirectResponse(f"/orders/{order.number}", status_code=303)


def _joined_note(db: Database, order: WorkOrder) -> str:
    """What the operator is told when intake joined the call to its matter (一事多办)."""
    if order.status is not Status.JOINED or order.duplicate_of_id is None:
        return ""
    with db.read() as session:
        main = session.get(WorkOrder, order.duplicate_of_id)
    return f"，与工单 {main.number} 为同一事项，已自动并入" if main is not None else ""


def _form_trouble(exc: InvalidInput | Conflict, form: dict[str, str]) -> dict[str, Any]:
    """What a re-rendered intake form shows: the message, the fields at fault and the form key to use."""
    if isinstance(exc, Conflict):
        if exc.code != "idempotency_key_reused":
            raise exc
        # The form was submitted before and then changed (the back button): it is a new request now,
        # so it gets a new key, and the person confirms by submitting once more.
        first = exc.details.get("resource") if isinstance(exc.details, dict) else None
        return {"errors": {}, "idem": secrets.token_urlsafe(16),
                "message": f"此表单已提交过（工单 {first}）。内容已修改，如确需另行登记，请再次提交。"}
    errors = {d["field"]: d["message"] for d in exc.details if isinstance(d, dict)} \
        if isinstance(exc.details, list) else {}
    return {"errors": errors, "message": exc.message, "idem": form.get("idem", "")}


@router.get("/public/report")
def report_form(request: Request, db: DB, settings: AppSettings,
                community: Annotated[str, Query(max_length=32)] = "") -> Response:
    """The report page; from a community's QR code (``?community=``), with that community as the place. A fresh
    page starts without photos: those this browser added to a page it left are let go."""
    held = photo_pages.held_tokens(request)
    for token in held:
        photos.release(settings.attachments_dir, token)
    photo_pages.forget_tokens(request, held)
    form: dict[str, str] = {}
    place = None
    if community:
        with db.read() as session:
            place = org_queries.find_unit_by_code(session, community.strip())
            if place is not None and place.kind is UnitKind.COMMUNITY:
                street = session.get(Unit, place.parent_id) if place.parent_id else None
                form["address"] = f"{street.name if street else ''}{place.name}"
            else:
                place = None
    return render(request, "intake/report.html", csrf=csrf_token(request), form=form, errors={},
                  idem=secrets.token_urlsafe(16), community=place)


@router.post("/public/report", dependencies=[CsrfProtected])
async def report(request: Request, db: DB, settings: AppSettings) -> Response:
    form = await _form(request)
    held = photo_pages.held_tokens(request)
    chosen = [t for t in (await request.form()).getlist("photos") if isinstance(t, str) and t in held]
    root = settings.attachments_dir
    linked: list[StoredFile] = []
    missing = 0
    client = client_address(request)
    try:
        await run_in_threadpool(guard.reserve_all, db, (guard.REPORT_CLIENT, client))
    except TooManyRequests as exc:
        response = render(request, "intake/report.html", status_code=429, csrf=csrf_token(request), form=form,
                          held=chosen, errors={}, message=exc.message,
                          idem=form.get("idem") or secrets.token_urlsafe(16))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    try:
        if not form.get("citizen_phone"):
            raise InvalidInput("请留下手机号码，以便办理单位联系您并查询进度",
                               details=[{"field": "citizen_phone", "message": "请填写手机号码"}])
        data = forms.order_create(form, channel=Channel.MOBILE.value)
        for token in chosen[:photos.MAX_PHOTOS]:
            # A photo no longer held went with this report's first sending (the answer to it was lost), or
            # waited more than a day: the report goes on without it, and says so.
            stored = photos.attach(root, token)
            if stored is None:
                missing += 1
            else:
                linked.append(stored)
        writes: list[Callable[[Session, WorkOrder], None]] = [partial(_add_photos, stored=linked)] if linked else []
        if form.get("public"):
            writes.append(board.submit)  # on the message board once a moderator has published it
        registered = await run_in_threadpool(partial(
            order_service.create_order_once, db, data, actor=None, key=form.get("idem") or None, scope="public",
            with_order=tuple(writes)))
    except (InvalidInput, Conflict) as exc:
        _unlink(root, linked)
        await run_in_threadpool(_release_report, db, client)  # a form to correct is not another report
        return render(request, "intake/report.html", status_code=exc.status, csrf=csrf_token(request), form=form,
                      held=chosen, **_form_trouble(exc, form))
    except BaseException:
        _unlink(root, linked)
        raise
    if not registered.created:  # a retry: the first submission registered the order and its photos
        _unlink(root, linked)
        await run_in_threadpool(_release_report, db, client)
    for token in chosen:
        photos.release(root, token)
    photo_pages.forget_tokens(request, chosen)
    return render(request, "intake/submitted.html", number=registered.order.number,
                  link=tracking.link(registered.order.number, settings.effective_secret_key()),
                  photos=len(linked) if registered.created else 0,
                  missing=missing if registered.created and linked else 0)


def _release_report(db: Database, client: str) -> None:
    with db.transaction() as session:
        guard.release(session, guard.REPORT_CLIENT, client)


def _add_photos(session: Session, order: WorkOrder, *, stored: list[StoredFile]) -> None:
    """The report's photos as the order's attachments, in the transaction that registers it."""
    for index, file in enumerate(stored, start=1):
        attachments.add_attachment(session, order, actor=None, filename=f"现场照片{index}", stored=file)


def _unlink(root: Path, stored: list[StoredFile]) -> None:
    for file in stored:
        remove_stored(root, file.storage_key)


@router.get("/public/track")
def track_form(request: Request, number: str = "") -> Response:
    return render(request, "intake/track.html", csrf=csrf_token(request), number=number, track=None,
                  error=None)


@router.post("/public/track", dependencies=[CsrfProtected])
def track(request: Request, db: DB, settings: AppSettings, number: Annotated[str, Form(max_length=32)],
          phone_last4: Annotated[str, Form(max_length=4)]) -> Response:
    """Follow an order by its number and the phone's last four digits: ten thousand possibilities, so wrong
    guesses are limited per number and per client, in the database every server process shares."""
    key, client = number.strip().upper(), client_address(request)

    def page(status_code: int, *, view: Any = None, error: str | None = None) -> Response:
        link = tracking.link(view.number, settings.effective_secret_key()) if view is not None else None
        return render(request, "intake/track.html", status_code=status_code, csrf=csrf_token(request),
                      number=number, track=view, error=error, link=link)

    try:
        guard.reserve_all(db, (guard.TRACK_CLIENT, client), (guard.TRACK_NUMBER, key))
        with db.read() as session:
            order = queries.find_for_resident(session, number, phone_last4.strip())
            view = present.order_track(session, order) if order else None
        if view is not None:
            with db.transaction() as session:
                guard.clear(session, guard.TRACK_NUMBER, key)
                guard.release(session, guard.TRACK_CLIENT, client)
    except TooManyRequests as exc:
        response = page(429, error=exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if view is None:
        return page(404, error="未找到工单：请核对工单编号和手机号后四位")
    return page(200, view=view)


@router.get("/public/track/{number}/{code}")
def track_by_link(request: Request, db: DB, settings: AppSettings, number: Annotated[str, UrlPath(max_length=32)],
                  code: Annotated[str, UrlPath(max_length=64)]) -> Response:
    """The link given when the order was registered: its code is a keyed signature of the number, which nobody
    can derive from the (sequential) numbers, so the link needs no guessing limit of its own."""
    key = number.strip().upper()
    view = None
    if tracking.matches(key, code, settings.effective_secret_key()):
        with db.read() as session:
            order = queries.find_by_number(session, key)
            view = present.order_track(session, order) if order is not None else None
    if view is None:
        return render(request, "intake/track.html", status_code=404, csrf=csrf_token(request), number="",
                      track=None, link=None,
                      error="查询链接无效：请使用受理时给出的完整链接，或凭工单编号和手机号后四位查询")
    return render(request, "intake/track.html", csrf=csrf_token(request), number=view.number, track=view,
                  error=None, link=tracking.link(view.number, settings.effective_secret_key()))
