"""我的诉求: a resident proves a phone with a one-time code and sees every order made with it, each with its
progress, without an order number or an account. The proof lasts ``VERIFIED_HOURS`` in the browser's session."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from minhu.core import clock
from minhu.core.errors import InvalidInput, TooManyRequests
from minhu.core.security import mask_phone
from minhu.intake import phone_codes
from minhu.orders import present, queries
from minhu.orders.enums import ORDER_TYPE_LABELS
from minhu.orders.models import WorkOrder
from minhu.orders.states import STATUS_LABELS
from minhu.org.auth import CsrfProtected, csrf_token
from minhu.web.deps import DB, AppSettings
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
PAGE = "/public/mine"
VERIFIED_HOURS = 2
SHOWN = 100
_PHONE, _UNTIL = "verified_phone", "verified_until"


def verified_phone(request: Request) -> str | None:
    """The phone this browser proved, while the proof lasts."""
    phone, until = request.session.get(_PHONE), request.session.get(_UNTIL)
    if not isinstance(phone, str) or not isinstance(until, str):
        return None
    try:
        if datetime.fromisoformat(until) <= clock.now():
            return None
    except ValueError:
        return None
    return phone


def _masked(phone: str) -> str:
    return mask_phone(phone) or ""


def _form(request: Request, *, status_code: int = 200, phone: str = "", sent: bool = False,
          error: str | None = None) -> Response:
    return render(request, "intake/mine.html", status_code=status_code, csrf=csrf_token(request), phone=phone,
                  sent=sent, masked=_masked(phone) if sent else "", error=error, orders=None,
                  minutes=phone_codes.CODE_MINUTES)


@router.get(PAGE)
def mine(request: Request, db: DB) -> Response:
    phone = verified_phone(request)
    if phone is None:
        return _form(request)
    with db.read() as session:
        orders = list(session.scalars(select(WorkOrder).where(WorkOrder.citizen_phone == phone)
                                      .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(SHOWN)))
    return render(request, "intake/mine.html", csrf=csrf_token(request), orders=orders, masked=_masked(phone),
                  status_labels=STATUS_LABELS, type_labels=ORDER_TYPE_LABELS, shown=SHOWN)


@router.post(PAGE + "/code", dependencies=[CsrfProtected])
def send_code(request: Request, db: DB, settings: AppSettings,
              phone: Annotated[str, Form(max_length=32)] = "") -> Response:
    client = phone_codes.client_key(request.client.host if request.client else None,
                                    settings.effective_secret_key())
    try:
        with db.transaction() as session:
            phone_codes.send_code(session, phone, client=client, secret=settings.effective_secret_key())
    except InvalidInput as exc:
        return _form(request, status_code=422, phone=phone, error=exc.message)
    except TooManyRequests as exc:
        response = _form(request, status_code=429, phone=phone, sent=exc.code == "code_sent_recently",
                         error=exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return _form(request, phone=phone_codes.mobile(phone), sent=True)


@router.post(PAGE + "/verify", dependencies=[CsrfProtected])
def verify(request: Request, db: DB, settings: AppSettings, phone: Annotated[str, Form(max_length=32)] = "",
           code: Annotated[str, Form(max_length=12)] = "") -> Response:
    try:
        with db.transaction() as session:
            right = phone_codes.check_code(session, phone, code, secret=settings.effective_secret_key())
    except InvalidInput as exc:
        return _form(request, status_code=422, phone=phone, error=exc.message)
    if not right:
        return _form(request, status_code=422, phone=phone, sent=True,
                     error="验证码不正确或已过期：请核对短信，或重新获取")
    request.session[_PHONE] = phone_codes.mobile(phone)
    request.session[_UNTIL] = (clock.now() + timedelta(hours=VERIFIED_HOURS)).isoformat()
    return RedirectResponse(PAGE, status_code=303)


@router.get(PAGE + "/{number}")
def one_order(request: Request, db: DB, number: Annotated[str, Path(max_length=32)]) -> Response:
    phone = verified_phone(request)
    if phone is None:
        return RedirectResponse(PAGE, status_code=303)
    with db.read() as session:
        order = queries.find_by_number(session, number.strip().upper())
        view = present.order_track(session, order) if order is not None and order.citizen_phone == phone else None
    if view is None:
        return render(request, "intake/mine.html", status_code=404, csrf=csrf_token(request), orders=[],
                      masked=_masked(phone), status_labels=STATUS_LABELS, type_labels=ORDER_TYPE_LABELS,
                      shown=SHOWN, error="未找到该工单：只能查看以本手机号反映的诉求")
    return render(request, "intake/mine_order.html", csrf=csrf_token(request), track=view, number=view.number)


@router.post(PAGE + "/leave", dependencies=[CsrfProtected])
def leave(request: Request) -> Response:
    request.session.pop(_PHONE, None)
    request.session.pop(_UNTIL, None)
    return RedirectResponse(PAGE, status_code=303)
