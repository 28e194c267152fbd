"""Importing the jurisdiction: every problem named, nothing half-written; re-gridding keeps history."""

import copy
import json

import pytest
from sqlalchemy import func, select

from minhu.core import clock
from minhu.geo import service
from minhu.geo.models import Place, Post, UnitLineage, Zone
from minhu.geo.transfer.geojson import export_map, parse_map, read_map
from minhu.geo.transfer.mapfile import MapImportError, decode_csv
from minhu.geo.transfer.people import import_posts, parse_posts
from minhu.geo.transfer.wkt_csv import geojson_to_csv
from minhu.geo.transfer.write import import_map
from minhu.orders.models import WorkOrder
from minhu.org.models import Unit
from tests.factories import make_order
from tests.geo import mapdata
from tests.geo.mapdata import C1, G1, G2, box, unit


def count(db, model):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def refused(db, document) -> MapImportError:
    before = (count(db, Unit), count(db, Zone), count(db, Place))
    with pytest.raises(MapImportError) as caught:
        import_map(db, parse_map(document))
    assert (count(db, Unit), count(db, Zone), count(db, Place)) == before, "a refused map writes nothing"
    return caught.value


def with_feature(code, **changes):
    document = mapdata.small_city()
    for feature in document["features"]:
        if feature["properties"].get("code") == code:
            feature.update(changes)
    return document


def test_the_small_city_imports_and_exports_back_the_same(db):
    result = import_map(db, parse_map(mapdata.small_city()))
    assert (result.units_added, result.zones, result.places) == (9, 3, 4)
    with db.read() as s:
        exported = export_map(s)
    again = import_map(db, parse_map(exported))
    assert (again.units_added, again.units_updated) == (0, 9)
    with db.read() as s:
        assert export_map(s) == exported


def test_a_self_intersecting_polygon_is_named(db):
    bowtie = {"type": "Polygon", "coordinates": [[[114.30, 30.54], [114.31, 30.56], [114.31, 30.54],
                                                  [114.30, 30.56], [114.30, 30.54]]]}
    error = refused(db, with_feature(G1, geometry=bowtie))
    assert "和平社区1网格" in error.message
    assert "自相交" in error.message


def test_a_grid_outside_its_community_overlaps_and_gaps_are_reported_together(db):
    document = mapdata.small_city()
    for feature in document["features"]:
        if feature["properties"].get("code") == G2:
            # Grid 2 now spills 500 m east into the other street, over grid 1, and leaves a gap.
            feature["geometry"] = box(114.305, 30.55, 114.325, 30.56)
    error = refused(db, document)
    messages = " ".join(p.message for p in error.problems)
    assert "超出所属社区" in messages
    assert "重叠" in messages
    assert "缝隙" in messages


@pytest.mark.parametrize(("position", "expected"), [
    (["114.30", "30.54"], "应为数字"),
    ([float("nan"), 30.54], "NaN"),
    ([30.54, 114.30], "颠倒"),
    ([114.30, 95.0], "超出"),
])
def test_coordinates_that_are_not_coordinates_are_named(db, position, expected):
    geometry = {"type": "Polygon", "coordinates": [[position, [114.31, 30.54], [114.31, 30.56], [114.30, 30.56],
                                                    position]]}
    error = refused(db, json.loads(json.dumps(with_feature(G1, geometry=geometry))))
    assert expected in error.message


def test_unknown_parents_and_bad_attributes_are_named(db):
    document = mapdata.small_city()
    document["features"].append(unit("420199009001001", "孤儿网格", "grid", "420199009001", box(1, 1, 2, 2)))
    document["features"].append(unit("X1", "某单位", "province", None, None))
    with pytest.raises(MapImportError) as caught:
        parse_map(document)
    assert any("kind" in p.message for p in caught.value.problems)
    document["features"].pop()
    error = refused(db, document)
    assert "上级单位 420199009001 既不在文件中，也不在系统中" in error.message


