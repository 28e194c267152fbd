"""Evaluation's pages: the rankings (考核排名, with the called units' scores and the weekly bottom report), the
dissatisfied ledger (不满意诉求台账) and its Excel export,
threads (同一诉求) with their standard replies, and linking an order to a thread. The callback pages and the
citizen's rating page are in ``callback_pages``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound, field_error
from minhu.core.text import StorableText
from minhu.core.types import MAX_ROW_ID
from minhu.evaluation import bulletin_files, called, dissatisfied, export, policies, rankings, rates, threads, weekly
from minhu.orders import permissions
from minhu.orders import queries as order_queries
from minhu.org import queries as org_queries
from minhu.org import tree as org_tree
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import Unit, User
from minhu.org.roles import Role, UnitKind
from minhu.web.deps import DB
from minhu.web.downloads import attachment
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.forms import BOOL_TRUE
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
@router.get("/rankings")
def rankings_page(request: Request, user: PageUser, db: DB,
                  period: Annotated[str | None, Query(max_length=40)] = None,
                  policy: Annotated[str | None, Query(max_length=60)] = None,
                  kind: Annotated[str, Query(max_length=20)] = UnitKind.STREET.value,
                  week: Annotated[str | None, Query(max_length=12)] = None) -> Response:
    """双考排名: pick a month (or any period), a policy and a kind of unit; the called units' scores for the same
    period, and the weekly bottom report for a week (the last one by default)."""
    problem = None
    chosen_kind = UnitKind.STREET
    try:
        chosen_kind = UnitKind(kind)
        rankings.check_kind(chosen_kind)
    except (ValueError, InvalidInput):
        chosen_kind, problem = UnitKind.STREET, f"只对{'、'.join(rankings.RANKED_KINDS.values())}排名，已显示街道排名"
    try:
        span = rates.parse_period(period)
    except InvalidInput as error:
        span, problem = rates.last_month(), error.message
    try:
        chosen_week = rates.parse_week(week)
    except InvalidInput as error:
        chosen_week, problem = rates.last_week(), error.message
    with db.read() as session:
        try:
            chosen = policies.resolve(session, policy)
        except InvalidInput as error:
            chosen, problem = policies.resolve(session, None), error.message
        counted = rankings.PeriodCounts(session, chosen)  # the ranking and the district's line share its queries
        ranking = rankings.rank(session, chosen, span, chosen_kind, counted=counted)
        district = session.scalar(select(Unit).where(Unit.kind == UnitKind.DISTRICT).order_by(Unit.id))
        whole = rankings.rates_of(session, chosen, span, district.id, counted=counted) if district else None
        called_units = called.rank_called(session, chosen, span, counted=counted)
        week_report = weekly.weekly_bottom(session, chosen, chosen_week, counted=counted)
        available = policies.available(session)
    return render(request, "evaluation/rankings.html", user=user, csrf=csrf_token(request), ranking=ranking,
                  whole=whole, district=district, policies=available, kinds=rankings.RANKED_KINDS, problem=problem,
                  called=called_units, weekly=week_report, flashes=pop_flashes(request))


@router.get("/rankings/export")
def export_ranking(user: PageUser, db: DB, period: Annotated[str | None, Query(max_length=40)] = None,
                   policy: Annotated[str | None, Query(max_length=60)] = None,
                   kind: Annotated[UnitKind, Query()] = UnitKind.STREET) -> Response:
    """The ranking the page shows, as an Excel workbook (rates as percent-formatted numbers)."""
    span = rates.parse_period(period)
    with db.read() as session:
        chosen = policies.resolve(session, policy)
        ranking = rankings.rank(session, chosen, span, kind)
    label = rankings.RANKED_KINDS[kind]
    return attachment(bulletin_files.ranking_xlsx(chosen, ranking), bulletin_files.XLSX_TYPE,
                      filename=f"{span.label}{label}排名（{chosen.name}）.xlsx",
                      ascii_name=f"ranking-{kind.value}-{span.key}.xlsx")


# --- the dissatisfied ledger (不满意诉求台账) ------------------------------------------------------------

# Who keeps or reads the ledger; units (handlers, grid workers) see their own orders in it.
LEDGER_ROLES = frozenset({Role.REVIEWER, Role.DISPATCHER, Role.ADMIN, Role.LEADER, Role.HANDLER, Role.GRIDWORKER,
                          Role.STREET_DISPATCHER})
DEFAULT_LEDGER_DAYS = 90
Day = Annotated[str, Query(max_length=10)]


def _check_ledger_viewer(user: User) -> None:
    if user.role not in LEDGER_ROLES:
        raise Forbidden("您的角色不查看不满意诉求台账", code="not_a_ledger_viewer")


def _day(value: str, field: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise field_error(field, f"日期格式应为 YYYY-MM-DD：{value}", code="invalid_period") from None
    if not date(2000, 1, 1) <= day <= date(2099, 12, 31):
        raise field_error(field, "日期须在 2000-01-01 至 2099-12-31 之间", code="invalid_period")
    return day


@dataclass(frozen=True)
class LedgerQuery:
    """The ledger's filters as the page's fields: what it shows, and the query string that repeats them."""

    first: date
    last: date
    unit: str
    state: str
    wide: bool

    def query(self) -> str:
        return urlencode({"from": self.first.isoformat(), "to": self.last.isoformat(), "unit": self.unit,
                          "state": self.state, "wide": "1" if self.wide else ""})


def _ledger_filters(session: Session, params: LedgerParams) -> tuple[LedgerQuery, dissatisfied.LedgerFilters]:
    """Raises InvalidInput for a bad date, a reversed period or an unknown unit."""
    first, last, unit, state, wide = params.first, params.last, params.unit, params.state, params.wide
    today = clock.city_now().date()
    last_day = _day(last, "to") or today
    first_day = _day(first, "from") or last_day - timedelta(days=DEFAULT_LEDGER_DAYS - 1)
    if first_day > last_day:
        raise field_error("from", "开始日期不能晚于结束日期", code="invalid_period")
    found_unit = org_queries.find_unit_by_code(session, unit) if unit else None
    if unit and found_unit is None:
        raise field_error("unit", f"单位 {unit} 不存在", code="invalid_unit")
    wanted = dissatisfied.LedgerState(state) if state in {s.value for s in dissatisfied.LedgerState} else None
    tz = clock.city_tz()
    filters = dissatisfied.LedgerFilters(
        start=datetime.combine(first_day, time(), tz), end=datetime.combine(last_day + timedelta(days=1), time(), tz),
        unit=found_unit, state=wanted, wide=wide in BOOL_TRUE)
    return LedgerQuery(first_day, last_day, unit if found_unit else "", wanted.value if wanted else "",
                       filters.wide), filters


@dataclass(frozen=True)
class LedgerParams:
    """The ledger's query string as typed (the page and its export read the same)."""

    first: Annotated[str, Query(alias="from", max_length=10)] = ""
    last: Annotated[str, Query(alias="to", max_length=10)] = ""
    unit: Annotated[StorableText, Query(max_length=64)] = ""
    state: Annotated[str, Query(max_length=20)] = ""
    wide: Annotated[str, Query(max_length=5)] = ""


