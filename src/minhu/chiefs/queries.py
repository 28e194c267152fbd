"""Reads of the chiefs: who holds which ground, their duty lists, the open orders that named them with their
lights, and their figures — counted by the database, so a chief named on thousands of orders costs one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from minhu.chiefs import permissions
from minhu.chiefs.models import DutyItem, DutyList, OrderChief
from minhu.chiefs.schemas import ChiefBrief, ChiefCounts, ChiefOrderRead, ChiefRead, DutyItemRead
from minhu.chiefs.service import CHIEF_KINDS, find_list, get_chief
from minhu.core import clock
from minhu.core.errors import NotFound
from minhu.geo.models import POST_LABELS, Post, PostKind
from minhu.orders import permissions as order_permissions
from minhu.orders.lights import Light, worst_light_case
from minhu.orders.models import WorkOrder
from minhu.orders.states import OPEN_STATUSES, STATUS_LABELS
from minhu.org.models import User
from minhu.routing.models import CatalogView, CatalogViewItem, Category

# A zone's page lists this many open orders, the worst lights first.
MAX_ORDERS = 200
# Grid chiefs are a thousand: the list shows the zones' chiefs unless asked for grid chiefs.
ZONE_CHIEF_KINDS = (PostKind.AREA_CHIEF, PostKind.RIVER_CHIEF, PostKind.ROAD_CHIEF)


def _ground_name(post: Post) -> tuple[str, str]:
    if post.zone is not None:
        return post.zone.name, post.zone.code
    return (post.unit.name, post.unit.code) if post.unit is not None else ("", "")


def _counts(session: Session, post_ids: list[int], now: datetime, *, since: datetime | None = None,
            until: datetime | None = None) -> dict[int, ChiefCounts]:
    """Per post: the orders that named it (named in [since, until) when given), those still open and their lights."""
    if not post_ids:
        return {}
    light = worst_light_case(now)
    is_open = WorkOrder.status.in_([s.value for s in OPEN_STATUSES])
    where: list[ColumnElement[bool]] = [OrderChief.post_id.in_(post_ids)]
    if since is not None:
        where.append(OrderChief.named_at >= since)
    if until is not None:
        where.append(OrderChief.named_at < until)
    rows = session.execute(
        select(OrderChief.post_id, func.count(), func.sum(case((is_open, 1), else_=0)),
               func.sum(case((and_(is_open, light == Light.YELLOW.value), 1), else_=0)),
               func.sum(case((and_(is_open, light == Light.RED.value), 1), else_=0)))
        .join(WorkOrder, WorkOrder.id == OrderChief.order_id).where(*where).group_by(OrderChief.post_id))
    return {post_id: ChiefCounts(named=int(n), open=int(o or 0), yellow=int(y or 0), red=int(r or 0))
            for post_id, n, o, y, r in rows}


def _duty_counts(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """How many items each zone's and each grid's list holds."""
    by_zone: dict[int, int] = {}
    by_grid: dict[int, int] = {}
    for zone_id, grid_id, n in session.execute(
            select(DutyList.zone_id, DutyList.grid_id, func.count(DutyItem.id))
            .join(DutyItem, DutyItem.list_id == DutyList.id).group_by(DutyList.id)):
        if zone_id is not None:
            by_zone[zone_id] = int(n)
        elif grid_id is not None:
            by_grid[grid_id] = int(n)
    return by_zone, by_grid


def _brief(post: Post, duties: int, counts: ChiefCounts | None) -> ChiefBrief:
    zone, code = _ground_name(post)
    return ChiefBrief(post_id=post.id, kind=post.kind, kind_label=POST_LABELS[post.kind], person=post.person,
                      zone=zone, zone_code=code, starts_on=post.starts_on, ends_on=post.ends_on,
                      account=post.user.username if post.user is not None else None, duties=duties,
                      counts=counts or ChiefCounts(named=0, open=0, yellow=0, red=0))


def _current_chiefs(session: Session, viewer: User, kinds: tuple[PostKind, ...], day: date) -> list[Post]:
    query = select(Post).where(Post.kind.in_([k.value for k in kinds])).order_by(Post.kind, Post.id)
    if not permissions.sees_every_chief(viewer):
        query = query.where(Post.user_id == viewer.id)
    return [p for p in session.scalars(query) if p.held_on(day)]


def list_chiefs(session: Session, *, viewer: User, kind: PostKind | None = None) -> list[ChiefBrief]:
    """The chiefs in post today the viewer may see (all for the centre and leaders, their own for a chief), the
    zones' chiefs unless ``kind`` asks for another, each with the size of its duty list and its figures."""
    kinds: tuple[PostKind, ...] = (kind,) if kind is not None and kind in CHIEF_KINDS else ZONE_CHIEF_KINDS
    if not permissions.sees_every_chief(viewer) and kind is None:
        kinds = tuple(CHIEF_KINDS)  # a chief's own posts, whatever their kind
    posts = _current_chiefs(session, viewer, kinds, clock.city_now().date())
    by_zone, by_grid = _duty_counts(session)
    counts = _counts(session, [p.id for p in posts], clock.now())
    return [_brief(p, by_zone.get(p.zone_id, 0) if p.zone_id is not None else by_grid.get(p.unit_id or 0, 0),
                   counts.get(p.id)) for p in posts]


