"""Hot issues of the city's own orders over a trailing window: the orders read as reports (their words and places
as intake already read them for duplicates, their community and street, their board supports), clustered by
``insight.hot``, and kept a few minutes — a leader's page and a dashboard polling the API ask again and again,
and nothing of the answer moves faster than the orders do."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from time import monotonic
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from minhu.board.models import BoardPost
from minhu.core import clock
from minhu.core.errors import InvalidInput, NotFound
from minhu.duplicates.models import OrderFingerprint
from minhu.insight.hot import HotIssue, Report, Settings, find_hot_issues, read_report
from minhu.insight.places import fine_places
from minhu.orders import permissions
from minhu.orders.models import WorkOrder
from minhu.org.models import Unit, User

DEFAULT_DAYS = 30
MAX_DAYS = 366
CACHE_SECONDS = 300.0
_CACHE_SIZE = 16


@dataclass(frozen=True)
class IssueOrder:
    """An order of an issue as the list shows it."""

    number: str
    title: str
    at: datetime


@dataclass(frozen=True)
class HotList:
    """The hot issues of a period: the window, how many orders it held, the issues hottest first with their
    orders (earliest first), and when it was computed."""

    first: date
    last: date
    days: int
    orders: int
    issues: tuple[HotIssue, ...]
    orders_of: dict[str, IssueOrder]
    computed_at: datetime

    def orders_in(self, issue: HotIssue) -> list[IssueOrder]:
        return [self.orders_of[number] for number in issue.report_ids]


def check_days(days: int) -> int:
    """Raises InvalidInput (code ``invalid_days``) outside 1..``MAX_DAYS``."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days 应为 1 至 {MAX_DAYS} 之间的天数：{days}", code="invalid_days",
                           details=[{"field": "days", "message": f"应为 1 至 {MAX_DAYS}"}])
    return days


def _window(days: int) -> tuple[date, date, datetime]:
    """The last ``days`` city days up to today: their first and last day, and the instant the first begins."""
    today = clock.city_now().date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=clock.city_tz())
    return first, today, start


_ROWS = (select(WorkOrder.id, WorkOrder.number, WorkOrder.title, WorkOrder.content, WorkOrder.created_at,
                WorkOrder.citizen_phone, WorkOrder.grid_id, WorkOrder.community_id, WorkOrder.street_id,
                BoardPost.supports, OrderFingerprint.reading)
         .outerjoin(BoardPost, BoardPost.order_id == WorkOrder.id)
         .outerjoin(OrderFingerprint, OrderFingerprint.order_id == WorkOrder.id))


def _in_window(start: datetime, end: datetime, viewer: User | None) -> list[ColumnElement[bool]]:
    """The orders created in [start, end) that ``viewer`` may see (every order for None: a command line)."""
    clauses = [WorkOrder.created_at >= start, WorkOrder.created_at < end]
    if viewer is not None:
        clauses.append(permissions.visible_clause(viewer))
    return clauses


def reports_of(session: Session, start: datetime, end: datetime, *,
               viewer: User | None = None) -> tuple[list[Report], dict[str, IssueOrder]]:
    """The orders created in [start, end) that ``viewer`` may see, as reports. Words and places come from the
    order's fingerprint (read by intake with the same reader); an order without one is read here. The citizen
    is the caller's phone; the place unit its grid (about one estate; its community when it has no grid), the
    area its street; support the board's likes."""
    names = {row.id: row.name for row in session.execute(select(Unit.id, Unit.name))}
    rows = session.execute(_ROWS.where(*_in_window(start, end, viewer))
                           .order_by(WorkOrder.created_at, WorkOrder.id)).all()
    reports, orders = [], {}
    for row in rows:
        label = names.get(row.community_id) or names.get(row.street_id)
        common: dict[str, Any] = {
            "citizen": row.citizen_phone or None, "likes": row.supports or 0,
            "unit": f"grid:{row.grid_id}" if row.grid_id else (
                f"community:{row.community_id}" if row.community_id else None),
            "area": f"street:{row.street_id}" if row.street_id else None, "area_label": label}
        reading = row.reading
        if reading and reading.get("words"):
            named = frozenset(reading.get("places") or ())
            report = Report(id=row.number, title=row.title, at=row.created_at, words=dict(reading["words"]),
                            places=fine_places(named), wide_places=named - fine_places(named), **common)
        else:
            report = read_report(row.number, row.title, row.content, row.created_at, **common)
        reports.append(report)
        orders[row.number] = IssueOrder(number=row.number, title=row.title, at=row.created_at)
    return reports, orders


_cache: dict[tuple[Any, ...], tuple[float, HotList]] = {}
_cache_lock = threading.Lock()


def _state(session: Session, start: datetime, end: datetime, viewer: User | None) -> str:
    """What the answer depends on, cheaply: the window's orders and their supports. A new order, a deleted
    one or a new 点赞 makes a new key, so a cached list is never older than its data for long."""
    window = _in_window(start, end, viewer)
    ids = session.scalars(select(WorkOrder.id).where(*window).order_by(WorkOrder.id)).all()
    supports = session.scalar(select(func.coalesce(func.sum(BoardPost.supports), 0)).join(
        WorkOrder, WorkOrder.id == BoardPost.order_id).where(*window))
    digest = hashlib.blake2b(digest_size=16)
    digest.update(",".join(map(str, ids)).encode())
    digest.update(f"|{supports}".encode())
    return digest.hexdigest()


def hot_list(session: Session, *, viewer: User | None, days: int = DEFAULT_DAYS,
             settings: Settings | None = None) -> HotList:
    """The hot issues of the last ``days`` city days (today included) among the orders ``viewer`` may see (a
    street's leader, the street's; the centre, all), from a cache of ``CACHE_SECONDS``. Raises InvalidInput
    for a bad ``days``, NotFound (code ``no_orders``) when the window holds no order the viewer may see."""
    check_days(days)
    first, last, start = _window(days)
    end = clock.now() + timedelta(seconds=1)
    scope = "centre" if viewer is None or permissions.is_centre(viewer) else f"user:{viewer.id}"
    key = (str(session.get_bind().engine.url), scope, days, first, _state(session, start, end, viewer), settings)
    with _cache_lock:
        kept = _cache.get(key)
        if kept is not None and monotonic() - kept[0] < CACHE_SECONDS:
            return kept[1]
    reports, orders = reports_of(session, start, end, viewer=viewer)
    if not reports:
        raise NotFound(f"近 {days} 天（{first} 至 {last}）没有工单，无从发现热点问题", code="no_orders",
                       details={"first": first.isoformat(), "last": last.isoformat(), "days": days})
    issues = find_hot_issues(reports, settings)
    result = HotList(first=first, last=last, days=days, orders=len(reports), issues=tuple(issues),
                     orders_of=orders, computed_at=clock.now())
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(min(_cache, key=lambda k: _cache[k][0]))
        _cache[key] = (monotonic(), result)
    return result


def forget() -> None:
    """Empty the cache (tests that change settings, or an administrator who wants a fresh list now)."""
    with _cache_lock:
        _cache.clear()
