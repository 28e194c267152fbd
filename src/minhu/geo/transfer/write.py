"""A parsed map checked against the unit tree and written into it.

An import is checked whole before anything is written — bad coordinates, invalid polygons, grids
outside their community, overlapping grids, gaps — and then written in one transaction, so a map is
never half-imported. Units are matched by code: a known code is updated, a new one added. With
``replace``, the current streets, communities and grids that the file leaves out, under parents the
file describes, are retired (not deleted: old orders keep them) and the new cells record which old
cells their ground came from.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, undefer

from minhu.core import clock
from minhu.core.db import Database
from minhu.geo import service
from minhu.geo.checks import Cell, Problem, tiling_problems
from minhu.geo.index import LocalPlane
from minhu.geo.models import (
    DEFAULT_BUFFER_M,
    LineageChange,
    Place,
    PlaceKind,
    UnitLineage,
    Zone,
    ZoneKind,
    ZoneMember,
)
from minhu.geo.transfer.mapfile import MapFile, MapImportError, ParsedUnit
from minhu.geo.transfer.overlaps import zone_overlaps
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import TERRITORIAL_KINDS, UNIT_KIND_LABELS, UnitKind

_LEVEL_WORDS = {UnitKind.STREET: "街道", UnitKind.COMMUNITY: "社区", UnitKind.GRID: "网格", UnitKind.DISTRICT: "区"}
_PARENT_KIND = {UnitKind.STREET: UnitKind.DISTRICT, UnitKind.COMMUNITY: UnitKind.STREET,
                UnitKind.GRID: UnitKind.COMMUNITY}


@dataclass(frozen=True)
class MapImportResult:
    units_added: int
    units_updated: int
    units_retired: int
    zones: int
    places: int
    lineage: int


def _known_units(session: Session) -> dict[str, Unit]:
    return {u.code: u for u in session.scalars(select(Unit).options(undefer(Unit.geometry)))}


@dataclass(frozen=True)
class _Ground:
    """The units already in the database and those a ``replace`` import retires: read once per import."""

    known: dict[str, Unit]
    replace: bool
    retiring: list[Unit]


def _ground(session: Session, parsed: MapFile, *, replace: bool) -> _Ground:
    known = _known_units(session)
    return _Ground(known, replace, retiring_units(parsed, known) if replace else [])


def check_map(session: Session, parsed: MapFile, *, replace: bool = False) -> list[Problem]:
    """Problems of consistency with itself and with the units already in the database (less those a
    ``replace`` import retires)."""
    return _problems(session, parsed, _ground(session, parsed, replace=replace))


def _problems(session: Session, parsed: MapFile, ground: _Ground) -> list[Problem]:
    problems: list[Problem] = []
    known = ground.known
    seen: dict[str, str] = {}
    for unit in parsed.units:
        if unit.props.code in seen:
            problems.append(Problem(unit.label, f"编码 {unit.props.code} 与{seen[unit.props.code]}重复"))
        seen[unit.props.code] = unit.label
    in_file = {u.props.code: u for u in parsed.units}
    for unit in parsed.units:
        parent = unit.props.parent
        if parent is not None and parent not in in_file and parent not in known:
            problems.append(Problem(unit.label, f"上级单位 {parent} 既不在文件中，也不在系统中"))
        if parent == unit.props.code:
            problems.append(Problem(unit.label, "上级单位不能是自己"))
        if unit.geometry is None and unit.props.kind in (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID):
            problems.append(Problem(unit.label, f"{_LEVEL_WORDS[unit.props.kind]}须有边界（面）"))
    for unit in parsed.units:
        expected = _PARENT_KIND.get(unit.props.kind)
        parent = unit.props.parent
        if expected is None or parent is None:
            continue
        parent_kind = in_file[parent].props.kind if parent in in_file else known[parent].kind if parent in known \
            else None
        if parent_kind is not None and parent_kind is not expected:
            problems.append(Problem(unit.label, f"{_LEVEL_WORDS[unit.props.kind]}的上级应是{_LEVEL_WORDS[expected]}，"
                                                f"而 {parent} 是{UNIT_KIND_LABELS[parent_kind]}"))
    problems.extend(_cycle_problems(parsed))
    if ground.retiring:
        problems.extend(_zones_on_retiring_ground(session, parsed, known, ground.retiring))
    zone_codes: set[str] = set()
    for zone in parsed.zones:
        if zone.props.code in zone_codes:
            problems.append(Problem(f"片区/河湖/路段 {zone.props.code}", "编码重复"))
        zone_codes.add(zone.props.code)
        if zone.props.kind is ZoneKind.AREA:
            if not zone.props.communities:
                problems.append(Problem(f"片区 {zone.props.name}", "须列出所辖社区"))
            for code in zone.props.communities:
                kind = in_file[code].props.kind if code in in_file else known[code].kind if code in known else None
                if kind is not UnitKind.COMMUNITY:
                    problems.append(Problem(f"片区 {zone.props.name}", f"{code} 不是已知的社区"))
    for place in parsed.places:
        place_unit = place.props.unit
        if place_unit is not None and place_unit not in in_file and place_unit not in known:
            problems.append(Problem(f"地名 {place.props.name}", f"所在单位 {place_unit} 不存在"))
    if not problems:
        problems.extend(_tiling(parsed, known, ground.retiring))
        problems.extend(zone_overlaps(session, parsed, known))
    return problems


def _zones_on_retiring_ground(session: Session, parsed: MapFile, known: dict[str, Unit],
                              retiring_list: list[Unit]) -> list[Problem]:
    """An area zone that would keep a community the import retires: its people would answer for nothing."""
    retiring = {u.id: u for u in retiring_list}
    in_file = {z.props.code: z for z in parsed.zones}
    problems = []
    for zone in session.scalars(select(Zone).options(selectinload(Zone.members))):
        if zone.code in in_file:
            continue
        for member in zone.members:
            if member.unit_id in retiring:
                problems.append(Problem(f"片区 {zone.name}", f"仍包含将退出使用的社区 {retiring[member.unit_id].name}："
                                                           "请在文件中一并给出该片区的新社区"))
    for item in parsed.zones:
        for code in item.props.communities:
            if code in known and known[code].id in retiring:
                problems.append(Problem(f"片区 {item.props.name}", f"{code} 将退出使用，不能列入片区"))
    return problems


def _cycle_problems(parsed: MapFile) -> list[Problem]:
    parent_of = {u.props.code: u.props.parent for u in parsed.units}
    problems = []
    for unit in parsed.units:
        seen = {unit.props.code}
        current = unit.props.parent
        while current in parent_of:
            if current in seen:
                problems.append(Problem(unit.label, "上下级关系成环"))
                break
            seen.add(current)
            current = parent_of[current]
    return problems


def _replaced_parents(parsed: MapFile) -> set[str]:
    return {u.props.parent for u in parsed.units if u.props.kind in TERRITORIAL_KINDS and u.props.parent}


def _tiling(parsed: MapFile, known: dict[str, Unit], retiring_list: list[Unit]) -> list[Problem]:
    """Each territorial level inside its parent, without overlaps or gaps."""
    geoms: dict[str, tuple[str, str | None, UnitKind, BaseGeometry]] = {}
    file_codes = {u.props.code for u in parsed.units}
    retiring = {u.code for u in retiring_list}
    for code, unit in known.items():
        if code in retiring:
            continue
        if unit.geometry and unit.kind in TERRITORIAL_KINDS and unit.valid_to is None:
            geoms[code] = (unit.name, unit.parent.code if unit.parent else None, unit.kind, shape(unit.geometry))
    for parsed_unit in parsed.units:
        if parsed_unit.geometry is not None:
            geoms[parsed_unit.props.code] = (parsed_unit.label, parsed_unit.props.parent, parsed_unit.props.kind,
                                             parsed_unit.geometry)
    if not geoms:
        return []
    bounds = shapely.total_bounds([g for _, _, _, g in geoms.values()])
    plane = LocalPlane((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    cells: dict[UnitKind, list[Cell]] = {}
    for code, (label, parent, kind, geom) in geoms.items():
        cells.setdefault(kind, []).append(Cell(label, code, parent, plane.project(geom)))
    problems: list[Problem] = []
    levels = [k for k in TERRITORIAL_KINDS if k in cells]
    for upper, lower in itertools.pairwise(levels):
        # Only the cells the file touches are judged; the rest of the map was checked when it came in.
        touched_parents = {c.parent_code for c in cells[lower] if c.code in file_codes} | {
            c.code for c in cells[upper] if c.code in file_codes}
        children = [c for c in cells[lower] if c.parent_code in touched_parents]
        parents = [c for c in cells[upper] if c.code in touched_parents and any(
            ch.parent_code == c.code for ch in children)]
        problems.extend(tiling_problems(parents, children, child_word=_LEVEL_WORDS[lower],
                                        parent_word=_LEVEL_WORDS[upper]))
    return problems


def import_map(db: Database, parsed: MapFile, *, replace: bool = False, on: date | None = None) -> MapImportResult:
    """Check and write a parsed map in one transaction. Raises MapImportError; nothing is written then."""
    with db.transaction() as session:
        return write_map(session, parsed, replace=replace, on=on)


def write_map(session: Session, parsed: MapFile, *, replace: bool = False, on: date | None = None) -> MapImportResult:
    """Check and write a parsed map in the caller's transaction. Raises MapImportError before writing anything."""
    ground = _ground(session, parsed, replace=replace)
    problems = _problems(session, parsed, ground)
    if problems:
        raise MapImportError(problems)
    return _write(session, parsed, ground, on=on or clock.city_now().date())