def _ground_clause(post: Post) -> ColumnElement[bool]:
    if post.zone_id is not None:
        return OrderChief.zone_id == post.zone_id
    return OrderChief.grid_id == post.unit_id


def read_chief(session: Session, post_id: int, *, viewer: User) -> ChiefRead:
    """One chief: the duty list of their ground and its open orders the viewer may see, worst lights first.
    Raises NotFound for a post the viewer may not see, as for one that does not exist."""
    post = get_chief(session, post_id)
    if not permissions.may_view(viewer, post):
        raise NotFound(f"四长职务 {post_id} 不存在", code="chief_not_found")
    now = clock.now()
    duty_list = find_list(session, post)
    items = [DutyItemRead(category_code=i.category_code, category_name=i.category.name, item=i.item, source=i.source,
                          active=i.category.active) for i in (duty_list.items if duty_list is not None else [])]
    light = worst_light_case(now).label("light")
    severity = case((light == Light.RED.value, 0), (light == Light.YELLOW.value, 1), else_=2)
    named = (select(OrderChief.order_id, func.min(OrderChief.named_at).label("named_at"),
                    func.min(OrderChief.category_code).label("category_code"))
             .where(_ground_clause(post)).group_by(OrderChief.order_id).subquery())
    rows = session.execute(
        select(WorkOrder.number, WorkOrder.title, WorkOrder.status, WorkOrder.finish_due_at, light,
               named.c.named_at, named.c.category_code)
        .join(named, named.c.order_id == WorkOrder.id)
        .where(WorkOrder.status.in_([s.value for s in OPEN_STATUSES]), order_permissions.visible_clause(viewer))
        .order_by(severity, WorkOrder.finish_due_at.is_(None), WorkOrder.finish_due_at, WorkOrder.id)
        .limit(MAX_ORDERS)).all()
    orders = [ChiefOrderRead(number=n, title=t, status=STATUS_LABELS[s], category_code=c,
                             light=Light(li) if li else None, finish_due_at=due, named_at=at)
              for n, t, s, due, li, at, c in rows]
    brief = _brief(post, len(items), _counts(session, [post.id], now).get(post.id))
    return ChiefRead(**brief.model_dump(), phone=post.phone, duty_items=items, orders=orders)


@dataclass(frozen=True)
class ListedChoice:
    """An item of a street's A or B list, offered when a duty list is edited."""

    view: str
    section: str
    item: str
    category_code: str


def street_list_choices(session: Session) -> list[ListedChoice]:
    """The items of the streets' active lists whose category is active, list by list."""
    rows = session.execute(
        select(CatalogView.name, CatalogViewItem.section, CatalogViewItem.item, CatalogViewItem.category_code)
        .join(CatalogView, CatalogView.id == CatalogViewItem.view_id)
        .join(Category, Category.code == CatalogViewItem.category_code)
        .where(CatalogView.active.is_(True), Category.active.is_(True))
        .order_by(CatalogView.code, CatalogViewItem.id))
    return [ListedChoice(*row) for row in rows]


@dataclass(frozen=True)
class NamedChief:
    """A chief named on an order, as the order page shows them."""

    post_id: int
    label: str
    person: str
    zone: str
    category_code: str
    category_name: str


def named_on(session: Session, order_id: int) -> list[NamedChief]:
    rows = session.execute(select(OrderChief, Category.name)
                           .outerjoin(Category, Category.code == OrderChief.category_code)
                           .where(OrderChief.order_id == order_id).order_by(OrderChief.id)).all()
    return [NamedChief(link.post.id, "责任" + POST_LABELS[link.post.kind], link.post.person,
                       _ground_name(link.post)[0], link.category_code, name or link.category_code)
            for link, name in rows]


def chief_figures(session: Session, *, since: datetime, until: datetime) -> list[ChiefBrief]:
    """Every chief named on an order in [since, until), with the figures of those orders (for the people page)."""
    post_ids = list(session.scalars(select(OrderChief.post_id).where(
        OrderChief.named_at >= since, OrderChief.named_at < until).distinct()))
    if not post_ids:
        return []
    counts = _counts(session, post_ids, clock.now(), since=since, until=until)
    by_zone, by_grid = _duty_counts(session)
    posts = session.scalars(select(Post).where(Post.id.in_(post_ids)).order_by(Post.kind, Post.id)).all()
    rows = [_brief(p, by_zone.get(p.zone_id, 0) if p.zone_id is not None else by_grid.get(p.unit_id or 0, 0),
                   counts.get(p.id)) for p in posts]
    return sorted(rows, key=lambda r: (-r.counts.red, -r.counts.open, -r.counts.named, r.post_id))

