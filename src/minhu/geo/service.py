"""Locating points and addresses on the map, and who answers for a place.

The spatial index and the gazetteer live in memory per process and database. A lookup reads the map's
revision (one primary-key read) at most every ``REVISION_RECHECK_SECONDS`` and rebuilds them when it
moved: a map imported by another process is seen within that time, and a process that changed the map
itself forgets its copy at once. Intake places every order, so the read is not repeated per order.
"""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
import threading
import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from shapely.geometry import Point, shape
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload, undefer

from minhu.core import clock
from minhu.core.db import Database
from minhu.geo.address import Gazetteer, PlaceEntry, normalize
from minhu.geo.index import Location, MapIndex, UnitShape, ZoneShape
from minhu.geo.models import LocationSource, MapRevision, Place, Post, Zone
from minhu.org.models import Unit
from minhu.org.roles import TERRITORIAL_KINDS

log = logging.getLogger(__name__)

REVISION_ROW = 1
REVISION_RECHECK_SECONDS = 2.0
# Below this an address match is a guess, not a place: the order keeps no location from it.
MIN_ADDRESS_CONFIDENCE = 0.5


@dataclass(frozen=True)
class MapState:
    revision: int
    # Units come and go on their valid_from / valid_to dates: the state holds for the days on which no
    # such date falls between its own day and the day asked about.
    day: date
    boundaries: tuple[date, ...]
    index: MapIndex
    gazetteer: Gazetteer
    # The territorial units as loaded (detached, read-only): an order placed on them adopts them
    # with merge(load=False) instead of reading them again on the intake path.
    units: dict[int, Unit]

    def holds_on(self, day: date) -> bool:
        low, high = min(self.day, day), max(self.day, day)
        return not any(low < boundary <= high for boundary in self.boundaries)


_states: dict[str, MapState] = {}
_checked_at: dict[str, float] = {}
_lock = threading.Lock()
_build_lock = threading.Lock()


def current_revision(session: Session) -> int:
    return session.scalar(select(MapRevision.revision).where(MapRevision.id == REVISION_ROW)) or 0


def bump_revision(session: Session) -> int:
    """Record that the map changed (in the caller's transaction) and drop this process's copy.

    The new revision is a random number, not the old one plus one: a database emptied and refilled
    (a restore, a test) must never come back to a revision some process still holds a map for.
    """
    current = current_revision(session)
    revision = current
    while revision == current:
        revision = secrets.randbelow(2**31 - 2) + 1
    if session.get(MapRevision, REVISION_ROW) is None:
        session.add(MapRevision(id=REVISION_ROW, revision=revision))
    else:
        session.execute(update(MapRevision).where(MapRevision.id == REVISION_ROW).values(revision=revision))
    session.flush()
    forget_map()
    return revision


def forget_map() -> None:
    with _lock:
        _states.clear()
        _checked_at.clear()


def map_state(session: Session) -> MapState:
    key = str(session.get_bind().engine.url)
    state = _usable_state(key, session)
    if state is not None:
        return state
    # One build at a time: a storm's first requests on a fresh server would otherwise each build the map at
    # once (a third of a second alone, seconds when twenty-five share the interpreter). Those who waited find
    # the state the first one built. The revision is read before waiting, so the builder already holds its
    # connection and never waits for one that the waiters hold.
    revision = current_revision(session)
    with _build_lock:
        state = _states.get(key)
        if state is None or state.revision != revision or not state.holds_on(clock.city_now().date()):
            state = _build(session, revision)
        with _lock:
            _states[key] = state
            _checked_at[key] = time.monotonic()
    return state


def _usable_state(key: str, session: Session) -> MapState | None:
    """This process's map if it holds today and its revision is the database's (read at most every
    ``REVISION_RECHECK_SECONDS``)."""
    state = _states.get(key)
    if state is None or not state.holds_on(clock.city_now().date()):
        return None
    if time.monotonic() - _checked_at.get(key, 0.0) < REVISION_RECHECK_SECONDS:
        return state
    if state.revision != current_revision(session):
        return None
    with _lock:
        _checked_at[key] = time.monotonic()
    return state


