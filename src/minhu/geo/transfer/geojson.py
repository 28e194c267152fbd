"""The jurisdiction as a GeoJSON FeatureCollection (docs/map-format.md): read a file (or its CSV form), parse
and check each feature, and export the map in the same shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, undefer

from minhu.geo.checks import Problem, geometry_problem
from minhu.geo.models import (
    Place,
    Zone,
    ZoneKind,
)
from minhu.geo.transfer.mapfile import (
    MapFile,
    MapImportError,
    ParsedPlace,
    ParsedUnit,
    ParsedZone,
    PlaceFeature,
    UnitFeature,
    ZoneFeature,
    decode_csv,
    pydantic_problems,
)
from minhu.geo.transfer.wkt_csv import csv_to_geojson
from minhu.org.models import Unit

DEFAULT_MAX_MAP_BYTES = 64 * 1024 * 1024
_AREA_KINDS = {"Polygon", "MultiPolygon"}


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
            problems.extend(pydantic_problems(label, exc))
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
