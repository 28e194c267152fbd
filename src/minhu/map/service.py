"""What the one map shows: the jurisdiction's layers as GeoJSON, the live orders as points, and for a
unit its people on duty and its open orders.

Layers change only with the map, so each is serialised once per map revision and served as bytes;
order points are read as plain rows (no ORM objects), since the map draws thousands of them.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, undefer

from minhu.core import clock
from minhu.geo import service as geo_service
from minhu.geo.models import Post, Zone, ZoneKind, ZoneMember
from minhu.orders.lights import worst_light_case
from minhu.orders.models import WorkOrder
from minhu.orders.permissions import visible_clause
from minhu.orders.states import OPEN_STATUSES, STATUS_LABELS, Status
from minhu.org.models import Unit, User
from minhu.org.queries import unit_ids_below
from minhu.org.roles import GRID_KIND_LABELS, UnitKind

MAX_ORDER_POINTS = 20_000


class Layer(StrEnum):
    STREETS = "streets"
    COMMUNITIES = "communities"
    GRIDS = "grids"
    WATER = "water"
    ROADS = "roads"


LAYER_LABELS = {Layer.STREETS: "街道", Layer.COMMUNITIES: "社区", Layer.GRIDS: "网格", Layer.WATER: "河湖",
                Layer.ROADS: "道路"}
_UNIT_LAYERS = {Layer.STREETS: UnitKind.STREET, Layer.COMMUNITIES: UnitKind.COMMUNITY, Layer.GRIDS: UnitKind.GRID}
_ZONE_LAYERS = {Layer.WATER: ZoneKind.WATER, Layer.ROADS: ZoneKind.ROAD}

_layer_cache: dict[tuple[str, int, date, Layer], bytes] = {}
_lock = threading.Lock()


def layer_geojson(session: Session, layer: Layer) -> bytes:
    """The layer as a GeoJSON FeatureCollection (UTF-8 bytes), rebuilt when the map's revision moves."""
    # Keyed by day as well: units appear and retire on their dates without a new revision.
    key = (str(session.get_bind().engine.url), geo_service.current_revision(session), clock.city_now().date(), layer)
    cached = _layer_cache.get(key)
    if cached is not None:
        return cached
    body = json.dumps({"type": "FeatureCollection", "features": _layer_features(session, layer)},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with _lock:
        stale = [k for k in _layer_cache if k[0] == key[0] and k[1:3] != key[1:3]]
        for k in stale:
            del _layer_cache[k]
        _layer_cache[key] = body
    return body


def _layer_features(session: Session, layer: Layer) -> list[dict[str, Any]]:
    today = clock.city_now().date()
    if layer in _UNIT_LAYERS:
        units = session.scalars(select(Unit).where(Unit.kind == _UNIT_LAYERS[layer].value,
                                                   Unit.geometry.is_not(None))
                                .options(undefer(Unit.geometry)).order_by(Unit.code))
        return [{"type": "Feature", "geometry": u.geometry, "properties": _unit_properties(u)}
                for u in units if geo_service.is_current(u, today)]
    zones = session.scalars(select(Zone).where(Zone.kind == _ZONE_LAYERS[layer].value).order_by(Zone.code))
    return [{"type": "Feature", "geometry": z.geometry,
             "properties": {"code": z.code, "name": z.name, "kind": z.kind.value}} for z in zones if z.geometry]


def _unit_properties(unit: Unit) -> dict[str, Any]:
    props: dict[str, Any] = {"code": unit.code, "name": unit.name, "kind": unit.kind.value}
    if unit.households is not None:
        props["households"] = unit.households
    if unit.grid_kind is not None:
        props["grid_kind"] = GRID_KIND_LABELS[unit.grid_kind]
    return props


def order_points(session: Session, viewer: User, *, statuses: list[Status] | None = None) -> dict[str, Any]:
    """Live orders the viewer may see, with a point, as a GeoJSON FeatureCollection."""
    wanted = [s.value for s in (statuses or sorted(OPEN_STATUSES))]
    rows = session.execute(
        select(WorkOrder.number, WorkOrder.title, WorkOrder.status, WorkOrder.longitude, WorkOrder.latitude,
               WorkOrder.location_source, worst_light_case(clock.now()))
        .where(visible_clause(viewer), WorkOrder.status.in_(wanted), WorkOrder.latitude.is_not(None))
        .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(MAX_ORDER_POINTS))
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                 "properties": {"number": number, "title": title, "status": status.value,
                                "status_label": STATUS_LABELS[status],
                                "inferred": source is not None and source.value != "coordinates", "light": light}}
                for number, title, status, lon, lat, source, light in rows]
    return {"type": "FeatureCollection", "features": features}


# How far back the heat layer looks by default, and at most.
HEAT_DAYS, MAX_HEAT_DAYS = 30, 366


def grid_heat(session: Session, viewer: User, *, days: int = HEAT_DAYS) -> dict[str, Any]:
    """How many orders the viewer may see were registered in each grid in the last ``days`` days (voided ones
    left out): the heat layer of the one map, by grid code."""
    since = clock.now() - timedelta(days=days)
    rows = session.execute(select(Unit.code, func.count()).join(WorkOrder, WorkOrder.grid_id == Unit.id)
                           .where(visible_clause(viewer), WorkOrder.created_at >= since,
                                  WorkOrder.status != Status.VOIDED)
                           .group_by(Unit.code))
    counts = {code: int(count) for code, count in rows}
    return {"days": days, "grids": counts, "max": max(counts.values(), default=0), "total": sum(counts.values())}


@dataclass(frozen=True)
class UnitView:
    unit: Unit
    parent: Unit | None
    people: list[Post]
    open_orders: int
    orders: list[tuple[str, str, Status]]


def unit_view(session: Session, unit: Unit, viewer: User, *, day: date | None = None, limit: int = 20) -> UnitView:
    """A unit as the map shows it when clicked: who answers for it today and what is open there."""
    day = day or clock.city_now().date()
    people_filter = [Post.unit_id == unit.id]
    if unit.kind is UnitKind.COMMUNITY:
        # A community's people: its grids' chiefs and workers, and the chiefs of the areas it belongs to.
        grid_ids = select(Unit.id).where(Unit.parent_id == unit.id)
        area_ids = select(ZoneMember.zone_id).where(ZoneMember.unit_id == unit.id)
        people_filter = [Post.unit_id.in_(grid_ids), Post.zone_id.in_(area_ids)]
    elif unit.kind is UnitKind.STREET:
        community_ids = select(Unit.id).where(Unit.parent_id == unit.id)
        people_filter = [Post.zone_id.in_(select(ZoneMember.zone_id).where(ZoneMember.unit_id.in_(community_ids)))]
    posts = [p for p in session.scalars(select(Post).where(or_(*people_filter)).order_by(Post.kind, Post.id))
             if p.held_on(day)]
    below = unit_ids_below(unit)
    where = [visible_clause(viewer), WorkOrder.status.in_([s.value for s in OPEN_STATUSES]),
             or_(WorkOrder.place_unit_id.in_(below), WorkOrder.owner_unit_id.in_(below))]
    count = session.scalar(select(func.count()).select_from(WorkOrder).where(*where)) or 0
    rows = session.execute(select(WorkOrder.number, WorkOrder.title, WorkOrder.status).where(*where)
                           .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(limit)).all()
    return UnitView(unit=unit, parent=unit.parent, people=posts, open_orders=count,
                    orders=[(n, t, s) for n, t, s in rows])