def warm_up(database: Database) -> None:
    """Build the map as the server starts, not on the first citizen's request. The first lookup still reads the
    revision, so a map imported between this and that request is seen. Whatever fails here (a database not yet
    migrated or away, a stored shape that does not read) leaves the build, and its error, to the first lookup:
    a server starts either way."""
    try:
        with database.read() as session:
            map_state(session)
            key = str(session.get_bind().engine.url)
    except Exception:  # see above: never a reason not to start
        log.warning("the map was not built at start; the first lookup will build it", exc_info=True)
        return
    with _lock:
        _checked_at[key] = 0.0


def is_current(unit: Unit, day: date) -> bool:
    return unit.active and (unit.valid_from is None or unit.valid_from <= day) and (
        unit.valid_to is None or day < unit.valid_to)


def _build(session: Session, revision: int) -> MapState:
    today = clock.city_now().date()
    mapped = list(session.scalars(select(Unit).where(Unit.kind.in_([k.value for k in TERRITORIAL_KINDS]),
                                                     Unit.geometry.is_not(None)).options(undefer(Unit.geometry))))
    territorial = [u for u in mapped if u.geometry and is_current(u, today)]
    boundaries = tuple(sorted({d for u in mapped for d in (u.valid_from, u.valid_to) if d is not None}))
    units = [UnitShape(u.id, u.code, u.name, u.kind, u.parent_id, u.geometry) for u in territorial if u.geometry]
    zones = [ZoneShape(z.id, z.code, z.name, z.kind.value, z.geometry, z.buffer_m,
                       tuple(m.unit_id for m in z.members))
             for z in session.scalars(select(Zone).options(selectinload(Zone.members)))]
    places = []
    for place in session.scalars(select(Place).options(selectinload(Place.unit))):
        point = shape(place.geometry).representative_point() if place.geometry["type"] != "Point" else \
            shape(place.geometry)
        aliases = tuple(a for a in place.aliases or () if normalize(a))
        if normalize(place.name):  # the importer refuses such names; an older row must not stop intake
            places.append(PlaceEntry(name=place.name, kind=place.kind.value, aliases=aliases,
                                     lon=round(point.x, 7), lat=round(point.y, 7),
                                     unit_code=place.unit.code if place.unit else None))
    district = session.scalars(select(Unit).where(Unit.kind == "district").order_by(Unit.path).limit(1)).first()
    city = district.parent if district is not None else None
    gazetteer = Gazetteer(places, home_city=city.name if city is not None else "武汉市",
                          home_district=district.name if district is not None else None)
    return MapState(revision, today, boundaries, MapIndex(units, zones, revision), gazetteer,
                    {u.id: u for u in territorial})


def locate(session: Session, lon: float, lat: float) -> Location:
    return map_state(session).index.locate(lon, lat)


@dataclass(frozen=True)
class Placement:
    """Where an order stands, and how we know."""

    location: Location
    source: LocationSource
    confidence: float
    lon: float
    lat: float
    units: dict[int, Unit]  # the located street, community and grid, by id (detached)


def place(session: Session, *, lon: float | None, lat: float | None, address: str | None,
          home_grid_id: int | None = None, spread_key: str = "") -> Placement | None:
    """Coordinates when given (exact), else the best gazetteer match of the address; None when neither
    says anything (or the map is empty).

    An address that names a community is a place a few hundred metres wide: the order's point is drawn
    inside the community from ``spread_key`` (what the request says), so requests matched to one community
    stand apart on the map, each always at the same point. ``home_grid_id`` is the grid of a grid worker
    reporting from their own patrol: without coordinates the report stands in that grid, unless its address
    names a place outside it.
    """
    state = map_state(session)
    if state.index.empty:
        return None
    if lon is not None and lat is not None:
        where = state.index.locate(lon, lat)
        return Placement(where, LocationSource.COORDINATES, 1.0, lon, lat, _units_of(state, where))
    found = _by_address(state, address, spread_key) if address else None
    home = state.units.get(home_grid_id) if home_grid_id is not None else None
    if home is not None and home.geometry and (found is None or _holds(state, found.location, home)):
        at_lon, at_lat = point_inside(home.geometry, spread_key or address or "")
        where = state.index.locate(at_lon, at_lat)
        if where.grid is not None and where.grid.id == home.id:
            return Placement(where, LocationSource.REPORTER, 1.0, at_lon, at_lat, _units_of(state, where))
    return found


