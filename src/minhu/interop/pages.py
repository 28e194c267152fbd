"""The administrators' page of webhook subscriptions (通知与对接 → Webhook 订阅): list with how deliveries go,
add (the signing secret is generated and shown once), pause and resume, delete, send a test event."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from minhu.core.db import Database
from minhu.core.errors import Conflict, InvalidInput
from minhu.core.types import MAX_ROW_ID
from minhu.interop.events import EVENT_GROUPS, EVENT_LABELS
from minhu.notify import permissions, queries, service
from minhu.notify.enums import DELIVERY_STATUS_LABELS
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
PAGE = "/admin/notify/webhooks"
SubscriptionId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def _page(request: Request, user: PageUser, db: DB, *, status_code: int = 200, created: Any = None,
          secret: str = "", form: dict[str, Any] | None = None, errors: list[dict[str, Any]] | None = None) -> Response:
    with db.read() as session:
        views = queries.webhook_views(session)
    return render(request, "interop/webhooks.html", status_code=status_code, user=user, csrf=csrf_token(request),
                  views=views, groups=EVENT_GROUPS, event_labels=EVENT_LABELS, status_labels=DELIVERY_STATUS_LABELS,
                  created=created, secret=secret, form=form or {"events": []}, errors=errors or [],
                  flashes=pop_flashes(request))


@router.get(PAGE)
def webhook_list(request: Request, user: PageUser, db: DB) -> Response:
    permissions.require_admin(user)
    return _page(request, user, db)


@router.post(PAGE, dependencies=[CsrfProtected])
def add_webhook(request: Request, user: PageUser, db: DB, url: Annotated[str, Form(max_length=500)],
                name: Annotated[str, Form(max_length=100)] = "",
                events: Annotated[list[str] | None, Form(max_length=100)] = None) -> Response:
    """Adds the subscription and answers with the page showing its secret: the one time it is shown."""
    permissions.require_admin(user)
    secret = service.new_secret()
    chosen = [event[:100] for event in events or []]
    try:
        with db.transaction() as session:
            subscription = service.add_webhook(session, name=name, url=url, secret=secret, events=chosen)
    except InvalidInput as exc:
        problems = exc.details if isinstance(exc.details, list) else [exc.details]
        return _page(request, user, db, status_code=422, form={"url": url, "name": name, "events": chosen},
                     errors=[p for p in problems if p])
    return _page(request, user, db, created=subscription, secret=secret)


@router.post(PAGE + "/{subscription_id}/pause", dependencies=[CsrfProtected])
def pause_webhook(request: Request, subscription_id: SubscriptionId, user: PageUser, db: DB) -> Response:
    return _set_active(request, subscription_id, user, db, active=False)


@router.post(PAGE + "/{subscription_id}/resume", dependencies=[CsrfProtected])
def resume_webhook(request: Request, subscription_id: SubscriptionId, user: PageUser, db: DB) -> Response:
    return _set_active(request, subscription_id, user, db, active=True)


def _set_active(request: Request, subscription_id: int, user: User, db: Database, *, active: bool) -> Response:
    permissions.require_admin(user)
    with db.transaction() as session:
        subscription = service.set_webhook_active(session, subscription_id, active=active)
    outcome = "已恢复" if active else "已暂停：不再向它发送事件"
    flash(request, f"订阅「{subscription.name}」{outcome}")
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/{subscription_id}/delete", dependencies=[CsrfProtected])
def delete_webhook(request: Request, subscription_id: SubscriptionId, user: PageUser, db: DB) -> Response:
    permissions.require_admin(user)
    with db.transaction() as session:
        subscription = service.delete_webhook(session, subscription_id)
    flash(request, f"已删除订阅「{subscription.name}」")
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/{subscription_id}/test", dependencies=[CsrfProtected])
def test_webhook(request: Request, subscription_id: SubscriptionId, user: PageUser, db: DB) -> Response:
    permissions.require_admin(user)
    try:
        with db.transaction() as session:
            subscription = service.send_test_webhook(session, subscription_id)
    except Conflict as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, f"已向「{subscription.name}」排队一条测试事件，稍后在“最近投递”查看结果")
    return RedirectResponse(PAGE, status_code=303)