Ledger = Annotated[LedgerParams, Depends()]


@router.get("/dissatisfied")
def show_ledger(request: Request, user: PageUser, db: DB, params: Ledger) -> Response:
    _check_ledger_viewer(user)
    with db.read() as session:
        shown, filters = _ledger_filters(session, params)
        rows = dissatisfied.ledger(session, viewer=user, filters=filters)
        units = org_tree.dispatch_targets(session) if permissions.is_centre(user) or user.role is Role.LEADER else []
    return render(request, "evaluation/ledger.html", user=user, csrf=csrf_token(request), rows=rows, shown=shown,
                  units=units, states=dissatisfied.LEDGER_STATE_LABELS, limit=dissatisfied.PAGE_LIMIT,
                  review_after=dissatisfied.REVIEW_AFTER_REHANDLINGS, may_rule=user.role is Role.REVIEWER,
                  flashes=pop_flashes(request))


@router.get("/dissatisfied/export")
def export_ledger(user: PageUser, db: DB, params: Ledger) -> Response:
    """The filtered ledger as an Excel workbook (every row, not only the page's first ones)."""
    _check_ledger_viewer(user)
    with db.read() as session:
        shown, filters = _ledger_filters(session, params)
        data = export.workbook_bytes(dissatisfied.iter_ledger(session, viewer=user, filters=filters))
    name = f"dissatisfied-{shown.first.isoformat()}-{shown.last.isoformat()}.xlsx"
    return Response(data, media_type=export.CONTENT_TYPE,
                    headers={"content-disposition": f'attachment; filename="{name}"'})


