"""The operator's console (话务台): built for someone on a call, keyboard first, without page reloads.

Typing the caller's number shows their earlier and open orders; as the request is typed, the console shows where
it stands (street, community, grid, on a small map), how routing reads it (categories, grade, owner) and the
orders it may repeat (一事多办), each with why — one key links the call to that matter. A consultation can be
answered on the call (直接答复). The draft is kept in the browser until the call is registered, and the console
shows the operator's calls and average handling time today.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from minhu.core import clock
from minhu.core.db import Base, Database
from minhu.core.errors import Conflict, Forbidden, InvalidInput, field_error
from minhu.intake.models import ConsoleCall
from minhu.knowledge import queries as knowledge
from minhu.knowledge.models import ARTICLE_KIND_LABELS
from minhu.notify.service import mobile_number
from minhu.orders import forms
from minhu.orders import service as order_service
from minhu.orders.enums import Channel, OrderType
from minhu.orders.intake import Chosen, PlacedOrder
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import ActionRequest, OrderCreate
from minhu.orders.states import STATUS_LABELS, Status
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
PAGE = "/console"
CHANNELS = (Channel.HOTLINE, Channel.LEADER_MAILBOX, Channel.WEB_BOARD, Channel.MOBILE)
CALLER_ORDERS = 8
# Articles the console offers for a call; the answer it fills in holds what the answer field holds.
CONSOLE_ARTICLES = 4
ANSWER_LIMIT = 2_000
# A call longer than this was left open (the operator went away): it is not counted as handling time.
LONGEST_CALL = timedelta(hours=2)
CLOSED = frozenset({Status.ARCHIVED, Status.VOIDED, Status.JOINED})
_CALLS = Base.metadata.tables[ConsoleCall.__tablename__]


def _require_operator(user: User) -> None:
    if user.role not in order_service.INTAKE_ROLES:
        raise Forbidden("话务台供话务员和派单员使用", code="console_operators_only")


@dataclass(frozen=True)
class Today:
    calls: int
    average_seconds: float | None


def today_of(session: Session, operator: User) -> Today:
    """The operator's calls registered today (the city's day) and their average handling time."""
    midnight = datetime.combine(clock.now().astimezone(clock.city_tz()).date(), time(), tzinfo=clock.city_tz())
    rows = session.execute(select(ConsoleCall.started_at, ConsoleCall.ended_at)
                           .where(ConsoleCall.operator_id == operator.id, ConsoleCall.ended_at >= midnight)).all()
    spans = [(row.ended_at - row.started_at).total_seconds() for row in rows
             if timedelta(0) <= row.ended_at - row.started_at <= LONGEST_CALL]
    return Today(len(rows), sum(spans) / len(spans) if spans else None)


def _page(request: Request, user: User, db: Database, *, status_code: int = 200, form: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, message: str | None = None, registered: str | None = None) -> Response:
    with db.read() as session:
        today = today_of(session, user)
    return render(request, "intake/console.html", status_code=status_code, user=user, csrf=csrf_token(request),
                  form=form or {}, errors=errors or {}, message=message, idem=secrets.token_urlsafe(16),
                  channels=CHANNELS, today=today, registered=registered,
                  flashes=pop_flashes(request))


@router.get(PAGE)
def console(request: Request, user: PageUser, db: DB,
            registered: Annotated[str, Query(max_length=32)] = "") -> Response:
    _require_operator(user)
    return _page(request, user, db, registered=registered or None)


@router.get(PAGE + "/caller")
def caller(request: Request, user: PageUser, db: DB,
           phone: Annotated[str, Query(max_length=32)] = "") -> Response:
    """The caller's orders (newest first) and how many are still open, as the number is typed."""
    _require_operator(user)
    number = _phone(phone)
    orders: list[WorkOrder] = []
    open_count = 0
    if number is not None:
        with db.read() as session:
            orders = list(session.scalars(select(WorkOrder).where(WorkOrder.citizen_phone == number)
                                          .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
                                          .limit(CALLER_ORDERS)))
            open_count = session.scalar(select(func.count()).select_from(WorkOrder).where(
                WorkOrder.citizen_phone == number, WorkOrder.status.not_in([s.value for s in CLOSED]))) or 0
    return render(request, "intake/_console_caller.html", phone=number, orders=orders, open_count=open_count,
                  status_labels=STATUS_LABELS, shown=CALLER_ORDERS)


def _phone(text: str) -> str | None:
    """The caller's number once it is whole: a mobile's 11 digits or a landline's."""
    compact = "".join(ch for ch in text if ch.isdigit())
    mobile = mobile_number(compact)
    if mobile is not None:
        return mobile
    return compact if compact.startswith("0") and 10 <= len(compact) <= 12 else None


