"""The one map's heat layer: each grid's orders of the last days, as far as the reader may see them."""

from __future__ import annotations

from datetime import timedelta

from minhu.core import clock
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.write import import_map
from minhu.map import service
from tests.factories import make_order
from tests.geo import mapdata


def test_each_grid_counts_its_recent_orders_within_the_reader_s_scope(db, world, client, token_for):
    import_map(db, parse_map(mapdata.small_city()))
    with clock.frozen(clock.now() - timedelta(days=40)):
        make_order(db, world, title="旧的井盖缺失", latitude=30.545, longitude=114.305)  # before the 30 days
    for title in ("井盖缺失", "路灯不亮"):
        make_order(db, world, title=title, latitude=30.545, longitude=114.305)
    with db.read() as s:
        centre = service.grid_heat(s, world.dispatcher)
        other_street = service.grid_heat(s, world.other_handler)
        longer = service.grid_heat(s, world.dispatcher, days=60)
    assert (centre["max"], centre["total"]) == (2, 2)
    assert list(centre["grids"].values()) == [2]
    assert longer["total"] == 3
    assert other_street["total"] == 0  # another street's handler sees none of these
    assert client.get("/api/v1/map/heat", params={"days": 0}, headers=token_for(world.leader)).status_code == 422
    assert client.get("/api/v1/map/heat", headers=token_for(world.leader)).json()["total"] == 2