def _ordered(units: Sequence[ParsedUnit]) -> list[ParsedUnit]:
    """Parents before children, whatever order the file has."""
    by_code = {u.props.code: u for u in units}
    done: set[str] = set()
    ordered: list[ParsedUnit] = []

    def visit(unit: ParsedUnit) -> None:
        if unit.props.code in done:
            return
        done.add(unit.props.code)
        parent = by_code.get(unit.props.parent or "")
        if parent is not None:
            visit(parent)
        ordered.append(unit)

    for unit in units:
        visit(unit)
    return ordered


def _write(session: Session, parsed: MapFile, ground: _Ground, *, on: date) -> MapImportResult:
    known = ground.known
    added = updated = 0
    new_cells: list[Unit] = []
    for item in _ordered(parsed.units):
        props = item.props
        parent = known.get(props.parent) if props.parent else None
        unit = known.get(props.code)
        if unit is None:
            unit = org_service.create_unit(session, code=props.code, name=props.name, kind=props.kind, parent=parent,
                                           number_prefix=props.number_prefix)
            known[props.code] = unit
            added += 1
            if props.kind in TERRITORIAL_KINDS:
                new_cells.append(unit)
        else:
            unit.name, unit.kind = props.name, props.kind
            if props.number_prefix:
                unit.number_prefix = props.number_prefix
            if parent is not None and unit.parent_id != parent.id:
                org_service.move_unit(session, unit, parent)
            updated += 1
        unit.geometry = dict(mapping(item.geometry)) if item.geometry is not None else None
        unit.households, unit.grid_kind = props.households, props.grid_kind
        unit.staff_posts, unit.staff_filled = props.staff_posts, props.staff_filled
        unit.valid_from = props.valid_from or unit.valid_from
        unit.valid_to, unit.active = None, True
    session.flush()
    retired, lineage = _retire(ground.retiring, new_cells, session, on)
    _write_zones(session, parsed, known)
    places = _write_places(session, parsed, known, replace=ground.replace)
    service.bump_revision(session)
    return MapImportResult(added, updated, retired, len(parsed.zones), places, lineage)


