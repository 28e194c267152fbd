"""Where an order without coordinates stands: a grid worker's own report in the worker's grid, and requests
matched to one community at points of their own inside it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import undefer
from starlette.testclient import TestClient

from minhu.core.db import Database
from minhu.geo import service as geo_service
from minhu.geo.models import LocationSource
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.write import import_map
from minhu.orders.models import WorkOrder
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import Role
from tests.factories import PASSWORD, World
from tests.geo import mapdata
from tests.geo.mapdata import C1, G1, G2, G3, S1
from tests.geo.test_address import messy_addresses
from tests.intake.test_pages import login


@pytest.fixture
def city(db: Database, world: World) -> Database:
    import_map(db, parse_map(mapdata.small_city()))
    return db


@pytest.fixture
def g2_worker(city: Database) -> User:
    with city.transaction() as s:
        grid = s.scalars(select(Unit).where(Unit.code == G2)).one()
        return org_service.create_user(s, username="g2worker", password=PASSWORD, full_name="网格员 钱多",
                                       role=Role.GRIDWORKER, unit=grid)


def report(client: TestClient, headers: dict[str, str], **fields: object) -> dict[str, Any]:
    body = {"type": "report", "channel": "grid_patrol", "title": "楼道堆放杂物",
            "content": "3栋楼道堆满杂物，影响通行。", **fields}
    response = client.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def stored(db: Database, number: str) -> WorkOrder:
    with db.read() as s:
        return s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()


def geometry(db: Database, code: str) -> BaseGeometry:
    with db.read() as s:
        unit = s.scalars(select(Unit).where(Unit.code == code).options(undefer(Unit.geometry))).one()
        return shape(unit.geometry)


def test_a_grid_workers_report_without_coordinates_stands_in_the_workers_grid(city, client, g2_worker, token_for):
    headers = token_for(g2_worker)

    bare = report(client, headers)
    in_community = report(client, headers, title="单元门门禁损坏", address="和平社区3栋")

    grid = geometry(city, G2)
    for created in (bare, in_community):
        assert created["place"]["grid"]["code"] == G2
        assert created["place"]["source"] == "reporter"
        order = stored(city, created["number"])
        assert grid.contains(Point(order.longitude, order.latitude))
    # The order page says how its place was found.
    login(client, g2_worker)
    place = client.get(f"/orders/{bare['number']}").text.split('id="order-place">')[1].split("</dd>")[0]
    assert "和平社区2网格" in place
    assert "上报网格员所在网格" in place


def test_a_grid_workers_report_keeps_the_coordinates_or_the_address_it_gives(city, client, g2_worker, token_for):
    with city.transaction() as s:
        grid = s.scalars(select(Unit).where(Unit.code == G3)).one()
        g3_worker = org_service.create_user(s, username="g3worker", password=PASSWORD, full_name="网格员 孙立",
                                            role=Role.GRIDWORKER, unit=grid)
    headers = token_for(g2_worker)

    at_point = report(client, headers, latitude=30.545, longitude=114.305)
    on_an_estate = report(client, headers, address="滨江苑小区")
    elsewhere = report(client, token_for(g3_worker), address="和平社区")

    assert (at_point["place"]["grid"]["code"], at_point["place"]["source"]) == (G1, "coordinates")
    assert (on_an_estate["place"]["grid"]["code"], on_an_estate["place"]["source"]) == (G2, "address")
    # Another street's grid worker names a place outside their grid: the address says where.
    assert (elsewhere["place"]["community"]["code"], elsewhere["place"]["source"]) == (C1, "address")
    assert elsewhere["place"]["street"]["code"] == S1


def test_an_operators_order_without_coordinates_is_not_put_in_anyones_grid(city, client, world: World, token_for):
    created = report(client, token_for(world.operator), channel="hotline", title="求助", content="家里水管坏了。")

    assert created["place"] == {"street": None, "community": None, "grid": None, "source": None,
                                "confidence": None, "inside": None}


def test_requests_matched_to_one_community_stand_apart_inside_it(city, client, world: World, token_for):
    headers = token_for(world.operator)
    titles = ("路灯不亮", "楼道堆放杂物", "下水道堵塞", "垃圾清运不及时", "广场舞噪音扰民")

    created = [report(client, headers, channel="hotline", title=title, content=f"{title}，请处理。",
                      address="武昌区和平社区") for title in titles]
    again = report(client, headers, channel="hotline", title=titles[0], content=f"{titles[0]}，请处理。",
                   address="武昌区和平社区")

    community = geometry(city, C1)
    points = [(o.longitude, o.latitude) for o in (stored(city, c["number"]) for c in created)]
    assert all(c["place"]["community"]["code"] == C1 and c["place"]["grid"] is None for c in created)
    assert all(community.contains(Point(lon, lat)) for lon, lat in points)
    assert len(set(points)) == len(titles)
    repeated = stored(city, again["number"])
    assert (repeated.longitude, repeated.latitude) == points[0]  # the same request, the same point



def test_any_text_draws_a_point_inside_and_always_the_same():
    # A lone surrogate could not be encoded to draw the point from, and the placement raised.
    area = mapdata.box(114.30, 30.54, 114.31, 30.56)
    first = geo_service.point_inside(area, "和平社区\ud800")

    assert first == geo_service.point_inside(area, "和平社区\ud800")
    assert shape(area).contains(Point(*first))


@given(address=messy_addresses, from_g2=st.booleans(), spread=st.text(max_size=8))
@settings(max_examples=60, deadline=timedelta(seconds=5),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_any_address_places_an_order_inside_the_city_or_nowhere(city, address, from_g2, spread):
    with city.read() as s:
        home = s.scalars(select(Unit.id).where(Unit.code == G2)).one() if from_g2 else None
        placed = geo_service.place(s, lon=None, lat=None, address=address, home_grid_id=home, spread_key=spread)
    if placed is None:
        return
    assert placed.source in (LocationSource.ADDRESS, LocationSource.REPORTER)
    assert 0.0 < placed.confidence <= 1.0
    assert 114.30 <= placed.lon <= 114.34
    assert 30.54 <= placed.lat <= 30.58
    assert placed.location.inside