# --- threads (同一诉求人同一事项) and their standard replies ----------------------------------------------

ThreadId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


@router.get("/threads")
def thread_list(request: Request, user: PageUser, db: DB) -> Response:
    _check_ledger_viewer(user)
    with db.read() as session:
        lines = threads.list_threads(session, viewer=user)
    return render(request, "evaluation/threads.html", user=user, csrf=csrf_token(request), lines=lines,
                  flashes=pop_flashes(request))


@router.get("/threads/{thread_id}")
def thread_page(request: Request, thread_id: ThreadId, user: PageUser, db: DB) -> Response:
    with db.read() as session:
        thread = threads.get_thread(session, thread_id)
        members = threads.visible_members(thread, user)
        if not members:  # nothing of it is the viewer's: as if it did not exist
            raise NotFound(f"诉求串 {thread_id} 不存在", code="thread_not_found")
        reply = threads.latest_reply(session, thread.id)
        histories = dissatisfied.histories_of(session, [o.id for o in members])
    return render(request, "evaluation/thread.html", user=user, csrf=csrf_token(request), thread=thread,
                  title=threads.title_of(thread, threads.lead_of(thread, members)),
                  members=members, standard_reply=reply, histories=histories,
                  keeper=threads.may_keep_threads(user), flashes=pop_flashes(request))


@router.post("/orders/{number}/thread", dependencies=[CsrfProtected])
async def link_order(request: Request, number: str, user: PageUser, db: DB) -> Response:
    """Link the order to another one's thread (the form names the other order's number)."""
    form = await request.form()
    other = form.get("with")
    try:
        thread_id = await run_in_threadpool(_link, db, number, user, other if isinstance(other, str) else "")
        flash(request, f"已归入诉求串 #{thread_id}")
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(request, exc.message, "error")
    return RedirectResponse(f"/orders/{number}", status_code=303)


def _link(db: Database, number: str, user: User, other: str) -> int:
    if not other.strip():
        raise field_error("with", "请填写要关联的工单编号")
    with db.transaction() as session:
        order = order_queries.get_for_update(session, number, viewer=user)
        return threads.link_by_number(session, order, number=other, actor=user).id


@router.post("/threads/{thread_id}/standard-reply", dependencies=[CsrfProtected])
async def save_standard_reply(request: Request, thread_id: ThreadId, user: PageUser, db: DB) -> Response:
    form = await request.form()
    text, next_page = form.get("text"), form.get("next")
    back = next_page if isinstance(next_page, str) and _local_path(next_page) else f"/threads/{thread_id}"
    try:
        await run_in_threadpool(_write_reply, db, thread_id, user, text if isinstance(text, str) else "")
        flash(request, "标准答复已保存，本诉求串各工单答复时将预填")
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(request, exc.message, "error")
    return RedirectResponse(back, status_code=303)


def _write_reply(db: Database, thread_id: int, user: User, text: str) -> None:
    with db.transaction() as session:
        thread = threads.get_thread(session, thread_id)
        if not threads.visible_members(thread, user):
            raise NotFound(f"诉求串 {thread_id} 不存在", code="thread_not_found")
        threads.write_standard_reply(session, thread, text=text, actor=user)


def _local_path(path: str) -> bool:
    return path.startswith("/") and not path.startswith("//") and path.isascii() and path.isprintable() \
        and " " not in path and "\\" not in path
