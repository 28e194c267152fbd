"""Locating on real boundaries: inside, on an edge, in a community without grids, outside; zones near;
GCJ-02 input; coordinates that are not coordinates."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update

from minhu.geo import service
from minhu.geo.coords import wgs84_to_gcj02
from minhu.geo.models import MapRevision
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.people import import_posts, parse_posts
from minhu.geo.transfer.write import import_map
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import Role
from tests.factories import make_order
from tests.geo import mapdata
from tests.geo.mapdata import C1, C2, G1, G2, G3, LAKE, ROAD, S1, S2
from tests.intake.test_pages import login


@pytest.fixture
def city(db):
    import_map(db, parse_map(mapdata.small_city()))
    import_posts(db, parse_posts(mapdata.POSTS_CSV))
    return db


def where(db, lon, lat):
    with db.read() as session:
        return service.locate(session, lon, lat)


def test_a_point_inside_a_grid_lands_on_its_grid_community_and_street(city):
    found = where(city, 114.305, 30.545)
    assert found.inside
    assert (found.street.code, found.community.code, found.grid.code) == (S1, C1, G1)
    east = where(city, 114.33, 30.545)
    assert (east.street.code, east.grid.code) == (S2, G3)


def test_a_point_on_the_edge_between_two_grids_always_lands_on_the_same_one(city):
    on_edge = [where(city, 114.31, 30.545).grid.code for _ in range(3)]
    assert on_edge == [G1, G1, G1]
    assert where(city, 114.31 + 1e-6, 30.545).grid.code == G2


def test_a_community_without_grids_answers_the_community_and_no_grid(city):
    found = where(city, 114.31, 30.57)
    assert found.inside
    assert (found.community.code, found.grid) == (C2, None)


def test_a_point_outside_the_city_is_an_answer_not_an_error(city, client, world, token_for):
    assert where(city, 114.36, 30.55).inside is False
    response = client.get("/api/v1/locate", params={"lat": 30.55, "lon": 114.36}, headers=token_for(world.handler))
    assert response.status_code == 200
    assert response.json()["inside"] is False
    assert response.json()["grid"] is None


def test_zones_near_a_point_and_the_people_who_answer_for_it(city, client, world, token_for):
    # 20 m north of 和平大道 (buffer 30 m) inside grid 1; the lake is elsewhere.
    near_road = 30.55 + 20 / 110_574
    response = client.get("/api/v1/locate", params={"lat": near_road, "lon": 114.305, "people": "true"},
                          headers=token_for(world.handler))
    body = response.json()
    assert response.status_code == 200
    zones = {z["code"]: z for z in body["zones"]}
    assert set(zones) == {ROAD, mapdata.AREA}
    assert 15 < zones[ROAD]["distance_m"] < 25
    posts = {(p["post"], p["person"]) for p in body["people"]}
    # The grid's worker and chief, the road chief and the area chief; the worker whose post ended is not.
    assert posts == {("grid_worker", "李娜"), ("grid_chief", "王芳"), ("road_chief", "孙涛"), ("area_chief", "吴刚")}
    far = client.get("/api/v1/locate", params={"lat": 30.55 + 100 / 110_574, "lon": 114.305},
                     headers=token_for(world.handler)).json()
    assert ROAD not in {z["code"] for z in far["zones"]}
    in_lake = where(city, 114.33, 30.57)
    assert LAKE in {z.code for z in in_lake.zones}


def test_gcj02_coordinates_are_converted_before_locating(city, client, world, token_for):
    # A point in grid 1, 300 m from grid 2: its GCJ-02 form lies ~550 m east, in grid 2 if read as WGS-84.
    lon, lat = 114.307, 30.545
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    response = client.get("/api/v1/locate", params={"lat": gcj_lat, "lon": gcj_lon, "crs": "gcj02"},
                          headers=token_for(world.handler))
    body = response.json()
    assert body["grid"]["code"] == G1
    assert body["crs_given"] == "gcj02"
    assert abs(body["lon"] - lon) < 1e-6 and abs(body["lat"] - lat) < 1e-6  # noqa: PT018
    assert where(city, gcj_lon, gcj_lat).grid.code == G2


@pytest.mark.parametrize(("params", "field", "code"), [
    ({"lat": "三十", "lon": 114.3}, "lat", "invalid_input"),
    ({"lat": "nan", "lon": 114.3}, "lat", "invalid_input"),
    ({"lat": 30.5, "lon": "inf"}, "lon", "invalid_input"),
    ({"lat": 114.305, "lon": 30.545}, "lat", "coordinates_swapped"),
    ({"lat": 95, "lon": 200}, "lat", "invalid_input"),
    ({"lat": 30.5, "lon": 181}, "lon", "invalid_input"),
    ({"lat": 30.5, "lon": 114.3, "crs": "bd09"}, "crs", "invalid_input"),
])
def test_coordinates_that_are_not_a_point_are_422_naming_the_field(city, client, world, token_for, params, field,
                                                                    code):
    response = client.get("/api/v1/locate", params=params, headers=token_for(world.handler))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"][0]["field"] == field
    if code == "coordinates_swapped":
        assert error["code"] == code
        assert "颠倒" in error["message"]


def test_geocode_finds_places_with_a_confidence_and_where_they_stand(city, client, world, token_for):
    response = client.get("/api/v1/geocode", params={"q": "湖北省武汉市测试区积玉桥街滨江苑小区3栋"},
                          headers=token_for(world.handler))
    best = response.json()[0]
    assert response.status_code == 200
    assert best["name"] == "滨江苑"
    assert best["confidence"] >= 0.9
    assert best["location"]["grid"]["code"] == G2
    assert client.get("/api/v1/geocode", params={"q": "火星基地"}, headers=token_for(world.handler)).json() == []


def test_an_order_reported_at_a_point_lands_on_its_grid_and_its_grid_worker_sees_it(city, client, world,
                                                                                    token_for, db):
    body = {"type": "complaint", "channel": "hotline", "title": "井盖缺失", "content": "和平社区路口井盖缺失。",
            "latitude": 30.545, "longitude": 114.315}
    created = client.post("/api/v1/orders", json=body, headers=token_for(world.operator))
    place = created.json()["place"]
    assert created.status_code == 201
    assert (place["street"]["code"], place["community"]["code"], place["grid"]["code"]) == (S1, C1, G2)
    assert place["source"] == "coordinates"
    assert place["inside"] is True
    # The order stands on S1's ground: a grid worker of that grid sees it, though the centre owns it.
    with db.transaction() as s:
        grid = s.query(Unit).filter_by(code=G2).one()
        org_service.create_user(s, username="g2worker", password="a-long-password", full_name="网格员",
                                role=Role.GRIDWORKER, unit=grid)
    token = client.post("/api/v1/auth/token", json={"username": "g2worker", "password": "a-long-password"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    number = created.json()["number"]
    assert client.get(f"/api/v1/orders/{number}", headers=headers).status_code == 200
    other = client.post("/api/v1/orders", json={**body, "latitude": 30.545, "longitude": 114.305},
                        headers=token_for(world.operator)).json()["number"]
    assert client.get(f"/api/v1/orders/{other}", headers=headers).status_code == 404


def test_an_order_with_only_an_address_is_placed_by_the_gazetteer(city, client, world, token_for):
    body = {"type": "help", "channel": "hotline", "title": "路灯不亮", "content": "小区路灯坏了。",
            "address": "武汉市测试区滨江苑小区5栋"}
    place = client.post("/api/v1/orders", json=body, headers=token_for(world.operator)).json()["place"]
    assert place["source"] == "address"
    assert place["grid"]["code"] == G2
    assert place["confidence"] >= 0.9
    nowhere = client.post("/api/v1/orders", json={**body, "address": "不知道在哪里"},
                          headers=token_for(world.operator)).json()["place"]
    assert nowhere == {"street": None, "community": None, "grid": None, "source": None, "confidence": None,
                       "inside": None}


def test_an_order_outside_the_city_is_registered_and_says_so(city, client, world, token_for):
    body = {"type": "help", "channel": "hotline", "title": "求助", "content": "内容", "latitude": 30.55,
            "longitude": 114.50}
    created = client.post("/api/v1/orders", json=body, headers=token_for(world.operator))
    assert created.status_code == 201
    assert created.json()["place"]["inside"] is False
    swapped = client.post("/api/v1/orders", json={**body, "latitude": 114.31, "longitude": 30.55},
                          headers=token_for(world.operator))
    assert swapped.status_code == 422
    assert "颠倒" in swapped.json()["error"]["details"][0]["message"]


def test_a_street_named_alone_places_the_order_on_the_street_not_on_a_grid(city, client, world, token_for):
    body = {"type": "help", "channel": "hotline", "title": "求助", "content": "内容", "address": "积玉桥街道"}
    place = client.post("/api/v1/orders", json=body, headers=token_for(world.operator)).json()["place"]
    assert place["source"] == "address"
    assert place["street"]["code"] == S1
    assert (place["community"], place["grid"]) == (None, None)


def test_a_unit_code_with_a_nul_is_absent_not_a_crash(city, client, world, token_for):
    response = client.get("/api/v1/units/G%00", headers=token_for(world.handler))
    assert response.status_code == 404
    assert client.get(f"/api/v1/units/{G1}", headers=token_for(world.handler)).json()["households"] == 520


def test_the_order_page_shows_its_place_and_who_answers_for_it(city, client, world, db):
    order = make_order(db, world, latitude=30.55 + 10 / 110_574, longitude=114.305)
    login(client, world.dispatcher)
    html = client.get(f"/orders/{order.number}").text
    place = html.split('id="order-place">')[1].split("</dd>")[0]
    people = html.split('id="order-people">')[1].split("</dd>")[0]
    assert "积玉桥街 · 和平社区 · 和平社区1网格" in place
    assert "按坐标定位" in place
    for name in ("李娜", "王芳", "孙涛", "吴刚"):  # grid worker and chief, road chief, area chief
        assert name in people
    assert "赵强" not in people  # another grid, and a post that has ended


def test_a_fresh_process_builds_its_map_once_for_many_requests_at_once(city, monkeypatch):
    """A storm's first requests on a server just started: one builds the map, the others wait for it."""
    builds = []
    real_build = service._build

    def counted_build(session, revision):
        builds.append(revision)
        time.sleep(0.2)  # long enough for every other request to arrive while the map is built
        return real_build(session, revision)

    monkeypatch.setattr(service, "_build", counted_build)
    service.forget_map()
    with ThreadPoolExecutor(6) as pool:
        hits = list(pool.map(lambda _: where(city, 114.305, 30.545).grid, range(6)))

    assert len(builds) == 1
    assert {hit.code for hit in hits} == {G1}


def test_a_map_built_as_the_server_starts_still_sees_a_map_imported_after_it(city):
    service.forget_map()
    service.warm_up(city)
    # Another process imports a map: it changes the revision, which this process has not been told of.
    with city.transaction() as session:
        session.execute(update(MapRevision).values(revision=MapRevision.revision + 1))
        revision = service.current_revision(session)

    with city.read() as session:
        assert service.map_state(session).revision == revision
