"""Staff pages of work orders: the list, the order page with its timeline and allowed actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from minhu.core.db import Database
from minhu.core.errors import DomainError, TooManyRequests
from minhu.core.files import open_stored
from minhu.core.types import MAX_ROW_ID
from minhu.geo import service as geo_service
from minhu.geo.models import POST_LABELS, Post
from minhu.orders import forms, permissions, present, queries
from minhu.orders import service as order_service
from minhu.orders.enums import Channel, OrderType
from minhu.orders.models import WorkOrder
from minhu.orders.queries import OrderFilters
from minhu.orders.schemas import ActionRequest, AllowedAction
from minhu.orders.signals import OrderShown, order_shown
from minhu.orders.states import ACTION_LABELS, TRANSITION_ACTIONS, Action, Status
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.org.roles import DISPATCHABLE_KINDS, UnitKind
from minhu.org.tree import TreeUnit, UnitTree
from minhu.routing import service as routing
from minhu.web.deps import DB, AppSettings
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
# Actions whose form offers a choice of units.
TARGET_ACTIONS = frozenset({Action.DISPATCH, Action.WHISTLE, Action.ACCEPT_ESCALATION, Action.INNER_DISPATCH})




@router.get("/")
def home() -> Response:
    return RedirectResponse("/orders", status_code=303)


@router.get("/orders")
def order_list(
    request: Request, user: PageUser, db: DB,
    status: Annotated[str, Query(max_length=20)] = "",
    channel: Annotated[str, Query(max_length=20)] = "",
    type: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The order list; htmx requests get only the table block (filters and paging swap in place)."""
    filters = OrderFilters(
        statuses=[Status(status)] if status in Status.__members__.values() else [],
        channel=Channel(channel) if channel in Channel.__members__.values() else None,
        type=OrderType(type) if type in OrderType.__members__.values() else None,
        text=q.replace("\x00", "").strip() or None,
    )
    with db.read() as session:
        rows, next_cursor = queries.list_orders(session, viewer=user, filters=filters, cursor=cursor, limit=30)
        orders = [present.order_brief(o) for o in rows]
    template = "orders/_table.html" if request.headers.get("hx-request") and cursor else "orders/list.html"
    return render(request, template, user=user, csrf=csrf_token(request), orders=orders,
                  next_cursor=next_cursor, filters={"status": status, "channel": channel, "type": type, "q": q},
                  flashes=pop_flashes(request))


@router.get("/orders/{number}")
def order_page(request: Request, number: str, user: PageUser, db: DB) -> Response:
    with db.read() as session:
        order = queries.get_visible(session, number, viewer=user)
        view = present.order_read(order, user, queries.decision_of(session, order))
        trail = queries.events_of(session, order)
        unseen = queries.unseen_in_trail(session, trail, viewer=user)
        events = [present.event_read(e, unseen=unseen) for e in trail]
        pickers = _pickers_for(session, user, order, view.allowed_actions)
        people = _people_for(session, order)
        shown = OrderShown(session, order, user, frozenset(a.action for a in view.allowed_actions), tuple(trail))
        order_shown.send(shown)
    order_service.note_phone_shown(db, order, viewer=user)
    prefill: dict[str, dict[str, str]] = {}
    for panel in shown.panels:
        for action, fields in panel.prefill.items():
            prefill.setdefault(action, {}).update(fields)
    return render(request, "orders/detail.html", user=user, csrf=csrf_token(request), order=view,
                  events=events, pickers=pickers, people=people, post_labels=POST_LABELS,
                  panels=shown.panels, prefill=prefill, flashes=pop_flashes(request))


@dataclass(frozen=True)
class Pickers:
    """What the order page's forms offer to choose from, in tree order (``org.tree``): units to dispatch
    to, to call onto the order (吹哨), to hand an escalated order to; and for a dispatch every active
    category of the catalog, not only the suggested ones."""

    dispatch: list[TreeUnit] = field(default_factory=list)
    whistle: list[TreeUnit] = field(default_factory=list)
    escalation: list[TreeUnit] = field(default_factory=list)
    inner: list[TreeUnit] = field(default_factory=list)  # a street's own units, for its dispatch inside (内派)
    categories: list[routing.CategoryChoice] = field(default_factory=list)


# An escalated order goes to a street or a department, not down to a grid or a property company.
# What a street dispatches to inside itself: offices, its enforcement centre, communities, grids, estates.
INNER_KINDS = frozenset({UnitKind.OFFICE, UnitKind.ENFORCEMENT, UnitKind.COMMUNITY, UnitKind.GRID, UnitKind.PROPERTY})
ESCALATION_KINDS = DISPATCHABLE_KINDS - {UnitKind.GRID, UnitKind.PROPERTY, UnitKind.COMMITTEE}


