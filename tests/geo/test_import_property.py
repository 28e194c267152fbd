"""Whatever jurisdiction file an administrator imports — any JSON, any CSV with WKT, the small city with any
feature changed, dropped or repeated — it is read into a map or refused with every problem named, and a refused
map writes nothing."""

from __future__ import annotations

import copy
import csv
import io
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from minhu.core.db import Database
from minhu.geo.models import Place, Post, Zone
from minhu.geo.transfer.geojson import parse_map, read_map
from minhu.geo.transfer.mapfile import MapFile, MapImportError
from minhu.geo.transfer.people import parse_posts
from minhu.geo.transfer.wkt_csv import MAP_CSV_COLUMNS
from minhu.geo.transfer.write import import_map
from minhu.org.models import Unit
from tests.geo import mapdata

PROPERTIES = ("layer", "code", "name", "kind", "parent", "number_prefix", "households", "grid_kind", "staff_posts",
              "staff_filled", "valid_from", "buffer_m", "communities", "aliases", "unit")
CODES = (mapdata.DISTRICT, mapdata.S1, mapdata.S2, mapdata.C1, mapdata.C2, mapdata.C3, mapdata.G1, mapdata.G2,
         mapdata.G3, mapdata.ROAD, mapdata.LAKE, mapdata.AREA, "420199009")
KINDS = ("district", "street", "community", "grid", "water", "road", "area", "estate", "landmark", "building")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.sampled_from(CODES + KINDS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)
positions = st.lists(st.floats() | st.integers() | st.sampled_from([114.31, 30.55, 181, -91]) | json_values,
                     max_size=4)
coordinates = st.recursive(positions, lambda inner: st.lists(inner, max_size=5), max_leaves=30)
geometries = st.one_of(
    json_values,
    st.fixed_dictionaries({"type": st.sampled_from(["Point", "LineString", "MultiLineString", "Polygon",
                                                    "MultiPolygon", "GeometryCollection"]),
                           "coordinates": coordinates}),
    st.builds(mapdata.box, *(st.floats(114.29, 114.35) if i % 2 == 0 else st.floats(30.53, 30.59) for i in range(4))),
    st.just({"type": "Polygon", "coordinates": [[[114.30, 30.54], [114.32, 30.56], [114.32, 30.54],
                                                  [114.30, 30.56], [114.30, 30.54]]]}),  # a bow tie
)
properties = st.fixed_dictionaries({"layer": st.sampled_from(["unit", "zone", "place", "road"])},
                                   optional={name: json_values for name in PROPERTIES if name != "layer"})
features = st.one_of(st.fixed_dictionaries({"type": st.just("Feature"), "properties": properties,
                                            "geometry": geometries}), json_values)
documents = st.one_of(json_values, st.fixed_dictionaries({"type": st.just("FeatureCollection"),
                                                          "features": st.lists(features, max_size=5)}))

FAST = settings(max_examples=150, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])


def parsed_or_refused(document: Any) -> MapFile | MapImportError:
    try:
        return parse_map(document)
    except MapImportError as refused:
        return refused


def assert_named(refused: MapImportError) -> None:
    assert refused.status == 422
    assert refused.problems
    assert all(p.where and p.message for p in refused.problems)


@given(document=documents)
@FAST
def test_any_json_is_read_into_a_map_or_refused_with_every_problem_named(document):
    result = parsed_or_refused(document)
    if isinstance(result, MapImportError):
        assert_named(result)
    else:
        assert len(result.units) + len(result.zones) + len(result.places) <= len(document["features"])


wkt = st.one_of(
    st.builds("{} ({})".format, st.sampled_from(["POINT", "LINESTRING", "POLYGON", "MULTIPOLYGON", "POINT Z",
                                                 "GEOMETRYCOLLECTION", "POLYGON EMPTY", "CIRCLE"]),
              st.text(alphabet="0123456789.,() -eEnaif", max_size=40)),
    st.text(max_size=20))


@given(rows=st.lists(st.lists(st.sampled_from(CODES + KINDS) | st.text(max_size=8) | wkt,
                              min_size=len(MAP_CSV_COLUMNS) - 2, max_size=len(MAP_CSV_COLUMNS) + 1), max_size=4),
       line_end=st.sampled_from(["\n", "\r\n", "\r"]))
@settings(FAST, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_any_map_csv_is_read_into_a_map_or_refused_with_every_problem_named(tmp_path, rows, line_end):
    out = io.StringIO()
    csv.writer(out, lineterminator=line_end).writerows([MAP_CSV_COLUMNS, *rows])
    path = tmp_path / "map.csv"
    path.write_bytes(out.getvalue().encode("utf-8", errors="replace"))
    try:
        read_map(path)
    except MapImportError as refused:
        assert_named(refused)


@given(text=st.text(max_size=300), line_end=st.sampled_from(["\n", "\r\n", "\r"]))
@FAST
def test_any_people_csv_is_read_or_refused_with_every_problem_named(text, line_end):
    roster = (mapdata.POSTS_CSV + text).replace("\n", line_end)
    try:
        parse_posts(roster)
    except MapImportError as refused:
        assert_named(refused)


# Mostly what a file of the city would say (another code, kind or parent, a box moved), at times anything.
plausible_values = st.one_of(st.sampled_from(CODES + KINDS), st.none(), st.integers(0, 1000), json_values)
boxes = st.builds(mapdata.box, st.floats(114.29, 114.33), st.floats(30.53, 30.57), st.floats(114.31, 114.35),
                  st.floats(30.55, 30.59))
plausible_geometries = st.one_of(boxes, boxes, st.none(), geometries)


@st.composite
def changed_cities(draw: st.DrawFn) -> dict[str, Any]:
    """The small city with a few features changed: a property set to anything, a geometry replaced, a feature
    dropped or repeated."""
    document = mapdata.small_city()
    for _ in range(draw(st.integers(1, 3))):
        features = document["features"]
        at = draw(st.integers(0, len(features) - 1))
        change = draw(st.sampled_from(["property", "geometry", "drop", "repeat"]))
        if change == "property":
            features[at]["properties"][draw(st.sampled_from(PROPERTIES))] = draw(plausible_values)
        elif change == "geometry":
            features[at]["geometry"] = draw(plausible_geometries)
        elif change == "drop":
            features.pop(at)
        else:
            features.append(copy.deepcopy(features[at]))
    return document


def counts(db: Database) -> tuple[int, ...]:
    with db.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) or 0
                     for model in (Unit, Zone, Place, Post))


@given(document=changed_cities(), replace=st.booleans())
@settings(max_examples=30, deadline=timedelta(seconds=10),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_a_changed_city_is_imported_or_refused_and_a_refused_one_writes_nothing(db, document, replace):
    # The examples follow one another on one database: each imports over whatever the last one left.
    before = counts(db)
    parsed = parsed_or_refused(document)
    if isinstance(parsed, MapImportError):
        assert_named(parsed)
        return
    try:
        result = import_map(db, parsed, replace=replace)
    except MapImportError as refused:
        assert_named(refused)
        assert counts(db) == before
    else:
        assert result.units_added + result.units_updated <= len(parsed.units)
