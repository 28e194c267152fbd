"""Zones of one kind that share ground, found before a map is written: two area zones (片区) holding one
community, two lakes whose water overlaps, two roads running along each other. Each such pair would give one
piece of ground two chiefs of the same kind, so the import is refused whole, naming both zones. Zones of
different kinds may overlap (a road along a lake, a lake inside an area)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from minhu.geo.checks import DEFAULT_TOLERANCE_M2, DEFAULT_TOLERANCE_SHARE, Problem
from minhu.geo.index import LocalPlane
from minhu.geo.models import Zone, ZoneKind
from minhu.geo.transfer.mapfile import MapFile
from minhu.org.models import Unit

_ZONE_WORDS = {ZoneKind.AREA: "片区", ZoneKind.WATER: "河湖", ZoneKind.ROAD: "路段"}
# Two roads share a crossing, never a stretch: a shared run shorter than this is a drawing's slack, not an overlap.
ROAD_OVERLAP_M = 10.0


@dataclass(frozen=True)
class _ZoneShape:
    code: str
    name: str
    kind: ZoneKind
    geometry: BaseGeometry | None  # degrees
    communities: frozenset[str]

    @property
    def label(self) -> str:
        return f"{_ZONE_WORDS[self.kind]}{self.name}（{self.code}）"


def zone_overlaps(session: Session, parsed: MapFile, known: dict[str, Unit]) -> list[Problem]:
    """The overlaps between the file's zones, and between each of them and the zones already in the database
    that the file leaves as they are (the file's version of a zone replaces the stored one)."""
    zones: dict[str, _ZoneShape] = {}
    code_of = {u.id: code for code, u in known.items()}
    for zone in session.scalars(select(Zone).options(selectinload(Zone.members))):
        zones[zone.code] = _ZoneShape(zone.code, zone.name, zone.kind,
                                      shape(zone.geometry) if zone.geometry else None,
                                      frozenset(code_of[m.unit_id] for m in zone.members if m.unit_id in code_of))
    for item in parsed.zones:
        zones[item.props.code] = _ZoneShape(item.props.code, item.props.name, item.props.kind, item.geometry,
                                            frozenset(item.props.communities))
    touched = {z.props.code for z in parsed.zones}
    if not touched:
        return []
    problems: list[Problem] = []
    for kind in ZoneKind:
        of_kind = sorted((z for z in zones.values() if z.kind is kind), key=lambda z: z.code)
        if kind is ZoneKind.AREA:
            names = {code: unit.name for code, unit in known.items()} | {u.props.code: u.props.name
                                                                         for u in parsed.units}
            problems.extend(_shared_communities(of_kind, touched, names))
        else:
            problems.extend(_shared_ground(of_kind, touched))
    return problems


def _shared_communities(areas: list[_ZoneShape], touched: set[str], names: dict[str, str]) -> list[Problem]:
    problems = []
    for a, b in itertools.combinations(areas, 2):
        if a.code not in touched and b.code not in touched:
            continue
        shared = sorted(a.communities & b.communities)
        if shared:
            listed = "、".join(names.get(c, c) for c in shared)
            problems.append(Problem(a.label, f"与{b.label}重叠：两个片区都包含社区 {listed}"))
    return problems


def _shared_ground(zones: list[_ZoneShape], touched: set[str]) -> list[Problem]:
    drawn = [z for z in zones if z.geometry is not None]
    if len(drawn) < 2:
        return []
    bounds = shapely.total_bounds([z.geometry for z in drawn])
    plane = LocalPlane((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    shapes = [plane.project(z.geometry) for z in drawn]
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    problems = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        a, b = drawn[i], drawn[j]
        if i >= j or (a.code not in touched and b.code not in touched):
            continue
        common = shapes[i].intersection(shapes[j])
        if a.kind is ZoneKind.ROAD:
            if common.length > ROAD_OVERLAP_M:
                problems.append(Problem(a.label, f"与{b.label}重叠：有 {common.length:,.0f} 米重合"))
        elif common.area > max(DEFAULT_TOLERANCE_M2, DEFAULT_TOLERANCE_SHARE * min(shapes[i].area, shapes[j].area)):
            problems.append(Problem(a.label, f"与{b.label}重叠 {common.area:,.0f} 平方米"))
    return problems

