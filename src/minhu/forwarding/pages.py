"""The administrators' page of systems that forward orders (通知与对接 → 来件系统): list with what each sent,
add one (its API key, and its callback's signing secret, shown once), issue a new key, disable and enable."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from minhu.core.errors import Conflict, Forbidden, InvalidInput
from minhu.core.types import MAX_ROW_ID
from minhu.forwarding import queries, service
from minhu.forwarding.models import IntakeSystem
from minhu.notify import service as notify_service
from minhu.orders.enums import CHANNEL_LABELS, Channel
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.org.roles import Role
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
PAGE = "/admin/systems"
SystemId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def _require_admin(user: User) -> None:
    if user.role is not Role.ADMIN:
        raise Forbidden("仅管理员可管理来件系统", code="systems_admin_only")


def _page(request: Request, user: User, db: DB, *, status_code: int = 200, shown: IntakeSystem | None = None,
          key: str = "", secret: str = "", form: dict[str, Any] | None = None,
          errors: list[dict[str, Any]] | None = None) -> Response:
    with db.read() as session:
        views = queries.system_views(session)
    return render(request, "forwarding/systems.html", status_code=status_code, user=user, csrf=csrf_token(request),
                  views=views, channels=[(c, CHANNEL_LABELS[c]) for c in service.CHANNELS],
                  channel_labels=CHANNEL_LABELS, shown=shown, key=key, secret=secret,
                  form=form or {"channel": Channel.HOTLINE.value}, errors=errors or [], flashes=pop_flashes(request))


@router.get(PAGE)
def system_list(request: Request, user: PageUser, db: DB) -> Response:
    _require_admin(user)
    return _page(request, user, db)


@router.post(PAGE, dependencies=[CsrfProtected])
def add_system(request: Request, user: PageUser, db: DB, code: Annotated[str, Form(max_length=40)],
               name: Annotated[str, Form(max_length=100)], channel: Annotated[str, Form(max_length=20)],
               callback_url: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Adds the system and answers with the page showing its key (and its callback's secret): the one time
    they are shown."""
    _require_admin(user)
    key, secret = service.new_key(), notify_service.new_secret()
    form = {"code": code, "name": name, "channel": channel, "callback_url": callback_url}
    try:
        chosen = Channel(channel)
    except ValueError:
        return _page(request, user, db, status_code=422, form=form,
                     errors=[{"field": "channel", "message": "请选择渠道"}])
    try:
        with db.transaction() as session:
            system = service.add_system(session, code=code, name=name, channel=chosen, key=key,
                                        callback_url=callback_url, callback_secret=secret)
    except (InvalidInput, Conflict) as exc:
        problems = exc.details if isinstance(exc.details, list) else [{"message": exc.message}]
        return _page(request, user, db, status_code=422 if isinstance(exc, InvalidInput) else 409, form=form,
                     errors=[p for p in problems if p])
    return _page(request, user, db, shown=system, key=key, secret=secret if callback_url.strip() else "")


@router.post(PAGE + "/{system_id}/key", dependencies=[CsrfProtected])
def issue_key(request: Request, system_id: SystemId, user: PageUser, db: DB) -> Response:
    """A new key, shown once; the old one stops working at once."""
    _require_admin(user)
    key = service.new_key()
    with db.transaction() as session:
        system = service.issue_key(session, system_id, key)
    return _page(request, user, db, shown=system, key=key)


@router.post(PAGE + "/{system_id}/disable", dependencies=[CsrfProtected])
def disable_system(request: Request, system_id: SystemId, user: PageUser, db: DB) -> Response:
    return _set_active(request, system_id, user, db, active=False)


@router.post(PAGE + "/{system_id}/enable", dependencies=[CsrfProtected])
def enable_system(request: Request, system_id: SystemId, user: PageUser, db: DB) -> Response:
    return _set_active(request, system_id, user, db, active=True)


def _set_active(request: Request, system_id: int, user: User, db: DB, *, active: bool) -> Response:
    _require_admin(user)
    with db.transaction() as session:
        system = service.set_active(session, system_id, active=active)
    flash(request, f"「{system.name}」已启用" if active else f"「{system.name}」已停用：其密钥不再被接受，回传暂停")
    return RedirectResponse(PAGE, status_code=303)