def test_a_file_over_the_size_limit_or_not_json_is_refused_before_parsing(tmp_path):
    path = tmp_path / "map.geojson"
    path.write_text(json.dumps(mapdata.small_city(), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(MapImportError, match="MiB 上限"):
        read_map(path, max_bytes=1024)
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(MapImportError, match="不是合法的 JSON"):
        read_map(path)


def test_a_gb18030_people_file_is_named_as_such_and_read_when_asked(db):
    import_map(db, parse_map(mapdata.small_city()))
    raw = mapdata.POSTS_CSV.encode("gb18030")
    with pytest.raises(MapImportError, match="GB18030"):
        decode_csv(raw)
    rows = parse_posts(decode_csv(raw, encoding="gb18030"))
    assert import_posts(db, rows) == 6
    assert import_posts(db, rows) == 0, "importing the same roster twice adds nobody"


def test_a_people_file_naming_unknown_grids_writes_nobody(db):
    import_map(db, parse_map(mapdata.small_city()))
    text = mapdata.POSTS_CSV + "grid_worker,钱多,13800000009,,420199001001099,,2025-01-01,\n"
    with pytest.raises(MapImportError, match="第 8 行") as caught:
        import_posts(db, parse_posts(text))
    assert "网格 420199001001099 不存在" in caught.value.message
    assert count(db, Post) == 0


def test_regridding_keeps_old_orders_on_their_grid_and_records_the_merge(db, world):
    import_map(db, parse_map(mapdata.small_city()))
    before = make_order(db, world, latitude=30.545, longitude=114.315)
    assert before.grid_id is not None
    merged = copy.deepcopy(mapdata.small_city())
    merged["features"] = [f for f in merged["features"] if f["properties"].get("code") not in (G1, G2)]
    merged["features"].append(unit("420199001001003", "和平社区合并网格", "grid", C1, box(114.30, 30.54, 114.32, 30.56),
                                   households=1000))
    today = clock.city_now().date()
    result = import_map(db, parse_map(merged), replace=True, on=today)
    assert (result.units_retired, result.lineage) == (2, 2)
    with db.read() as s:
        old_grid = s.scalars(select(Unit).where(Unit.code == G2)).one()
        assert old_grid.valid_to == today
        assert not old_grid.active
        kept = s.scalars(select(WorkOrder).where(WorkOrder.id == before.id)).one()
        assert kept.grid_id == old_grid.id, "the old order stays on the grid it was reported in"
        lineage = s.scalars(select(UnitLineage).order_by(UnitLineage.id)).all()
        assert {(line.from_unit.code, line.to_unit.code, line.change.value) for line in lineage} == {
            (G1, "420199001001003", "merge"), (G2, "420199001001003", "merge")}
        # Statistics re-cut on today's grids: the same point now falls in the merged grid.
        assert service.locate(s, 114.315, 30.545).grid.code == "420199001001003"
    after = make_order(db, world, latitude=30.545, longitude=114.315)
    assert after.grid_id != before.grid_id


def test_a_place_name_of_punctuation_only_is_refused(db):
    document = mapdata.small_city()
    document["features"].append(mapdata.place("——", "landmark", 114.305, 30.545, None))
    with pytest.raises(MapImportError, match="为空"):
        parse_map(document)


def test_a_cell_under_the_wrong_kind_of_parent_is_refused(db):
    document = mapdata.small_city()
    corner = box(114.30, 30.54, 114.301, 30.541)
    document["features"].append(unit("420199001009", "街下之网格", "grid", mapdata.S1, corner))
    error = refused(db, document)
    assert "网格的上级应是社区" in error.message


def test_replacing_a_community_retires_its_grids_and_asks_for_its_area(db, world):
    import_map(db, parse_map(mapdata.small_city()))
    renamed = copy.deepcopy(mapdata.small_city())
    renamed["features"] = [f for f in renamed["features"]
                           if f["properties"].get("code") not in (C1, G1, G2)
                           and f["properties"].get("layer") != "place"]
    renamed["features"].append(unit("420199001003", "新和平社区", "community", mapdata.S1,
                                    box(114.30, 30.54, 114.32, 30.56)))
    # The area still lists the old community: refused, with the reason.
    for feature in renamed["features"]:
        if feature["properties"].get("code") == mapdata.AREA:
            feature["properties"]["communities"] = [C1, mapdata.C2]
    assert "将退出使用" in refused_with_replace(db, renamed).message
    for feature in renamed["features"]:
        if feature["properties"].get("code") == mapdata.AREA:
            feature["properties"]["communities"] = ["420199001003", mapdata.C2]
    result = import_map(db, parse_map(renamed), replace=True)
    assert result.units_retired == 3  # the community and both of its grids
    with db.read() as s:
        found = service.locate(s, 114.305, 30.545)
        assert (found.community.code, found.grid) == ("420199001003", None)
        assert mapdata.AREA in {z.code for z in found.zones}


def refused_with_replace(db, document) -> MapImportError:
    with pytest.raises(MapImportError) as caught:
        import_map(db, parse_map(document), replace=True)
    return caught.value


def test_listing_a_post_again_with_an_end_date_ends_it(db):
    import_map(db, parse_map(mapdata.small_city()))
    import_posts(db, parse_posts(mapdata.POSTS_CSV))
    ended = mapdata.POSTS_CSV.replace("grid_worker,李娜,13800000001,,420199001001001,,2025-01-01,",
                                      "grid_worker,李娜,13800000001,,420199001001001,,2025-01-01,2025-06-30")
    assert import_posts(db, parse_posts(ended)) == 1
    with db.read() as s:
        people = {p.person for p in service.people_on_duty(s, service.locate(s, 114.305, 30.545))}
    assert "李娜" not in people
    assert "王芳" in people


def test_the_map_travels_as_csv_with_wkt_and_comes_back_the_same(db, tmp_path):
    import_map(db, parse_map(mapdata.small_city()))
    with db.read() as s:
        exported = export_map(s)
    path = tmp_path / "map.csv"
    path.write_text(geojson_to_csv(exported), encoding="utf-8")
    again = import_map(db, read_map(path))
    assert (again.units_added, again.units_updated, again.zones, again.places) == (0, 9, 3, 4)
    with db.read() as s:
        assert export_map(s) == exported
    broken = path.read_text(encoding="utf-8").replace("POLYGON ((114.3 30.54", "POLYGON ((114.3 30.54 oops", 1)
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(MapImportError, match="不是合法的 WKT"):
        read_map(path)


def test_files_with_carriage_return_line_ends_read_like_the_others(tmp_path):
    # Old Mac tools end lines with a lone carriage return: the csv module refused such a file with a traceback.
    unix, mac = tmp_path / "map.csv", tmp_path / "mac.csv"
    text = geojson_to_csv(mapdata.small_city())
    unix.write_bytes(text.encode("utf-8"))
    mac.write_bytes(text.replace("\n", "\r").encode("utf-8"))

    assert read_map(mac) == read_map(unix)
    assert parse_posts(mapdata.POSTS_CSV.replace("\n", "\r")) == parse_posts(mapdata.POSTS_CSV)
