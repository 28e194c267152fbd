"""The reviewers' callback pages (the queue, one order's callback sheet) and the citizen's rating page.

The rating page (``/r/{token}``) needs no login: the token is the citizen's authority over one order. It
is built for a phone, says in plain zh-CN why a link no longer works, and is never cached nor leaked
through the Referer header (the token is in its address).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import DomainError, Forbidden, InvalidInput
from minhu.evaluation import callbacks, rating_links
from minhu.evaluation.rating_links import LinkState, RatingView
from minhu.evaluation.schemas import RatingAnswer
from minhu.guard import service as guard
from minhu.orders import forms, present, queries
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import ActionRequest
from minhu.orders.states import Action
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.org.roles import Role
from minhu.web.deps import DB, client_address
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.forms import validated
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
# Who calls citizens back, and who watches them do it.
CALLERS = frozenset({Role.REVIEWER, Role.DISPATCHER, Role.ADMIN, Role.LEADER})


def _require_caller(user: User) -> None:
    if user.role not in CALLERS:
        raise Forbidden("您的角色不做回访", code="not_a_caller")


@router.get("/callbacks")
def callback_queue(request: Request, user: PageUser, db: DB) -> Response:
    _require_caller(user)
    now = clock.now()
    with db.read() as session:
        found = callbacks.queue(session, user, now)
        rows = [(present.order_read(row.order, user, in_list=True), row) for row in found.rows]
        unreachable = [present.order_read(order, user, in_list=True) for order in found.unreachable]
    return render(request, "evaluation/callbacks.html", user=user, csrf=csrf_token(request), rows=rows,
                  waiting=found.waiting, overdue=found.overdue, unreachable=unreachable,
                  unreachable_count=found.unreachable_count, now=now, flashes=pop_flashes(request))


def _sheet_page(request: Request, number: str, user: User, db: Database, *, form: dict[str, str] | None = None,
                error: str = "", status: int = 200) -> Response:
    with db.read() as session:
        found = callbacks.sheet(session, number, user)
        view = present.order_read(found.order, user)
    order_service.note_phone_shown(db, found.order, viewer=user)
    may_call = any(a.action is Action.CALLBACK for a in view.allowed_actions)
    flashes = [("error", error)] if error else pop_flashes(request)
    return render(request, "evaluation/callback.html", status_code=status, user=user, csrf=csrf_token(request),
                  order=view, sheet=found, may_call=may_call, now=clock.now(), flashes=flashes, form=form or {})


@router.get("/callbacks/{number}")
def callback_sheet(request: Request, number: str, user: PageUser, db: DB) -> Response:
    """One order's callback: the citizen, the reply, the tries so far, and the form for this one."""
    _require_caller(user)
    return _sheet_page(request, number, user, db)


def _call(db: Database, number: str, user: User, params: ActionRequest) -> WorkOrder:
    with db.transaction() as session:
        order = queries.get_for_update(session, number, viewer=user)
        order_service.apply_action(session, order, Action.CALLBACK, actor=user, params=params)
        return order


@router.post("/callbacks/{number}", dependencies=[CsrfProtected])
async def record_callback(request: Request, number: str, user: PageUser, db: DB) -> Response:
    _require_caller(user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        order = await run_in_threadpool(_call, db, number, user, forms.action_request(form))
    except DomainError as exc:
        if exc.status == 404:
            raise
        # The sheet again, with what the reviewer chose and wrote, and what is wrong with it.
        return await run_in_threadpool(_sheet_page, request, number, user, db, form=form, error=exc.message,
                                       status=exc.status)
    if order.unreachable:
        flash(request, f"工单 {number} 第 {order.callback_attempts} 次未接通，已按无法联系结束回访")
    elif order.callback_reached:
        flash(request, f"工单 {number} 回访已记录")
    else:
        flash(request, f"工单 {number} 第 {order.callback_attempts} 次未接通已记录，稍后再拨")
    return RedirectResponse("/callbacks", status_code=303)


# --- the citizen's rating page ---------------------------------------------------------------------

RATING_STATUS = {LinkState.OPEN: 200, LinkState.ANSWERED: 200, LinkState.CLOSED: 200, LinkState.EXPIRED: 410,
                 LinkState.UNKNOWN: 404}
RATING_LABELS = {"resolution": "解决情况", "satisfaction": "满意度", "comment": "意见和建议"}


def _rating_page(request: Request, token: str, found: RatingView, *, status: int | None = None,
                 error: str = "", form: dict[str, str] | None = None) -> Response:
    response = render(request, "evaluation/rate.html", status_code=status or RATING_STATUS[found.state],
                      state=found.state.value, link=found.link, order=found.order, token=token, error=error,
                      form=form or {})
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _counted(db: Database, client: str, found: RatingView) -> RatingView:
    """Only links that do not exist count against the client: the tokens cannot be guessed, trying many is an
    attack (``guard.RATING_CLIENT``). A real link gives its reserved attempt back."""
    if found.state is not LinkState.UNKNOWN:
        with db.transaction() as session:
            guard.release(session, guard.RATING_CLIENT, client)
    return found


def _reserve_attempt(db: Database, client: str) -> None:
    guard.reserve_all(db, (guard.RATING_CLIENT, client))


@router.get("/r/{token}")
def rating_page(request: Request, token: str, db: DB) -> Response:
    client = client_address(request)
    _reserve_attempt(db, client)
    with db.read() as session:
        found = rating_links.view(session, token)
    return _rating_page(request, token, _counted(db, client, found))


def _answer(db: Database, token: str, answer: RatingAnswer) -> RatingView:
    with db.transaction() as session:
        return rating_links.answer(session, token, answer)


@router.post("/r/{token}")
async def rate(request: Request, token: str, db: DB) -> Response:
    """No CSRF token: a forged post would need the link's own token, which is the whole secret."""
    client = client_address(request)
    await run_in_threadpool(_reserve_attempt, db, client)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        answer = validated(RatingAnswer, {"resolution": form.get("resolution") or None,
                                          "satisfaction": form.get("satisfaction") or None,
                                          "comment": form.get("comment", "")}, RATING_LABELS)
    except InvalidInput as exc:
        with db.read() as session:
            found = _counted(db, client, rating_links.view(session, token))
        if found.state is not LinkState.OPEN:
            return _rating_page(request, token, found)
        fields = [d["field"] for d in exc.details if isinstance(d, dict) and "field" in d]
        unchosen = bool(fields) and set(fields) <= {"resolution", "satisfaction"}
        error = f"请选择{'和'.join(RATING_LABELS[f] for f in fields)}" if unchosen else exc.message
        return _rating_page(request, token, found, status=422, error=error, form=form)
    found = await run_in_threadpool(_answer, db, token, answer)
    found = await run_in_threadpool(_counted, db, client, found)
    if found.state is LinkState.ANSWERED:
        return RedirectResponse(f"/r/{token}", status_code=303)
    return _rating_page(request, token, found)
