"""Pages of notifications: everyone's inbox (站内消息), and for administrators the dead letters with
resend, the templates with a preview, and the supervisors' duty roster."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from minhu.core import clock
from minhu.core.errors import InvalidInput, field_error
from minhu.core.types import MAX_ROW_ID
from minhu.notify import permissions, queries, recipients, service, templates
from minhu.notify.enums import CHANNEL_LABELS, DELIVERY_STATUS_LABELS
from minhu.notify.templates import PART_LABELS, TemplateText
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
MessageId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
TemplateKey = Annotated[str, Path(max_length=64)]


# --- the inbox -----------------------------------------------------------------------------------


@router.get("/inbox")
def inbox_page(request: Request, user: PageUser, db: DB) -> Response:
    with db.read() as session:
        items = queries.inbox(session, user)
        unread = queries.unread_count(session, user)
    return render(request, "notify/inbox.html", user=user, csrf=csrf_token(request), items=items, unread=unread,
                  site_url=templates.site_url(), flashes=pop_flashes(request))


@router.get("/inbox/badge")
def inbox_badge(request: Request, user: PageUser, db: DB) -> Response:
    """The unread count in the top bar (loaded by htmx on every page, refreshed every minute)."""
    with db.read() as session:
        unread = queries.unread_count(session, user)
    return render(request, "notify/_badge.html", unread=unread)


@router.post("/inbox/{message_id}/read", dependencies=[CsrfProtected])
def read_message(message_id: MessageId, user: PageUser, db: DB) -> Response:
    with db.transaction() as session:
        service.mark_read(session, message_id, reader=user)
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/read-all", dependencies=[CsrfProtected])
def read_all(request: Request, user: PageUser, db: DB) -> Response:
    with db.transaction() as session:
        count = service.mark_all_read(session, reader=user)
    flash(request, f"已将 {count} 条消息标为已读")
    return RedirectResponse("/inbox", status_code=303)


# --- the dead letters ----------------------------------------------------------------------------


@router.get("/admin/notify")
def dead_letters(request: Request, user: PageUser, db: DB) -> Response:
    permissions.require_admin(user)
    with db.read() as session:
        failing = queries.failing(session)
        counts = queries.status_counts(session)
    return render(request, "notify/outbox.html", user=user, csrf=csrf_token(request), failing=failing,
                  counts=counts, flashes=pop_flashes(request), channel_labels=CHANNEL_LABELS,
                  status_labels=DELIVERY_STATUS_LABELS)


@router.post("/admin/notify/messages/{message_id}/resend", dependencies=[CsrfProtected])
def resend_message(request: Request, message_id: MessageId, user: PageUser, db: DB) -> Response:
    permissions.require_admin(user)
    with db.transaction() as session:
        message = service.resend(session, message_id, actor=user)
    flash(request, f"消息 {message.id} 已重新排队，将立即发送")
    return RedirectResponse("/admin/notify", status_code=303)


# --- templates -----------------------------------------------------------------------------------


@router.get("/admin/notify/templates")
def template_list(request: Request, user: PageUser, db: DB) -> Response:
    permissions.require_admin(user)
    with db.read() as session:
        views = queries.template_views(session)
    return render(request, "notify/templates.html", user=user, csrf=csrf_token(request), views=views,
                  flashes=pop_flashes(request))


def _problems(exc: InvalidInput) -> list[dict[str, Any]]:
    return exc.details if isinstance(exc.details, list) else [exc.details]


def _edit_page(request: Request, user: PageUser, view: queries.TemplateView, text: TemplateText, *,
               errors: list[dict[str, Any]] | None = None, preview: templates.Rendered | None = None,
               status_code: int = 200) -> Response:
    return render(request, "notify/template_edit.html", status_code=status_code, user=user,
                  csrf=csrf_token(request), view=view, text=text, errors=errors or [], preview=preview,
                  part_labels=PART_LABELS, common=templates.COMMON_VARIABLES, flashes=pop_flashes(request))


@router.get("/admin/notify/templates/{key}")
def template_page(request: Request, key: TemplateKey, user: PageUser, db: DB) -> Response:
    permissions.require_admin(user)
    with db.read() as session:
        view = queries.template_view(session, key)
    try:
        preview = templates.check(view.spec, view.text)
    except InvalidInput as exc:  # saved before its template's variables changed: say what to fix
        return _edit_page(request, user, view, view.text, errors=_problems(exc))
    return _edit_page(request, user, view, view.text, preview=preview)


@router.post("/admin/notify/templates/{key}", dependencies=[CsrfProtected])
def save_template(request: Request, key: TemplateKey, user: PageUser, db: DB,
                  subject: Annotated[str, Form(max_length=300)], body: Annotated[str, Form(max_length=20_000)],
                  sms: Annotated[str, Form(max_length=2_000)]) -> Response:
    permissions.require_admin(user)
    text = TemplateText(subject=subject, body=body.replace("\r\n", "\n"), sms=sms)
    try:
        with db.transaction() as session:
            service.save_template(session, key, text, actor=user)
    except InvalidInput as exc:
        with db.read() as session:
            view = queries.template_view(session, key)
        return _edit_page(request, user, view, text, errors=_problems(exc), status_code=422)
    flash(request, f"模板「{templates.spec(key).label}」已保存，之后排队的消息使用新内容")
    return RedirectResponse(f"/admin/notify/templates/{key}", status_code=303)


@router.post("/admin/notify/templates/{key}/preview", dependencies=[CsrfProtected])
def preview_template(request: Request, key: TemplateKey, user: PageUser,
                     subject: Annotated[str, Form(max_length=300)], body: Annotated[str, Form(max_length=20_000)],
                     sms: Annotated[str, Form(max_length=2_000)]) -> Response:
    """The htmx preview: the text rendered with the template's sample values, or what is wrong with it."""
    permissions.require_admin(user)
    spec = templates.spec(key)
    try:
        preview = templates.check(spec, TemplateText(subject=subject, body=body.replace("\r\n", "\n"), sms=sms))
    except InvalidInput as exc:
        return render(request, "notify/_preview.html", preview=None, errors=_problems(exc),
                      part_labels=PART_LABELS)
    return render(request, "notify/_preview.html", preview=preview, errors=[], part_labels=PART_LABELS)