def retiring_units(parsed: MapFile, known: dict[str, Unit]) -> list[Unit]:
    """The current territorial units a ``replace`` import retires: those the file leaves out under the
    parents it describes, and everything below them."""
    in_file = {u.props.code for u in parsed.units}
    parents = _replaced_parents(parsed)
    left_out = [u for u in known.values() if u.kind in TERRITORIAL_KINDS and u.valid_to is None
                and u.parent is not None and u.parent.code in parents and u.code not in in_file]
    below = [u for u in known.values() if u.valid_to is None and u.code not in in_file
             and any(u.path.startswith(r.path) and u is not r for r in left_out)]
    return left_out + below


def _retire(retired: list[Unit], new_cells: list[Unit], session: Session, on: date) -> tuple[int, int]:
    """Retire the territorial cells the file leaves out under the parents it describes; record lineage."""
    today = clock.city_now().date()
    for unit in retired:
        unit.valid_to = on
        # A future date keeps the unit working (and a dispatch target) until then; lookups compare dates.
        if on <= today:
            unit.active = False
    lineage = 0
    if retired and new_cells:
        tree = shapely.STRtree([shape(u.geometry) for u in new_cells if u.geometry])
        targets = [u for u in new_cells if u.geometry]
        pairs: list[tuple[Unit, Unit, float]] = []
        for old in retired:
            if not old.geometry:
                continue
            old_shape = shape(old.geometry)
            for i in tree.query(old_shape, predicate="intersects").tolist():
                new = targets[i]
                if new.kind is not old.kind:
                    continue
                share = old_shape.intersection(shape(new.geometry)).area / old_shape.area
                if share > 0.01:
                    pairs.append((old, new, share))
        sources_of: dict[int, int] = {}
        targets_of: dict[int, int] = {}
        for old, new, _ in pairs:
            sources_of[new.id] = sources_of.get(new.id, 0) + 1
            targets_of[old.id] = targets_of.get(old.id, 0) + 1
        for old, new, share in pairs:
            change = LineageChange.MERGE if sources_of[new.id] > 1 else (
                LineageChange.SPLIT if targets_of[old.id] > 1 else LineageChange.RESHAPE)
            session.add(UnitLineage(from_unit_id=old.id, to_unit_id=new.id, change=change, share=round(share, 4),
                                    on=on))
            lineage += 1
    return len(retired), lineage


