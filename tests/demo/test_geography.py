"""The demo city's geography: 武昌区 as the map importer will read it (docs/map-format.md)."""

import csv
import json
import math
import re
from collections import Counter, defaultdict
from datetime import date
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from minhu.demo.geography import demo_map, demo_posts

UNIT_KINDS = {"city", "district", "street", "community", "grid", "centre", "department", "office", "enforcement",
              "property", "committee"}
GRID_KINDS = {"residential", "commercial", "construction", "other"}
CHIEF_ZONE_KIND = {"area_chief": "area", "river_chief": "water", "road_chief": "road"}
# Floating-point noise in square degrees: 1e-12 deg² is about 100 cm².
NOISE = 1e-12


@pytest.fixture(scope="module")
def city() -> dict[str, Any]:
    return demo_map()


@pytest.fixture(scope="module")
def posts() -> list[dict[str, str]]:
    return demo_posts()


@pytest.fixture(scope="module")
def units(city) -> dict[str, dict[str, Any]]:
    return {f["properties"]["code"]: f for f in city["features"] if f["properties"]["layer"] == "unit"}


@pytest.fixture(scope="module")
def zones(city) -> dict[str, dict[str, Any]]:
    return {f["properties"]["code"]: f for f in city["features"] if f["properties"]["layer"] == "zone"}


@pytest.fixture(scope="module")
def places(city) -> list[dict[str, Any]]:
    return [f for f in city["features"] if f["properties"]["layer"] == "place"]


def _children(units, parent: str, kind: str) -> list[dict[str, Any]]:
    return [u for u in units.values() if u["properties"].get("parent") == parent and u["properties"]["kind"] == kind]


def _kind(units, kind: str) -> list[dict[str, Any]]:
    return [u for u in units.values() if u["properties"]["kind"] == kind]


def test_the_same_city_on_every_call(city, posts):
    again = demo_map()
    assert again == city
    assert json.dumps(again, ensure_ascii=False, sort_keys=True) == json.dumps(city, ensure_ascii=False, sort_keys=True)
    assert demo_posts() == posts


def test_the_map_is_plain_json_with_six_decimal_coordinates(city):
    text = json.dumps(city, ensure_ascii=False)
    assert json.loads(text) == city
    assert city["type"] == "FeatureCollection"
    numbers = re.findall(r"-?\d+\.\d+", json.dumps([f["geometry"] for f in city["features"]]))
    assert numbers
    assert max(len(n.split(".")[1]) for n in numbers) <= 6


def test_jiyuqiao_has_its_real_figures(units):
    assert units["420106001"]["properties"]["name"] == "积玉桥街"
    communities = _children(units, "420106001", "community")
    assert [c["properties"]["name"] for c in communities] == [
        "和平社区", "积玉桥社区", "临江社区", "复兴社区", "得胜社区", "滨江社区",
        "团结社区", "中山社区", "东亭社区", "锦江社区", "文昌社区", "万达社区"]
    assert [c["properties"]["code"] for c in communities] == [f"420106001{n:03d}" for n in range(1, 13)]
    grids = [g for c in communities for g in _children(units, c["properties"]["code"], "grid")]
    assert len(grids) == 81
    assert sum(g["properties"]["households"] for g in grids) == 42_842
    assert sum(c["properties"]["staff_posts"] for c in communities) == 153
    assert sum(c["properties"]["staff_filled"] for c in communities) == 121
    first = units["420106001001001"]["properties"]
    assert (first["name"], first["kind"], first["parent"]) == ("和平社区1网格", "grid", "420106001001")


def test_the_district_its_centre_departments_and_streets(units):
    district = units["420106"]["properties"]
    assert (district["name"], district["kind"], district["number_prefix"]) == ("武昌区", "district", "WC")
    assert "parent" not in district
    centre = units["420106-C"]
    assert (centre["properties"]["name"], centre["properties"]["kind"], centre["geometry"]) == (
        "武昌区12345指挥中心", "centre", None)
    departments = {u["properties"]["code"]: u["properties"]["name"] for u in _kind(units, "department")}
    assert departments == {
        "420106-D-城管": "区城管执法局", "420106-D-住建": "区住房和城市更新局", "420106-D-市监": "区市场监管局",
        "420106-D-环保": "区生态环境分局", "420106-D-交管": "区交通大队", "420106-D-水务": "区水务和湖泊局",
        "420106-D-人社": "区人力资源和社会保障局", "420106-D-教育": "区教育局", "420106-D-卫健": "区卫生健康局",
        "420106-D-房管": "区房管局", "420106-D-公安": "区公安分局", "420106-D-应急": "区应急管理局",
        "420106-D-消防": "区消防救援大队", "420106-D-民政": "区民政局", "420106-D-交通": "区交通运输局",
        "420106-D-文旅": "区文化和旅游局", "420106-D-规划": "区自然资源和规划局", "420106-D-医保": "区医疗保障局"}
    streets = [u["properties"]["name"] for u in _kind(units, "street")]
    assert streets == ["积玉桥街", "杨园街", "徐家棚街", "粮道街", "中华路街", "黄鹤楼街", "紫阳街", "白沙洲街",
                       "首义路街", "中南路街", "水果湖街", "珞珈山街", "石洞街", "南湖街"]
    for n, street in enumerate(_kind(units, "street"), start=1):
        code = street["properties"]["code"]
        assert code == f"420106{n:03d}"
        enforcement = units[f"{code}-ZF"]["properties"]
        assert enforcement == {"layer": "unit", "code": f"{code}-ZF", "kind": "enforcement", "parent": code,
                               "name": f"{street['properties']['name']}综合执法中心"}