@router.post("/admin/notify/templates/{key}/reset", dependencies=[CsrfProtected])
def reset_template(request: Request, key: TemplateKey, user: PageUser, db: DB) -> Response:
    permissions.require_admin(user)
    with db.transaction() as session:
        service.reset_template(session, key, actor=user)
    flash(request, f"模板「{templates.spec(key).label}」已恢复默认内容")
    return RedirectResponse(f"/admin/notify/templates/{key}", status_code=303)


# --- the duty roster -----------------------------------------------------------------------------


def _city_datetime(field: str, value: str) -> datetime:
    """A ``datetime-local`` field, read in the city's time zone."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise field_error(field, "不是有效的时间") from None
    return naive.replace(tzinfo=clock.city_tz()) if naive.tzinfo is None else naive


@router.get("/admin/notify/roster")
def roster_page(request: Request, user: PageUser, db: DB) -> Response:
    permissions.require_admin(user)
    now = clock.now()
    with db.read() as session:
        shifts = queries.shifts(session, ending_after=now)
        people = queries.rosterable_users(session)
        on_duty, rostered = recipients.on_duty(session, now)
    return render(request, "notify/roster.html", user=user, csrf=csrf_token(request), shifts=shifts, people=people,
                  on_duty=on_duty, rostered=rostered, now=now, flashes=pop_flashes(request))


@router.post("/admin/notify/roster", dependencies=[CsrfProtected])
def add_shift(request: Request, user: PageUser, db: DB, user_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID)],
              starts_at: Annotated[str, Form(max_length=40)], ends_at: Annotated[str, Form(max_length=40)],
              note: Annotated[str, Form(max_length=200)] = "") -> Response:
    permissions.require_admin(user)
    try:
        with db.transaction() as session:
            service.add_shift(session, user_id=user_id, starts_at=_city_datetime("starts_at", starts_at),
                              ends_at=_city_datetime("ends_at", ends_at), note=note, actor=user)
    except InvalidInput as exc:
        flash(request, f"未添加值班：{exc.message}", "error")
    else:
        flash(request, "已添加值班")
    return RedirectResponse("/admin/notify/roster", status_code=303)


@router.post("/admin/notify/roster/{shift_id}/delete", dependencies=[CsrfProtected])
def remove_shift(request: Request, shift_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], user: PageUser,
                 db: DB) -> Response:
    permissions.require_admin(user)
    with db.transaction() as session:
        service.remove_shift(session, shift_id, actor=user)
    flash(request, "已删除值班")
    return RedirectResponse("/admin/notify/roster", status_code=303)
