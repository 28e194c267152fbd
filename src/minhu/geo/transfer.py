"""Import and export of the jurisdiction (docs/map-format.md): units, zones, the gazetteer, the people.

An import is checked whole before anything is written — bad coordinates, invalid polygons, grids
outside their community, overlapping grids, gaps — and then written in one transaction, so a map is
never half-imported. Units are matched by code: a known code is updated, a new one added. With
``replace``, the current streets, communities and grids that the file leaves out, under parents the
file describes, are retired (not deleted: old orders keep them) and the new cells record which old
cells their ground came from.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import shapely
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload, undefer

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import DomainError, InvalidInput
from minhu.core.text import RequiredText, StorableText, decode_text_file
from minhu.geo import service
from minhu.geo.address import normalize
from minhu.geo.checks import Cell, Problem, geometry_problem, tiling_problems
from minhu.geo.index import LocalPlane
from minhu.geo.models import (
    DEFAULT_BUFFER_M,
    POST_FOR_ZONE,
    LineageChange,
    Place,
    PlaceKind,
    Post,
    PostKind,
    UnitLineage,
    Zone,
    ZoneKind,
    ZoneMember,
)
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import TERRITORIAL_KINDS, UNIT_KIND_LABELS, GridKind, UnitKind

DEFAULT_MAX_MAP_BYTES = 64 * 1024 * 1024
POST_COLUMNS = ("post", "person", "phone", "username", "unit", "zone", "starts_on", "ends_on")
_AREA_KINDS = {"Polygon", "MultiPolygon"}
_LEVEL_WORDS = {UnitKind.STREET: "街道", UnitKind.COMMUNITY: "社区", UnitKind.GRID: "网格", UnitKind.DISTRICT: "区"}
_PARENT_KIND = {UnitKind.STREET: UnitKind.DISTRICT, UnitKind.COMMUNITY: UnitKind.STREET,
                UnitKind.GRID: UnitKind.COMMUNITY}


class MapImportError(DomainError):
    """The file was refused; ``problems`` says every reason, and nothing was written."""

    status = 422
    code = "map_invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        shown = "；".join(str(p) for p in problems[:5])
        more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
        super().__init__(f"地图文件有 {len(problems)} 处问题，未导入任何内容：{shown}{more}",
                         details=[{"field": p.where, "message": p.message} for p in problems])
        self.problems = list(problems)


class _Props(BaseModel):
    model_config = ConfigDict(extra="ignore")


class UnitFeature(_Props):
    code: RequiredText = Field(max_length=32)
    name: RequiredText = Field(max_length=100)
    kind: UnitKind
    parent: StorableText | None = Field(default=None, max_length=32)
    number_prefix: StorableText | None = Field(default=None, max_length=8, pattern=r"^[A-Z]{1,8}$")
    households: StrictInt | None = Field(default=None, ge=0)
    grid_kind: GridKind | None = None
    staff_posts: StrictInt | None = Field(default=None, ge=0)
    staff_filled: StrictInt | None = Field(default=None, ge=0)
    valid_from: date | None = None


class ZoneFeature(_Props):
    code: RequiredText = Field(max_length=64)
    name: RequiredText = Field(max_length=100)
    kind: ZoneKind
    buffer_m: StrictFloat | StrictInt | None = Field(default=None, ge=0, le=5000)
    communities: list[StorableText] = Field(default_factory=list)


def _matchable(value: str) -> str:
    if not normalize(value):
        raise ValueError("地名去掉空白和标点后为空，无法用于地址匹配")
    return value


MatchableName = Annotated[RequiredText, AfterValidator(_matchable)]


class PlaceFeature(_Props):
    name: MatchableName = Field(max_length=100)
    kind: PlaceKind
    aliases: list[MatchableName] = Field(default_factory=list)
    unit: StorableText | None = Field(default=None, max_length=32)


class PostRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post: PostKind
    person: RequiredText = Field(max_length=100)
    phone: StorableText | None = Field(default=None, max_length=32)
    username: StorableText | None = Field(default=None, max_length=64)
    unit: StorableText | None = Field(default=None, max_length=32)
    zone: StorableText | None = Field(default=None, max_length=64)
    starts_on: date
    ends_on: date | None = None


@dataclass
class ParsedUnit:
    props: UnitFeature
    geometry: BaseGeometry | None
    label: str


@dataclass
class ParsedZone:
    props: ZoneFeature
    geometry: BaseGeometry | None


@dataclass
class ParsedPlace:
    props: PlaceFeature
    geometry: BaseGeometry


@dataclass
class MapFile:
    units: list[ParsedUnit] = field(default_factory=list)
    zones: list[ParsedZone] = field(default_factory=list)
    places: list[ParsedPlace] = field(default_factory=list)


@dataclass(frozen=True)
class MapImportResult:
    units_added: int
    units_updated: int
    units_retired: int
    zones: int
    places: int
    lineage: int


def _pydantic_problems(where: str, exc: ValidationError) -> list[Problem]:
    return [Problem(where, f"{'.'.join(str(p) for p in e['loc']) or '属性'}：{e['msg']}") for e in exc.errors()]


def read_map(path: Path, *, max_bytes: int = DEFAULT_MAX_MAP_BYTES, encoding: str | None = None) -> MapFile:
    """Parse and check a jurisdiction file — GeoJSON, or CSV with WKT geometries (by its suffix).
    Raises MapImportError naming every problem."""
    size = path.stat().st_size
    if size > max_bytes:
        raise MapImportError([Problem(path.name, f"文件 {size / 1048576:,.0f} MiB，超过 {max_bytes // 1048576} MiB "
                                                 "上限；请按街道拆分后分批导入")])
    raw = path.read_bytes()
    if path.suffix.lower() == ".csv":
        return parse_map(csv_to_geojson(decode_csv(raw, encoding=encoding)))
    try:
        document = json.loads(decode_csv(raw))
    except json.JSONDecodeError as exc:
        where = f"第 {exc.lineno} 行第 {exc.colno} 列"
        raise MapImportError([Problem(path.name, f"不是合法的 JSON：{where}，{exc.msg}")]) from None
    return parse_map(document)


def parse_map(document: Any) -> MapFile:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" or not isinstance(
            document.get("features"), list):
        raise MapImportError([Problem("文件", "应为 GeoJSON FeatureCollection")])
    parsed = MapFile()
    problems: list[Problem] = []
    for number, feature in enumerate(document["features"], start=1):
        where = f"要素 {number}"
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            problems.append(Problem(where, "缺少 properties"))
            continue
        props = feature["properties"]
        layer = props.get("layer")
        label = f"{where}（{props.get('name', '')} {props.get('code', '')}）".replace("（ ）", "")
        geometry = feature.get("geometry")
        try:
            if layer == "unit":
                unit = UnitFeature.model_validate(props)
                geom = _optional_geometry(geometry, _AREA_KINDS, label, problems)
                parsed.units.append(ParsedUnit(unit, geom, label))
            elif layer == "zone":
                zone = ZoneFeature.model_validate(props)
                allowed = {ZoneKind.WATER: _AREA_KINDS, ZoneKind.ROAD: {"LineString", "MultiLineString"},
                           ZoneKind.AREA: set()}[zone.kind]
                geom = _optional_geometry(geometry, allowed, label, problems)
                if zone.kind is not ZoneKind.AREA and geometry is None:
                    problems.append(Problem(label, "河湖和路段须有几何（面或线）"))
                parsed.zones.append(ParsedZone(zone, geom))
            elif layer == "place":
                place = PlaceFeature.model_validate(props)
                geom = _optional_geometry(geometry, {"Point", "LineString", "MultiLineString"}, label, problems)
                if geom is not None:
                    parsed.places.append(ParsedPlace(place, geom))
                elif geometry is None:
                    problems.append(Problem(label, "地名须有位置（点或线）"))
            else:
                problems.append(Problem(label, f"properties.layer 应为 unit、zone 或 place，而不是 {layer!r}"))
        except ValidationError as exc:
            problems.extend(_pydantic_problems(label, exc))
    if problems:
        raise MapImportError(problems)
    return parsed


def _optional_geometry(geometry: Any, allowed: set[str], label: str, problems: list[Problem]) -> BaseGeometry | None:
    if geometry is None:
        return None
    if not allowed:
        problems.append(Problem(label, "此类要素不应带几何（片区的范围是其社区的合并）"))
        return None
    geom, problem = geometry_problem(geometry, allowed)
    if problem:
        problems.append(Problem(label, problem))
    return geom


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


# --- people ---------------------------------------------------------------------------------------------


def decode_csv(raw: bytes, *, encoding: str | None = None) -> str:
    """The file's text (see ``decode_text_file``), its encoding problem reported like the map's others."""
    try:
        return decode_text_file(raw, encoding=encoding)
    except InvalidInput as exc:
        raise MapImportError([Problem("文件", exc.message)]) from None


def parse_posts(text: str) -> list[tuple[int, PostRow]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("post", "person", "starts_on") if c not in (reader.fieldnames or [])]
    if missing:
        raise MapImportError([Problem("表头", f"缺少列 {'、'.join(missing)}（应有 {','.join(POST_COLUMNS)}）")])
    # DictReader counts physical lines: the header is line 1, so a row's number is its line in the file.
    return parse_post_rows((reader.line_num, row) for row in reader)


def parse_post_rows(rows: Iterable[tuple[int, Mapping[str, Any]]]) -> list[tuple[int, PostRow]]:
    """Validate the people rows (line number, column → text); raises MapImportError naming every bad row."""
    parsed: list[tuple[int, PostRow]] = []
    problems: list[Problem] = []
    for line, row in rows:
        values = {k: (v.strip() or None) for k, v in row.items() if k in POST_COLUMNS and isinstance(v, str)}
        try:
            parsed.append((line, PostRow.model_validate(values)))
        except ValidationError as exc:
            problems.extend(_pydantic_problems(f"第 {line} 行", exc))
    if problems:
        raise MapImportError(problems)
    return parsed


def import_posts(db: Database, rows: Sequence[tuple[int, PostRow]], *, replace: bool = False) -> int:
    """Write the people on duty in one transaction (or nothing); returns how many posts were added or changed."""
    with db.transaction() as session:
        return write_posts(session, rows, replace=replace)


def write_posts(session: Session, rows: Sequence[tuple[int, PostRow]], *, replace: bool = False) -> int:
    """Write the people on duty in the caller's transaction; an exact repeat of a post is not added twice.

    With ``replace`` the posts the file does not list are removed first (the file is the whole roster).
    Raises MapImportError, before writing anything, when a row names an unknown grid, zone or account.
    """
    units = {u.code: u for u in session.scalars(select(Unit))}
    zones = {z.code: z for z in session.scalars(select(Zone))}
    users = {u.username: u for u in session.scalars(select(User))}
    problems: list[Problem] = []
    for line, row in rows:
        problems.extend(_post_problems(f"第 {line} 行", row, units, zones, users))
    if problems:
        raise MapImportError(problems)
    if replace:
        session.execute(delete(Post))
    existing = {_post_key(p.kind, p.person, p.unit_id, p.zone_id, p.starts_on): p
                for p in session.scalars(select(Post))}
    written = 0
    for _, row in rows:
        unit = units.get(row.unit) if row.unit else None
        zone = zones.get(row.zone) if row.zone else None
        user = users.get(row.username) if row.username else None
        key = _post_key(row.post, row.person, unit.id if unit else None, zone.id if zone else None, row.starts_on)
        post = existing.get(key)
        if post is None:
            post = Post(kind=row.post, person=row.person, unit_id=unit.id if unit else None,
                        zone_id=zone.id if zone else None, starts_on=row.starts_on)
            session.add(post)
            existing[key] = post
        elif (post.ends_on, post.phone, post.user_id) == (row.ends_on, row.phone, user.id if user else None):
            continue
        # The same post listed again ends it (ends_on) or corrects the phone or the account.
        post.ends_on, post.phone, post.user_id = row.ends_on, row.phone, user.id if user else None
        written += 1
    session.flush()
    return written


def _post_key(kind: PostKind, person: str, unit_id: int | None, zone_id: int | None,
              starts_on: date) -> tuple[str, str, int | None, int | None, date]:
    return kind.value, person, unit_id, zone_id, starts_on


def _post_problems(where: str, row: PostRow, units: dict[str, Unit], zones: dict[str, Zone],
                   users: dict[str, User]) -> Iterable[Problem]:
    grid_post = row.post in (PostKind.GRID_CHIEF, PostKind.GRID_WORKER)
    if grid_post:
        unit = units.get(row.unit or "")
        if unit is None or unit.kind is not UnitKind.GRID:
            yield Problem(where, f"网格 {row.unit or '（空）'} 不存在")
    else:
        zone = zones.get(row.zone or "")
        if zone is None:
            yield Problem(where, f"片区/河湖/路段 {row.zone or '（空）'} 不存在")
        elif POST_FOR_ZONE[zone.kind] is not row.post:
            yield Problem(where, f"{row.zone} 不是此职务对应的责任区")
    if row.username and row.username not in users:
        yield Problem(where, f"账号 {row.username} 不存在")
    if row.ends_on is not None and row.ends_on < row.starts_on:
        yield Problem(where, "离任日期早于到任日期")


# --- export ---------------------------------------------------------------------------------------------


def export_map(session: Session, *, include_retired: bool = False) -> dict[str, Any]:
    """The map as the importer reads it (units, zones, places), parents before children."""
    features: list[dict[str, Any]] = []
    for unit in session.scalars(select(Unit).options(undefer(Unit.geometry)).order_by(Unit.path)):
        if unit.valid_to is not None and not include_retired:
            continue
        props: dict[str, Any] = {"layer": "unit", "code": unit.code, "name": unit.name, "kind": unit.kind.value,
                                 "parent": unit.parent.code if unit.parent else None}
        for key in ("number_prefix", "households", "staff_posts", "staff_filled"):
            if getattr(unit, key) is not None:
                props[key] = getattr(unit, key)
        if unit.grid_kind is not None:
            props["grid_kind"] = unit.grid_kind.value
        if unit.valid_from is not None:
            props["valid_from"] = unit.valid_from.isoformat()
        features.append({"type": "Feature", "properties": props, "geometry": unit.geometry})
    for zone in session.scalars(select(Zone).options(selectinload(Zone.members)).order_by(Zone.code)):
        zone_props: dict[str, Any] = {"layer": "zone", "code": zone.code, "name": zone.name, "kind": zone.kind.value,
                                      "buffer_m": zone.buffer_m}
        if zone.members:
            zone_props["communities"] = [m.unit.code for m in zone.members]
        features.append({"type": "Feature", "properties": zone_props, "geometry": zone.geometry})
    for place in session.scalars(select(Place).options(selectinload(Place.unit)).order_by(Place.id)):
        place_props: dict[str, Any] = {"layer": "place", "name": place.name, "kind": place.kind.value,
                                       "aliases": list(place.aliases or [])}
        if place.unit is not None:
            place_props["unit"] = place.unit.code
        features.append({"type": "Feature", "properties": place_props, "geometry": place.geometry})
    return {"type": "FeatureCollection", "features": features}


# One CSV row per feature: the properties as columns, lists joined by "|", the geometry as WKT.
MAP_CSV_COLUMNS = ("layer", "code", "name", "kind", "parent", "number_prefix", "households", "grid_kind",
                   "staff_posts", "staff_filled", "valid_from", "buffer_m", "communities", "aliases", "unit",
                   "geometry")
_CSV_LISTS = {"communities", "aliases"}
_CSV_NUMBERS = {"households", "staff_posts", "staff_filled", "buffer_m"}


def csv_to_geojson(text: str) -> dict[str, Any]:
    """A map CSV as the FeatureCollection the importer checks. Raises MapImportError for unreadable rows."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("layer", "name", "kind", "geometry") if c not in (reader.fieldnames or [])]
    if missing:
        raise MapImportError([Problem("表头", f"缺少列 {'、'.join(missing)}（应有 {','.join(MAP_CSV_COLUMNS)}）")])
    features: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for row in reader:
        where = f"第 {reader.line_num} 行"
        props: dict[str, Any] = {}
        for column, value in row.items():
            if column not in MAP_CSV_COLUMNS or column == "geometry" or not isinstance(value, str) or not value.strip():
                continue
            value = value.strip()
            if column in _CSV_LISTS:
                props[column] = [v.strip() for v in value.split("|") if v.strip()]
            elif column in _CSV_NUMBERS:
                try:
                    number = float(value)
                except ValueError:
                    problems.append(Problem(where, f"{column} 应为数字，而不是 \"{value}\""))
                    continue
                props[column] = int(number) if number.is_integer() and column != "buffer_m" else number
            else:
                props[column] = value
        wkt = (row.get("geometry") or "").strip()
        geometry = None
        if wkt:
            try:
                geometry = dict(mapping(shapely.from_wkt(wkt)))
            except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
                problems.append(Problem(where, f"geometry 不是合法的 WKT：{exc}"))
                continue
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    if problems:
        raise MapImportError(problems)
    return {"type": "FeatureCollection", "features": features}


def geojson_to_csv(document: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MAP_CSV_COLUMNS)
    for feature in document["features"]:
        props = feature["properties"]
        row = []
        for column in MAP_CSV_COLUMNS[:-1]:
            value = props.get(column)
            row.append("|".join(value) if isinstance(value, list) else "" if value is None else str(value))
        geometry = feature.get("geometry")
        row.append(shape(geometry).wkt if geometry else "")
        writer.writerow(row)
    return out.getvalue()


def export_posts(session: Session) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(POST_COLUMNS)
    for post in session.scalars(select(Post).order_by(Post.id)):
        writer.writerow([post.kind.value, post.person, post.phone or "", post.user.username if post.user else "",
                         post.unit.code if post.unit else "", post.zone.code if post.zone else "",
                         post.starts_on.isoformat(), post.ends_on.isoformat() if post.ends_on else ""])
    return out.getvalue()