def _by_address(state: MapState, address: str, spread_key: str) -> Placement | None:
    candidates = state.gazetteer.geocode(address, limit=1)
    if not candidates or candidates[0].confidence < MIN_ADDRESS_CONFIDENCE:
        return None
    best = candidates[0]
    where = coarsen(state.index.locate(best.lon, best.lat), best.kind)
    at_lon, at_lat = best.lon, best.lat
    community = state.units.get(where.community.id) if where.community is not None and where.grid is None else None
    if community is not None and community.geometry:
        at_lon, at_lat = point_inside(community.geometry, f"{address}\n{spread_key}")
    return Placement(where, LocationSource.ADDRESS, best.confidence, at_lon, at_lat, _units_of(state, where))


def _holds(state: MapState, location: Location, grid: Unit) -> bool:
    """Whether an address names a wider place (a street, a community) that holds ``grid``; an address
    pinned to a grid already says where the report stands."""
    if location.grid is not None:
        return False
    finest = location.finest
    outer = state.units.get(finest.id) if finest is not None else None
    return outer is not None and grid.is_within(outer)


SPREAD_TRIES = 50


def point_inside(geometry: dict[str, Any], key: str) -> tuple[float, float]:
    """A point inside ``geometry`` drawn from ``key``: the same key gives the same point, others others."""
    area = shape(geometry)
    min_x, min_y, max_x, max_y = area.bounds
    # Any text draws a point, a lone surrogate (a JSON escape no validator refused) too.
    draw = random.Random(hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest())
    for _ in range(SPREAD_TRIES):
        point = Point(draw.uniform(min_x, max_x), draw.uniform(min_y, max_y))
        if area.contains(point):
            return round(point.x, 6), round(point.y, 6)
    inner = area.representative_point()
    return round(inner.x, 6), round(inner.y, 6)


def _units_of(state: MapState, where: Location) -> dict[int, Unit]:
    hits = (where.street, where.community, where.grid)
    return {hit.id: state.units[hit.id] for hit in hits if hit is not None}


# How far down the tree an address match may place an order: a street or a road names a stretch of
# ground, not a grid, and pinning it to the grid under the name's point would hand it to that grid.
_FINEST_LEVEL_BY_PLACE = {"street": "street", "road": "street", "community": "community"}


def coarsen(location: Location, place_kind: str) -> Location:
    """The location cut to what a match of this kind of place can say."""
    level = _FINEST_LEVEL_BY_PLACE.get(place_kind)
    if level is None or not location.inside:
        return location
    return replace(location, grid=None, zones=(),
                   community=location.community if level == "community" else None)


def people_on_duty(session: Session, location: Location, day: date | None = None, *,
                   grid_id: int | None = None) -> list[Post]:
    """The posts answering for the grid and the zones of a location, held on ``day`` (today).

    ``grid_id`` names the grid when it is known otherwise (an order keeps the grid it was reported in).
    """
    day = day or clock.city_now().date()
    zone_ids = [z.id for z in location.zones]
    clauses = []
    grid_id = grid_id or (location.grid.id if location.grid is not None else None)
    if grid_id is not None:
        clauses.append(Post.unit_id == grid_id)
    if zone_ids:
        clauses.append(Post.zone_id.in_(zone_ids))
    if not clauses:
        return []
    posts = session.scalars(select(Post).where(or_(*clauses)).order_by(Post.kind, Post.id)).all()
    return [p for p in posts if p.held_on(day)]