def test_unit_codes_are_unique_and_every_parent_comes_first(city, units):
    features = [f for f in city["features"] if f["properties"]["layer"] == "unit"]
    assert len(features) == len(units)
    seen: set[str] = set()
    for feature in features:
        props = feature["properties"]
        assert props["kind"] in UNIT_KINDS
        assert props.get("parent") is None or props["parent"] in seen, props["code"]
        seen.add(props["code"])
    names = [c["properties"]["name"] for c in _kind(units, "community")]
    assert len(names) == len(set(names))


def test_every_street_has_plausible_communities_and_grids(units):
    for street in _kind(units, "street"):
        communities = _children(units, street["properties"]["code"], "community")
        assert 6 <= len(communities) <= 14
        grids = [g for c in communities for g in _children(units, c["properties"]["code"], "grid")]
        assert 55 <= len(grids) <= 95
        for community in communities:
            props = community["properties"]
            assert re.fullmatch(r"\d{12}", props["code"])
            assert props["name"].endswith("社区")
            own = _children(units, props["code"], "grid")
            assert props["households"] == sum(g["properties"]["households"] for g in own)
            assert 0 < props["staff_filled"] <= props["staff_posts"]
            for n, grid in enumerate(own, start=1):
                assert grid["properties"]["code"] == f"{props['code']}{n:03d}"
                assert grid["properties"]["name"] == f"{props['name']}{n}网格"
                assert grid["properties"]["grid_kind"] in GRID_KINDS
    grids = _kind(units, "grid")
    kinds = Counter(g["properties"]["grid_kind"] for g in grids)
    assert kinds["residential"] > 0.7 * len(grids)
    assert min(kinds["commercial"], kinds["construction"], kinds["other"]) > 0
    homes = [g["properties"]["households"] for g in grids if g["properties"]["grid_kind"] == "residential"]
    assert 450 <= sum(homes) / len(homes) <= 600
    shops = [g["properties"]["households"] for g in grids if g["properties"]["grid_kind"] == "commercial"]
    assert max(shops) < min(homes) + 200


def _check_tiling(parent, children) -> None:
    outer = shape(parent["geometry"])
    parts = [shape(c["geometry"]) for c in children]
    name = parent["properties"]["name"]
    assert outer.is_valid, name
    assert all(p.is_valid and p.geom_type == "Polygon" for p in parts), name
    assert all(shapely.difference(p, outer).area < NOISE for p in parts), name
    union = shapely.union_all(parts)
    assert abs(union.area - outer.area) < 1e-3 * outer.area, name
    assert shapely.symmetric_difference(union, outer).area < 1e-3 * outer.area, name
    # Neighbours share edges, they do not overlap: what touches shares (next to) no area.
    tree = shapely.STRtree(parts)
    left, right = tree.query(parts, predicate="intersects")
    pairs = left < right
    overlaps = shapely.area(shapely.intersection(tree.geometries[left[pairs]], tree.geometries[right[pairs]]))
    assert overlaps.max(initial=0.0) < NOISE, name


def test_streets_tile_the_district(units):
    _check_tiling(units["420106"], _kind(units, "street"))


def test_communities_tile_their_street(units):
    for street in _kind(units, "street"):
        _check_tiling(street, _children(units, street["properties"]["code"], "community"))


def test_grids_tile_their_community(units):
    for community in _kind(units, "community"):
        _check_tiling(community, _children(units, community["properties"]["code"], "grid"))


def test_the_district_lies_around_the_real_wuchang(units):
    district = shape(units["420106"]["geometry"])
    centre = district.centroid
    assert abs(centre.y - 30.55) * 111 < 3
    assert abs(centre.x - 114.31) * 111 * math.cos(math.radians(30.55)) < 3
    minx, miny, maxx, maxy = district.bounds
    assert 9 < (maxy - miny) * 111 < 16
    assert 8 < (maxx - minx) * 96 < 13


