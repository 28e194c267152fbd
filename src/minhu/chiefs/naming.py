"""Naming the chiefs on an order (责任四长): when an order is located — as it is registered, and again when its
category changes — every chief whose ground holds it and whose duty list has its category (or a category above
it) is named on the order, told once through the outbox, and counted in their figures.

The ground of an order:
- its grid, for the grid's chief (网格长);
- the area zones (片区) its community belongs to;
- the lakes and roads whose shape, with the zone's buffer, holds its point — only when the point is where the
  citizen or a map app put it (coordinates), or a named place precise enough to pin a grid. A point drawn at
  random inside a community for an address that only names the community would call a lake's chief to a
  complaint that may be a street away.

This runs on intake's hot path: the duty lists are kept per process for a few seconds (the writers in this
process forget them at once) and the zones come from the map's in-memory index, so an order whose ground has no
duty list costs no query at all, and one that names a chief costs one read of the posts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from minhu.chiefs.models import DutyItem, DutyList, OrderChief
from minhu.core import clock
from minhu.core.cache import TTLCache
from minhu.geo import service as geo_service
from minhu.geo.models import POST_FOR_ZONE, POST_LABELS, LocationSource, Post, PostKind, ZoneKind
from minhu.notify import service as outbox
from minhu.notify.enums import NotifyChannel
from minhu.orders.models import WorkOrder
from minhu.routing import service as routing

log = logging.getLogger("minhu.chiefs")

TEMPLATE = "order.chief_named"
NO_ADDRESS = "未填写"


@dataclass(frozen=True)
class Duties:
    """Every duty list as the naming reads it: for each zone and grid, its categories → the item's wording."""

    by_zone: dict[int, dict[str, str]]
    by_grid: dict[int, dict[str, str]]

    @property
    def empty(self) -> bool:
        return not self.by_zone and not self.by_grid


_duties: TTLCache[str, Duties] = TTLCache(ttl_seconds=10)


def forget_duties(session: Session | None = None) -> None:
    """Drop the cached duty lists now (and again once ``session`` commits, when given)."""
    if session is None:
        _duties.clear()
    else:
        _duties.clear_now_and_after(session)


def duties(session: Session) -> Duties:
    def load() -> Duties:
        by_zone: dict[int, dict[str, str]] = {}
        by_grid: dict[int, dict[str, str]] = {}
        for zone_id, grid_id, code, item in session.execute(
                select(DutyList.zone_id, DutyList.grid_id, DutyItem.category_code, DutyItem.item)
                .join(DutyItem, DutyItem.list_id == DutyList.id)):
            if zone_id is not None:
                by_zone.setdefault(zone_id, {})[code] = item
            elif grid_id is not None:
                by_grid.setdefault(grid_id, {})[code] = item
        return Duties(by_zone, by_grid)
    return _duties.get_or_load(str(session.get_bind().engine.url), load)


def lineage(session: Session, code: str) -> list[str]:
    """The category and every category above it, nearest first (from routing's cached catalog)."""
    categories = routing.tables(session).categories
    codes = [code]
    category = categories.get(code)
    while category is not None and category.parent_code is not None and category.parent_code not in codes:
        codes.append(category.parent_code)
        category = categories.get(category.parent_code)
    return codes


@dataclass(frozen=True)
class Ground:
    """A piece of the order's ground with a duty list that covers the order: a zone or a grid, and the item."""

    zone_id: int | None
    grid_id: int | None
    zone_kind: ZoneKind | None
    category_code: str
    item: str


def point_is_exact(order: WorkOrder) -> bool:
    """Whether the order's point says where the matter is (see the module's docstring)."""
    if order.latitude is None or order.longitude is None:
        return False
    return order.location_source == LocationSource.COORDINATES or (
        order.location_source == LocationSource.ADDRESS and order.grid_id is not None)


def _match(listed: dict[str, str] | None, codes: list[str]) -> tuple[str, str] | None:
    if not listed:
        return None
    for code in codes:
        if code in listed:
            return code, listed[code]
    return None


def grounds_of(session: Session, order: WorkOrder) -> list[Ground]:
    """The zones and grid holding ``order`` whose duty lists cover its category."""
    if order.category_code is None:
        return []
    found = duties(session)
    if found.empty:
        return []
    codes = lineage(session, order.category_code)
    grounds: list[Ground] = []
    if order.grid_id is not None and (hit := _match(found.by_grid.get(order.grid_id), codes)) is not None:
        grounds.append(Ground(None, order.grid_id, None, *hit))
    if not found.by_zone:
        return grounds
    index = geo_service.map_state(session).index
    zones = list(index.areas_of(order.community_id)) if order.community_id is not None else []
    if point_is_exact(order):
        assert order.longitude is not None
        assert order.latitude is not None
        zones += index.zones_at(order.longitude, order.latitude)
    for zone in {z.id: z for z in zones}.values():
        if (hit := _match(found.by_zone.get(zone.id), codes)) is not None:
            grounds.append(Ground(zone.id, None, ZoneKind(zone.kind), *hit))
    return grounds