def _pickers_for(session: Session, user: User, order: WorkOrder, allowed: list[AllowedAction]) -> Pickers:
    """The choices of the forms the actor has: any unit to call onto an order (吹哨) but its owner, any unit
    for the centre to dispatch to; for an escalation it takes on, any for the centre, its own for a street."""
    actions = {a.action for a in allowed}
    if not actions & TARGET_ACTIONS:
        return Pickers()
    tree = UnitTree.load(session)
    owner_id = order.owner_unit.id
    return Pickers(
        dispatch=tree.dispatch_targets() if Action.DISPATCH in actions else [],
        whistle=tree.pick(lambda u: u.active and u.kind in DISPATCHABLE_KINDS and u.id != owner_id)
        if Action.WHISTLE in actions else [],
        escalation=tree.dispatch_targets(within=None if permissions.is_centre(user) else user.unit,
                                         kinds=ESCALATION_KINDS) if Action.ACCEPT_ESCALATION in actions else [],
        inner=[u for u in tree.dispatch_targets(within=user.unit, kinds=INNER_KINDS) if u.id != user.unit_id]
        if Action.INNER_DISPATCH in actions else [],
        categories=routing.category_choices(session) if Action.DISPATCH in actions else [])


def _people_for(session: Session, order: WorkOrder) -> list[Post]:
    """Who answers for the ground the order stands on: its grid's chief and worker, the chiefs of the
    lakes, roads and areas at its point."""
    if order.latitude is None or order.longitude is None or order.place_unit_id is None:
        return []
    where = geo_service.locate(session, order.longitude, order.latitude)
    return geo_service.people_on_duty(session, where, grid_id=order.grid_id)


def _apply(db: Database, number: str, action: Action, user: User, params: ActionRequest) -> bool:
    """Applies the action; says whether the actor can still see the order afterwards."""
    with db.transaction() as session:
        order = queries.get_for_update(session, number, viewer=user)
        order_service.apply_action(session, order, action, actor=user, params=params)
        return permissions.may_see(user, order)


def _local_path(path: str) -> bool:
    """A path of this site, in plain characters: browsers drop tabs and newlines (a slash, a tab, a slash
    would leave the site) and read a backslash as a slash."""
    return path.startswith("/") and not path.startswith("//") and path.isascii() and path.isprintable() \
        and " " not in path and "\\" not in path


@router.post("/orders/{number}/act", dependencies=[CsrfProtected])
async def act(request: Request, number: str, user: PageUser, db: DB) -> Response:
    submitted = await request.form()
    form = {k: v for k, v in submitted.items() if isinstance(v, str)}
    called = [v for v in submitted.getlist("unit_ids") if isinstance(v, str)]
    # A form on another page (the dispatcher's queue) names where to come back to; only a path of this site.
    next_page = form.get("next", "")
    local = _local_path(next_page)
    back = RedirectResponse(next_page if local else f"/orders/{number}", status_code=303)
    action_name = form.get("action", "")
    try:
        action = Action(action_name)
        if action not in TRANSITION_ACTIONS:
            raise ValueError(action_name)
    except ValueError:
        flash(request, f"未知操作：{action_name}", "error")
        return back
    try:
        params = forms.action_request(form, unit_ids=called)
        still_visible = await run_in_threadpool(_apply, db, number, action, user, params)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(request, exc.message, "error")
        return back
    if action is Action.CALLBACK and params.reached is False:
        # An unanswered call is a try, not a callback: the order waits for the next, or closes as unreachable.
        flash(request, f"已记录{ACTION_LABELS[Action.CALLBACK_UNREACHED]}（达到次数上限时按无法联系结束回访）")
    else:
        flash(request, f"已{ACTION_LABELS[action]}")
    if not still_visible and not local:
        # The action took the order out of the actor's units (a 退单 goes back to the centre):
        # its page would now be a 404, so land on the list.
        return RedirectResponse("/orders", status_code=303)
    return back


@router.post("/orders/{number}/phone", dependencies=[CsrfProtected])
def reveal_phone(request: Request, number: str, user: PageUser, db: DB) -> Response:
    """htmx: swap the masked number for the full one (the reveal is in the trail)."""
    try:
        with db.transaction() as session:
            order = queries.get_for_update(session, number, viewer=user)
            phone = order_service.reveal_phone(session, order, actor=user)
    except TooManyRequests as exc:
        # In place of the number, so the person sees why (htmx swaps only a 2xx answer).
        return render(request, "orders/_phone.html", phone=None, refused=exc.message)
    return render(request, "orders/_phone.html", phone=phone)


@router.post("/orders/{number}/attachments", dependencies=[CsrfProtected])
def upload(request: Request, number: str, user: PageUser, db: DB, settings: AppSettings,
           file: Annotated[UploadFile, File()]) -> Response:
    try:
        order_service.attach_file(db, number, actor=user, filename=file.filename or "", stream=file.file,
                                  root=settings.attachments_dir, max_bytes=settings.max_upload_bytes)
        flash(request, "附件已上传")
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(request, exc.message, "error")
    return RedirectResponse(f"/orders/{number}", status_code=303)


@router.get("/attachments/{attachment_id}")
def attachment(attachment_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], user: PageUser, db: DB,
               settings: AppSettings) -> FileResponse:
    with db.read() as session:
        found = queries.get_visible_attachment(session, attachment_id, viewer=user)
    return FileResponse(open_stored(settings.attachments_dir, found.storage_key),
                        media_type=found.content_type, filename=found.filename)