def test_units_without_an_area_have_no_geometry(units):
    for kind in ("centre", "department", "enforcement", "committee"):
        assert all(u["geometry"] is None for u in _kind(units, kind)), kind


def test_property_companies_sit_inside_their_community(units):
    companies = _kind(units, "property")
    assert len(companies) >= 5
    for company in companies:
        props = company["properties"]
        parent = units[props["parent"]]
        assert parent["properties"]["kind"] == "community"
        assert props["code"].startswith(f"{props['parent']}-WY")
        plot = shape(company["geometry"])
        assert plot.is_valid
        assert plot.area > 0
        assert shapely.difference(plot, shape(parent["geometry"])).area < NOISE
    committees = _kind(units, "committee")
    assert len(committees) >= 3
    for committee in committees:
        props = committee["properties"]
        assert units[props["parent"]]["properties"]["kind"] == "community"
        assert props["code"].startswith(f"{props['parent']}-YWH")


def test_lakes_and_roads_are_where_they_should_be(units, zones):
    district = shape(units["420106"]["geometry"])
    water = {z["properties"]["name"]: shape(z["geometry"])
             for z in zones.values() if z["properties"]["kind"] == "water"}
    assert {"沙湖", "紫阳湖", "晒湖", "南湖", "东湖"} <= set(water)
    for name, lake in water.items():
        assert lake.is_valid, name
        assert lake.geom_type == "Polygon", name
        # Inside the district or along its edge (East Lake, the Yangtze).
        assert lake.distance(district) < 1e-6, name
    assert water["南湖"].area > 4 * water["紫阳湖"].area
    assert water["沙湖"].centroid.y > district.centroid.y
    assert water["南湖"].centroid.y < district.centroid.y
    assert water["东湖"].centroid.x > district.centroid.x
    roads = {z["properties"]["name"]: z for z in zones.values() if z["properties"]["kind"] == "road"}
    assert set(roads) == {"和平大道", "中山路", "武珞路", "中北路", "友谊大道", "徐东大街", "临江大道", "中南路",
                          "雄楚大道"}
    for name, road in roads.items():
        line = shape(road["geometry"])
        assert line.geom_type == "LineString", name
        assert district.contains(line), name
        assert road["properties"]["code"] == f"Z-R-{name}"


def test_every_street_is_split_into_areas(units, zones):
    areas = [z for z in zones.values() if z["properties"]["kind"] == "area"]
    for street in _kind(units, "street"):
        code = street["properties"]["code"]
        own = [z for z in areas if z["properties"]["code"].startswith(f"Z-A-{code}-")]
        assert 3 <= len(own) <= 4
        assert all(z["geometry"] is None for z in own)
        listed = [c for z in own for c in z["properties"]["communities"]]
        assert sorted(listed) == sorted(c["properties"]["code"] for c in _children(units, code, "community"))


def test_the_gazetteer_knows_every_street_community_and_road(units, zones, places):
    by_kind = defaultdict(list)
    for place in places:
        by_kind[place["properties"]["kind"]].append(place)
    assert {p["properties"]["name"] for p in by_kind["street"]} == {
        u["properties"]["name"] for u in _kind(units, "street")}
    assert {p["properties"]["name"] for p in by_kind["community"]} == {
        u["properties"]["name"] for u in _kind(units, "community")}
    assert {p["properties"]["name"] for p in by_kind["road"]} == {
        z["properties"]["name"] for z in zones.values() if z["properties"]["kind"] == "road"}
    assert len(by_kind["estate"]) >= 40
    assert len(by_kind["landmark"]) >= 20
    jiyuqiao = next(p for p in by_kind["street"] if p["properties"]["name"] == "积玉桥街")
    assert {"积玉桥街道", "积玉桥"} <= set(jiyuqiao["properties"]["aliases"])
    heping = next(p for p in by_kind["community"] if p["properties"]["name"] == "和平社区")
    assert heping["properties"]["aliases"] == ["和平"]
    whu = next(p for p in by_kind["landmark"] if p["properties"]["name"] == "武汉大学")
    assert whu["properties"]["aliases"] == ["武大"]


def test_every_alias_names_one_place(places):
    names = [p["properties"]["name"] for p in places]
    assert len(names) == len(set(names))
    aliases = [a for p in places for a in p["properties"].get("aliases", [])]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & set(names)


def test_every_place_lies_in_the_unit_it_names(units, places):
    for place in places:
        props = place["properties"]
        if props["kind"] == "road":
            continue
        unit = units[props["unit"]]
        assert shape(unit["geometry"]).covers(shape(place["geometry"])), props["name"]
        expected = {"street": "street", "community": "community", "estate": "community", "landmark": "grid"}
        assert unit["properties"]["kind"] == expected[props["kind"]], props["name"]


