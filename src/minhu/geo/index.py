"""The in-memory map: which street, community and grid cover a point, and which zones lie near it.

Built once from the database (units with geometry, zones) and kept until the map's revision moves.
Geometries are projected to metres on a local plane around the map's centre — a district is a few
kilometres across, where an equirectangular projection is off by less than a metre per kilometre —
so buffers and distances are in metres and every query is a plain STRtree lookup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from minhu.org.roles import UnitKind

METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON_AT_EQUATOR = 111_320.0

# Levels an order is placed on, finest last.
PLACE_LEVELS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)


@dataclass(frozen=True)
class LocalPlane:
    """Longitude/latitude ↔ metres east/north of (lon0, lat0)."""

    lon0: float
    lat0: float

    @property
    def _kx(self) -> float:
        return METRES_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(self.lat0))

    def to_metres(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self._kx, (lat - self.lat0) * METRES_PER_DEGREE_LAT

    def project(self, geometry: BaseGeometry) -> BaseGeometry:
        origin = np.array([self.lon0, self.lat0])
        scale = np.array([self._kx, METRES_PER_DEGREE_LAT])
        return shapely.transform(geometry, lambda coords: (coords - origin) * scale)


@dataclass(frozen=True)
class UnitShape:
    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    geometry: dict[str, Any]


@dataclass(frozen=True)
class ZoneShape:
    id: int
    code: str
    name: str
    kind: str
    geometry: dict[str, Any] | None
    buffer_m: float
    member_unit_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class UnitHit:
    id: int
    code: str
    name: str
    kind: UnitKind


@dataclass(frozen=True)
class ZoneHit:
    id: int
    code: str
    name: str
    kind: str
    distance_m: float


@dataclass(frozen=True)
class Location:
    """Where a point stands. ``inside`` is False for a point outside the jurisdiction — an answer, not an error."""

    lon: float
    lat: float
    inside: bool
    street: UnitHit | None = None
    community: UnitHit | None = None
    grid: UnitHit | None = None
    zones: tuple[ZoneHit, ...] = field(default_factory=tuple)

    @property
    def finest(self) -> UnitHit | None:
        return self.grid or self.community or self.street


class MapIndex:
    def __init__(self, units: Sequence[UnitShape], zones: Sequence[ZoneShape], revision: int = 0) -> None:
        self.revision = revision
        self.plane = _plane_for(units, zones)
        self._by_id = {u.id: u for u in units}
        self._levels: dict[UnitKind, tuple[shapely.STRtree, list[UnitShape]]] = {}
        outer: list[BaseGeometry] = []
        for kind in (UnitKind.DISTRICT, *PLACE_LEVELS):
            members = sorted((u for u in units if u.kind is kind), key=lambda u: u.code)
            if not members:
                continue
            shapes = [self.plane.project(shape(u.geometry)) for u in members]
            self._levels[kind] = (shapely.STRtree(shapes), members)
            if not outer:
                # The jurisdiction is the coarsest level that has geometry (the district, or its streets).
                outer = shapes
        self._outline = shapely.union_all(outer) if outer else None
        if self._outline is not None:
            shapely.prepare(self._outline)
        self._zones: list[tuple[ZoneShape, BaseGeometry]] = []
        near: list[BaseGeometry] = []
        for zone in sorted(zones, key=lambda z: z.code):
            if zone.geometry is None:
                continue
            projected = self.plane.project(shape(zone.geometry))
            self._zones.append((zone, projected))
            near.append(projected.buffer(zone.buffer_m) if zone.buffer_m > 0 else projected)
        self._zone_tree = shapely.STRtree(near) if near else None
        self._areas_by_member: dict[int, list[ZoneShape]] = {}
        for zone in zones:
            for unit_id in zone.member_unit_ids:
                self._areas_by_member.setdefault(unit_id, []).append(zone)

    @property
    def empty(self) -> bool:
        return self._outline is None

    def unit_count(self, kind: UnitKind) -> int:
        level = self._levels.get(kind)
        return len(level[1]) if level else 0

    def locate(self, lon: float, lat: float) -> Location:
        point = Point(self.plane.to_metres(lon, lat))
        if self._outline is None or not self._outline.covers(point):
            return Location(lon=lon, lat=lat, inside=False)
        found: dict[UnitKind, UnitShape] = {}
        parent_id: int | None = None
        for kind in PLACE_LEVELS:
            hit = self._cover(kind, point, parent_id)
            if hit is not None:
                found[kind] = hit
                parent_id = hit.id
        zones = self._zones_near(point, found.get(UnitKind.COMMUNITY))
        return Location(lon=lon, lat=lat, inside=True, street=_hit(found.get(UnitKind.STREET)),
                        community=_hit(found.get(UnitKind.COMMUNITY)), grid=_hit(found.get(UnitKind.GRID)),
                        zones=zones)

    def zones_at(self, lon: float, lat: float) -> tuple[ZoneHit, ...]:
        """The lakes and roads whose ground (with its buffer) holds the point, inside the jurisdiction or not: a
        point on East Lake's water lies beyond the district's edge and is still the lake's business."""
        point = Point(self.plane.to_metres(lon, lat))
        return tuple(sorted(self._zones_by_point(point), key=lambda h: (h.distance_m, h.code)))

    def areas_of(self, community_id: int) -> tuple[ZoneHit, ...]:
        """The area zones (片区) a community belongs to."""
        return tuple(ZoneHit(z.id, z.code, z.name, z.kind, 0.0)
                     for z in sorted(self._areas_by_member.get(community_id, ()), key=lambda z: z.code))

    def _zones_by_point(self, point: Point) -> list[ZoneHit]:
        hits: list[ZoneHit] = []
        if self._zone_tree is not None:
            for i in sorted(self._zone_tree.query(point, predicate="covered_by")):
                zone, geometry = self._zones[i]
                hits.append(ZoneHit(zone.id, zone.code, zone.name, zone.kind, round(geometry.distance(point), 1)))
        return hits

    def _cover(self, kind: UnitKind, point: Point, parent_id: int | None) -> UnitShape | None:
        level = self._levels.get(kind)
        if level is None:
            return None
        tree, members = level
        indices = tree.query(point, predicate="covered_by")
        if len(indices) == 0:
            return None
        candidates: list[UnitShape] = [members[i] for i in sorted(indices.tolist())]
        # A point on the edge between two cells is covered by both: prefer the one under the parent
        # already found, then the lowest code, so the same point always lands on the same grid.
        under_parent = [u for u in candidates if u.parent_id == parent_id]
        return (under_parent or candidates)[0]

    def _zones_near(self, point: Point, community: UnitShape | None) -> tuple[ZoneHit, ...]:
        hits = self._zones_by_point(point)
        if community is not None:
            for zone in self._areas_by_member.get(community.id, ()):
                hits.append(ZoneHit(zone.id, zone.code, zone.name, zone.kind, 0.0))
        return tuple(sorted(hits, key=lambda h: (h.distance_m, h.code)))


def _hit(unit: UnitShape | None) -> UnitHit | None:
    return None if unit is None else UnitHit(unit.id, unit.code, unit.name, unit.kind)


def _plane_for(units: Sequence[UnitShape], zones: Sequence[ZoneShape]) -> LocalPlane:
    geometries = [shape(u.geometry) for u in units] + [shape(z.geometry) for z in zones if z.geometry]
    if not geometries:
        return LocalPlane(0.0, 0.0)
    min_x, min_y, max_x, max_y = shapely.total_bounds(geometries)
    return LocalPlane((min_x + max_x) / 2, (min_y + max_y) / 2)
