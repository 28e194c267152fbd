"""The board's pages: the public board (search, a message with its reply, support) and the centre's moderation
queue."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from minhu.board import service
from minhu.core.errors import Conflict, InvalidInput, NotFound
from minhu.core.types import MAX_ROW_ID
from minhu.orders.models import WorkOrder
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import Unit
from minhu.org.roles import UnitKind
from minhu.routing.models import Category
from minhu.web.deps import DB, AppSettings
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
PUBLIC = "/public/board"
QUEUE = "/board/moderation"
Number = Annotated[str, Path(max_length=32)]
OrderId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def _supporter(request: Request, secret: str) -> str:
    """This browser as a supporter: a random token kept in its session, stored only as a keyed digest."""
    token = request.session.get("supporter")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(16)
        request.session["supporter"] = token
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@router.get(PUBLIC)
def board(request: Request, db: DB, q: Annotated[str, Query(max_length=100)] = "",
          street: Annotated[str, Query(max_length=12)] = "",
          category: Annotated[str, Query(max_length=32)] = "",
          page: Annotated[int, Query(ge=1, le=1000)] = 1) -> Response:
    # The form's 全部街道 sends an empty street; anything else that is no unit id finds nothing.
    street_id = int(street) if street.isdigit() and 0 < int(street) <= MAX_ROW_ID else (0 if street else None)
    with db.read() as session:
        posts, more = service.search(session, words=q, street_id=street_id, category=category, page=page)
        streets = list(session.scalars(select(Unit).where(Unit.kind == UnitKind.STREET.value, Unit.active.is_(True))
                                       .order_by(Unit.name)))
        categories = list(session.scalars(select(Category).where(func.length(Category.code) == 2,
                                                                 Category.active.is_(True)).order_by(Category.code)))
    return render(request, "board/board.html", csrf=csrf_token(request), posts=posts, more=more, page=page, q=q,
                  street=street_id, category=category, streets=streets, categories=categories,
                  flashes=pop_flashes(request))


@router.get(PUBLIC + "/{number}")
def message(request: Request, db: DB, number: Number) -> Response:
    with db.read() as session:
        post = service.published(session, number)
    if post is None:
        raise NotFound("留言不存在或未公开", code="post_not_found")
    return render(request, "board/message.html", csrf=csrf_token(request), post=post, flashes=pop_flashes(request))


@router.post(PUBLIC + "/{number}/support", dependencies=[CsrfProtected])
def support(request: Request, db: DB, settings: AppSettings, number: Number) -> Response:
    supporter = _supporter(request, settings.effective_secret_key())
    with db.read() as session:
        order_id = session.scalar(select(WorkOrder.id).where(WorkOrder.number == number.strip().upper()))
    if order_id is None:
        raise NotFound("留言不存在或未公开", code="post_not_found")
    try:
        with db.transaction() as session:
            service.support(session, order_id, supporter=supporter)
    except Conflict as exc:
        flash(request, exc.message, "info")
    else:
        flash(request, "已支持这条留言")
    back = request.headers.get("referer", "")
    return RedirectResponse(back if back.startswith(str(request.base_url)) else f"{PUBLIC}/{number}",
                            status_code=303)


@router.get(QUEUE)
def queue(request: Request, user: PageUser, db: DB) -> Response:
    with db.read() as session:
        waiting = service.pending(session, user)
    return render(request, "board/moderation.html", user=user, csrf=csrf_token(request), waiting=waiting,
                  flashes=pop_flashes(request))


@router.post(QUEUE + "/{order_id}/publish", dependencies=[CsrfProtected])
def publish(request: Request, user: PageUser, db: DB, order_id: OrderId,
            title: Annotated[str, Form(max_length=200)] = "", text: Annotated[str, Form(max_length=20_000)] = "",
            ) -> Response:
    try:
        with db.transaction() as session:
            post = service.publish(session, order_id, actor=user, title=title or None, text=text)
            number = session.scalar(select(WorkOrder.number).where(WorkOrder.id == order_id))
    except InvalidInput as exc:
        flash(request, exc.message, "error")
        return RedirectResponse(QUEUE, status_code=303)
    flash(request, f"留言「{post.title}」已公开（工单 {number}）")
    return RedirectResponse(QUEUE, status_code=303)


@router.post(QUEUE + "/{order_id}/hold", dependencies=[CsrfProtected])
def hold(request: Request, user: PageUser, db: DB, order_id: OrderId,
         reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        with db.transaction() as session:
            post = service.hold(session, order_id, actor=user, reason=reason)
    except InvalidInput as exc:
        flash(request, exc.message, "error")
        return RedirectResponse(QUEUE, status_code=303)
    flash(request, f"留言「{post.title}」不予公开：{post.hold_reason}")
    return RedirectResponse(QUEUE, status_code=303)
