"""The jurisdiction as CSV: one row per feature, the properties as columns, lists joined by "|", the
geometry as WKT. It converts to and from the GeoJSON document the importer checks.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import shapely
from shapely.geometry import mapping, shape

from minhu.geo.checks import Problem
from minhu.geo.transfer.mapfile import MapImportError, read_csv

MAP_CSV_COLUMNS = ("layer", "code", "name", "kind", "parent", "number_prefix", "households", "grid_kind",
                   "staff_posts", "staff_filled", "valid_from", "buffer_m", "communities", "aliases", "unit",
                   "geometry")
_CSV_LISTS = {"communities", "aliases"}
_CSV_NUMBERS = {"households", "staff_posts", "staff_filled", "buffer_m"}


def csv_to_geojson(text: str) -> dict[str, Any]:
    """A map CSV as the FeatureCollection the importer checks. Raises MapImportError for unreadable rows."""
    header, rows, problems = read_csv(text)
    missing = [c for c in ("layer", "name", "kind", "geometry") if c not in header]
    if missing:
        raise MapImportError([Problem("表头", f"缺少列 {'、'.join(missing)}（应有 {','.join(MAP_CSV_COLUMNS)}）")])
    features: list[dict[str, Any]] = []
    for line, row in rows:
        where = f"第 {line} 行"
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