@router.post(PAGE + "/preview", dependencies=[CsrfProtected])
async def preview(request: Request, user: PageUser, db: DB) -> Response:
    """Where the request stands, how routing reads it and what it may repeat, as it is typed."""
    _require_operator(user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    data = _draft(form)
    placed: PlacedOrder | None = None
    articles: list[knowledge.FoundArticle] = []
    if data is not None:
        placed = await run_in_threadpool(_place, db, data, user)
        articles = await run_in_threadpool(_articles, db, data, placed)
    return render(request, "intake/_console_live.html", placed=placed, chosen=form.get("join", ""),
                  status_labels=STATUS_LABELS, articles=articles, kind_labels=ARTICLE_KIND_LABELS,
                  answer_limit=ANSWER_LIMIT)


def _draft(form: dict[str, str]) -> OrderCreate | None:
    """The request as typed so far, or None while it says too little to read (no title nor content)."""
    title, content = form.get("title", "").strip(), form.get("content", "").strip()
    if not title and not content:
        return None
    values = {**form, "title": title or content[:40], "content": content or title, "type": form.get("type") or "help",
              "citizen_phone": _phone(form.get("citizen_phone", "")) or ""}
    for coordinate in ("latitude", "longitude"):
        values[coordinate] = form.get(coordinate, "")
    try:
        return forms.order_create(values)
    except InvalidInput:
        try:  # a half-typed coordinate must not hide the rest
            return forms.order_create({**values, "latitude": "", "longitude": ""})
        except (InvalidInput, ValidationError):
            return None


def _articles(db: Database, data: OrderCreate, placed: PlacedOrder) -> list[knowledge.FoundArticle]:
    """The knowledge base's articles in force for the call as typed, its likeliest category favoured: what the
    operator answers a consultation from (直接答复)."""
    category = placed.route.category.code if placed.route and placed.route.category else None
    with db.read() as session:
        return knowledge.suggest_for(session, title=data.title, content=data.content, category_code=category,
                                     prefer=knowledge.kind_for(data.type), limit=CONSOLE_ARTICLES)


def _place(db: Database, data: OrderCreate, user: User) -> PlacedOrder:
    with db.read() as session:
        return order_service.place_order(session, data, reporter=user)


@router.post(PAGE, dependencies=[CsrfProtected])
async def register_call(request: Request, user: PageUser, db: DB) -> Response:
    """Register the call (受理): joined to the matter the operator chose, or answered on the call, or to be
    dispatched. Back to an empty console for the next call."""
    _require_operator(user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        data = forms.order_create(form)
        started = _started(form.get("started_at", ""))
        answer = _answer(form, data.type) if form.get("answer_now") else None
        if answer is not None and form.get("join"):
            raise field_error("answer", "并入已有事项的来电随主件答复，不能当场另行答复：请取消并入或取消直接答复",
                              code="answer_or_join")
        join = await run_in_threadpool(_main_of, db, form.get("join", "").strip()) if form.get("join") else None
        registered = await run_in_threadpool(partial(
            order_service.create_order_once, db, data, actor=user, key=form.get("idem") or None,
            scope=f"user:{user.id}", with_order=(partial(_remember_call, operator_id=user.id, started_at=started),),
            chosen=Chosen(join=join, answer=answer)))
    except (InvalidInput, Conflict) as exc:
        errors = ({d["field"]: d["message"] for d in exc.details if isinstance(d, dict)}
                  if isinstance(exc.details, list) else {})
        return _page(request, user, db, status_code=exc.status, form=form, errors=errors, message=exc.message)
    order = registered.order
    # Said from the order as registered (a form sent twice returns the first order, whatever the second asked).
    if order.status is Status.JOINED:
        outcome = f"，已并入工单 {await run_in_threadpool(_number_of, db, order.duplicate_of_id)}"
    elif order.status is Status.ARCHIVED:
        outcome = "，已当场答复办结"
    else:
        outcome = f"，{STATUS_LABELS[order.status]}"
    flash(request, f"工单 {order.number} 已登记{outcome}")
    return RedirectResponse(f"{PAGE}?registered={order.number}", status_code=303)


def _started(text: str) -> datetime:
    """When the operator began the call (the console's first keystroke), never in the future."""
    now = clock.now()
    try:
        started = datetime.fromtimestamp(int(text) / 1000, tz=now.tzinfo)
    except (ValueError, OverflowError, OSError):
        return now
    return min(started, now)


def _main_of(db: Database, number: str) -> tuple[int, str]:
    """The matter the operator chose, as its main order. Raises InvalidInput for an order that is no matter in
    hand (unknown, voided)."""
    with db.read() as session:
        row = session.execute(select(WorkOrder.id, WorkOrder.number, WorkOrder.status, WorkOrder.duplicate_of_id)
                              .where(WorkOrder.number == number.upper())).first()
        if row is not None and row.duplicate_of_id is not None:  # a joined report stands for its main order
            row = session.execute(select(WorkOrder.id, WorkOrder.number, WorkOrder.status,
                                         WorkOrder.duplicate_of_id).where(WorkOrder.id == row.duplicate_of_id)).first()
    if row is None or row.status == Status.VOIDED.value:
        raise field_error("join", f"工单 {number} 不存在或已作废，不能并入", code="join_unknown")
    return row.id, row.number


def _remember_call(session: Session, order: WorkOrder, *, operator_id: int, started_at: datetime) -> None:
    session.execute(insert(_CALLS), {"order_id": order.id, "operator_id": operator_id, "started_at": started_at,
                                     "ended_at": order.created_at})


def _answer(form: dict[str, str], kind: OrderType) -> str:
    """The answer given on the call (直接答复), checked before anything is written. Raises InvalidInput."""
    if kind is not OrderType.CONSULTATION:
        raise field_error("answer", "只有咨询类诉求可以当场直接答复", code="answer_only_consultations")
    answer = form.get("answer", "").strip()
    if not answer:
        raise field_error("answer", "请填写答复内容")
    try:
        return ActionRequest(expected_version=1, note=answer).note
    except ValidationError as exc:
        raise field_error("answer", "答复内容过长或含有不可见的控制字符") from exc


def _number_of(db: Database, order_id: int | None) -> str:
    with db.read() as session:
        return session.scalar(select(WorkOrder.number).where(WorkOrder.id == order_id)) or ""