def _posts(session: Session, grounds: Iterable[Ground], day: date) -> list[tuple[Post, Ground]]:
    """The chiefs holding each ground's post on ``day``."""
    by_zone = {g.zone_id: g for g in grounds if g.zone_id is not None}
    by_grid = {g.grid_id: g for g in grounds if g.grid_id is not None}
    clauses = []
    if by_zone:
        clauses.append(and_(Post.zone_id.in_(by_zone), Post.kind.in_([POST_FOR_ZONE[g.zone_kind].value
                                                                     for g in by_zone.values() if g.zone_kind])))
    if by_grid:
        clauses.append(and_(Post.unit_id.in_(by_grid), Post.kind == PostKind.GRID_CHIEF.value))
    if not clauses:
        return []
    found: list[tuple[Post, Ground]] = []
    for post in session.scalars(select(Post).where(or_(*clauses)).order_by(Post.kind, Post.id)):
        if not post.held_on(day):
            continue
        if post.zone_id is not None and post.zone_id in by_zone:
            ground = by_zone[post.zone_id]
            if ground.zone_kind is not None and POST_FOR_ZONE[ground.zone_kind] is post.kind:
                found.append((post, ground))
        elif post.unit_id is not None and post.unit_id in by_grid:
            found.append((post, by_grid[post.unit_id]))
    return found


def ground_name(post: Post) -> str:
    if post.zone is not None:
        return post.zone.name
    return post.unit.name if post.unit is not None else ""


def alert(session: Session, order: WorkOrder, post: Post, item: str) -> int:
    """Tell the chief, once per order (the dedupe key is the order's and the post's): their account by inbox,
    e-mail and SMS, or, when the post has no account, its phone by SMS. Returns how many messages were queued."""
    context = {"post_label": POST_LABELS[post.kind], "zone_name": ground_name(post), "order_number": order.number,
               "order_title": order.title, "duty_item": item, "address": order.address or NO_ADDRESS}
    key = f"chief:{order.id}:{post.id}"
    user = post.user
    if user is not None and user.active:
        added = outbox.enqueue(session, template=TEMPLATE, context=context, recipients=[user], order_id=order.id,
                               dedupe_key=key)
        if outbox.mobile_number(user.phone) is None and post.phone:
            added += outbox.enqueue_to_address(session, template=TEMPLATE, context=context,
                                               channel=NotifyChannel.SMS, address=post.phone,
                                               recipient_name=post.person, order_id=order.id, dedupe_key=key)
        return added
    if post.phone:
        return outbox.enqueue_to_address(session, template=TEMPLATE, context=context, channel=NotifyChannel.SMS,
                                         address=post.phone, recipient_name=post.person, order_id=order.id,
                                         dedupe_key=key)
    log.warning("chief %s (%s) named on %s has neither an account nor a phone: not told", post.person,
                ground_name(post), order.number)
    return 0


def name_chiefs(session: Session, order: WorkOrder, *, fresh: bool = False) -> list[OrderChief]:
    """Name on ``order`` the chiefs answering for it now, tell those newly named, and unname those who no longer
    answer for it (its category changed). ``fresh`` says the order has just been registered and names nobody yet
    (no query for its links). Returns the links added."""
    located: dict[int, str | None] = session.info.setdefault("chiefs_located", {})
    if not fresh and order.id in located and located[order.id] == order.category_code:
        return []  # located in this transaction under this category already (auto-dispatch at intake)
    located[order.id] = order.category_code
    grounds = grounds_of(session, order)
    existing: dict[int, OrderChief] = {} if fresh else {
        link.post_id: link for link in session.scalars(select(OrderChief).where(OrderChief.order_id == order.id))}
    if not grounds and not existing:
        return []
    wanted = {post.id: (post, ground) for post, ground in _posts(session, grounds, clock.city_now().date())}
    gone = [post_id for post_id in existing if post_id not in wanted]
    if gone:
        session.execute(delete(OrderChief).where(OrderChief.order_id == order.id, OrderChief.post_id.in_(gone)))
    added: list[OrderChief] = []
    now = clock.now()
    for post_id, (post, ground) in wanted.items():
        link = existing.get(post_id)
        if link is not None:
            link.category_code = ground.category_code
            continue
        link = OrderChief(order_id=order.id, post_id=post.id, zone_id=ground.zone_id, grid_id=ground.grid_id,
                          category_code=ground.category_code, named_at=now)
        link.alerted = alert(session, order, post, ground.item) > 0
        session.add(link)
        added.append(link)
    session.flush()
    return added