def _write_zones(session: Session, parsed: MapFile, known: dict[str, Unit]) -> None:
    zones = {z.code: z for z in session.scalars(select(Zone).options(selectinload(Zone.members)))}
    for item in parsed.zones:
        props = item.props
        zone = zones.get(props.code)
        if zone is None:
            zone = Zone(code=props.code)
            session.add(zone)
        zone.name, zone.kind = props.name, props.kind
        zone.geometry = dict(mapping(item.geometry)) if item.geometry is not None else None
        zone.buffer_m = float(props.buffer_m if props.buffer_m is not None else DEFAULT_BUFFER_M[props.kind])
        zone.members = [ZoneMember(unit_id=known[c].id) for c in dict.fromkeys(props.communities)]
    session.flush()


def _write_places(session: Session, parsed: MapFile, known: dict[str, Unit], *, replace: bool) -> int:
    """Places are matched by name and kind: a known one is moved and its aliases replaced, a new one added.
    With ``replace`` and places in the file, the gazetteer becomes exactly the file's."""
    if not parsed.places:
        return 0
    existing = {(p.name, p.kind): p for p in session.scalars(select(Place))}
    listed: set[tuple[str, PlaceKind]] = set()
    for item in parsed.places:
        key = (item.props.name, item.props.kind)
        listed.add(key)
        place = existing.get(key)
        if place is None:
            place = Place(name=item.props.name, kind=item.props.kind)
            session.add(place)
        unit = known.get(item.props.unit) if item.props.unit else None
        place.aliases = list(dict.fromkeys(item.props.aliases))
        place.geometry = dict(mapping(item.geometry))
        place.unit_id = unit.id if unit else None
    if replace:
        for key, place in existing.items():
            if key not in listed:
                session.delete(place)
    session.flush()
    return len(parsed.places)