def test_landmarks_are_in_the_right_part_of_town(units, places):
    def street_of(name: str) -> str:
        place = next(p for p in places if p["properties"]["name"] == name)
        return str(units[place["properties"]["unit"][:9]]["properties"]["name"])

    assert street_of("积玉桥地铁站") == "积玉桥街"
    assert street_of("黄鹤楼") == "黄鹤楼街"
    assert street_of("户部巷") == "中华路街"
    assert street_of("武汉大学") == "珞珈山街"
    assert street_of("湖北省博物馆") == "水果湖街"
    assert street_of("徐家棚地铁站") == "徐家棚街"
    assert street_of("洪山广场") == "中南路街"
    estates = {p["properties"]["name"]: units[p["properties"]["unit"]]["properties"]["name"]
               for p in places if p["properties"]["kind"] == "estate"}
    assert (estates["滨江苑"], estates["东亭小区"], estates["万达公馆"]) == ("滨江社区", "东亭社区", "万达社区")


def test_posts_reference_existing_grids_and_zones(units, zones, posts):
    assert posts
    for row in posts:
        assert list(row) == ["post", "person", "phone", "username", "unit", "zone", "starts_on", "ends_on"]
        if row["post"] in ("grid_worker", "grid_chief"):
            assert units[row["unit"]]["properties"]["kind"] == "grid"
            assert row["zone"] == ""
        else:
            assert zones[row["zone"]]["properties"]["kind"] == CHIEF_ZONE_KIND[row["post"]]
            assert row["unit"] == ""


def test_every_grid_and_zone_has_someone_on_duty(units, zones, posts):
    current = [r for r in posts if not r["ends_on"]]
    grids = sorted(u["properties"]["code"] for u in _kind(units, "grid"))
    for post in ("grid_worker", "grid_chief"):
        assert sorted(r["unit"] for r in current if r["post"] == post) == grids, post
    for post, kind in CHIEF_ZONE_KIND.items():
        assert sorted(r["zone"] for r in current if r["post"] == post) == sorted(
            code for code, z in zones.items() if z["properties"]["kind"] == kind), post
    # A community's grid chief is one person across its grids.
    chiefs = defaultdict(set)
    for row in current:
        if row["post"] == "grid_chief":
            chiefs[units[row["unit"]]["properties"]["parent"]].add(row["person"])
    assert all(len(people) == 1 for people in chiefs.values())


def test_people_dates_and_the_demo_account(posts):
    assert [r for r in posts if r["username"]] == [
        next(r for r in posts if r["post"] == "grid_worker" and r["unit"] == "420106001001001")]
    gridworker = next(r for r in posts if r["username"])
    assert (gridworker["person"], gridworker["username"], gridworker["ends_on"]) == ("李娜", "gridworker", "")
    assert sum(r["person"] == "李娜" for r in posts) == 1
    phones: dict[str, str] = {}
    for row in posts:
        assert re.fullmatch(r"1[358]\d{9}", row["phone"]), row
        assert phones.setdefault(row["person"], row["phone"]) == row["phone"]
        starts = date.fromisoformat(row["starts_on"])
        assert date(2024, 1, 1) <= starts <= date(2026, 12, 31)
        if row["ends_on"]:
            assert date.fromisoformat(row["ends_on"]) >= starts
    assert len(set(phones.values())) == len(phones)
    posts_held = Counter(r["person"] for r in posts)
    assert sum(1 for n in posts_held.values() if n > 1) >= 3
    assert 0 < sum(1 for r in posts if r["ends_on"]) <= 10
    kinds = Counter(r["post"] for r in posts)
    assert set(kinds) == {"grid_worker", "grid_chief", "area_chief", "river_chief", "road_chief"}


def test_the_people_csv_round_trips(posts, tmp_path):
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(posts[0]))
        writer.writeheader()
        writer.writerows(posts)
    with path.open(newline="", encoding="utf-8") as back:
        assert list(csv.DictReader(back)) == posts


def test_grids_at_the_point_of_a_landmark_are_found_by_its_coordinates(units, places):
    # The gazetteer's unit is what a point-in-polygon lookup over the grids gives.
    grids = _kind(units, "grid")
    tree = shapely.STRtree([shape(g["geometry"]) for g in grids])
    for place in (p for p in places if p["properties"]["kind"] == "landmark"):
        hits = tree.query(shape(place["geometry"]), predicate="intersects")
        assert [grids[i]["properties"]["code"] for i in hits] == [place["properties"]["unit"]]
