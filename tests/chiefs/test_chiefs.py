"""The four chiefs (四长): an order in a chief's ground and of a matter on the ground's duty list names the chief,
tells them once through the outbox and counts in their figures; duty lists refuse retired categories and the map
refuses two zones of one kind on the same ground, each as a whole."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import func, select

from minhu.chiefs import naming, queries, service
from minhu.chiefs.models import DutyItem, OrderChief
from minhu.chiefs.schemas import DutyItemWrite
from minhu.core.db import Database
from minhu.core.errors import InvalidInput
from minhu.geo.models import Post, PostKind, Zone
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.mapfile import MapImportError
from minhu.geo.transfer.people import import_posts, parse_posts
from minhu.geo.transfer.write import import_map
from minhu.notify.enums import NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import Role
from minhu.routing import catalog, categories
from minhu.routing import service as routing
from tests.factories import PASSWORD, World, act, order_data
from tests.geo import mapdata
from tests.geo.mapdata import LAKE, ROAD

# Inside 沙湖's water, in 东亭社区1网格 (S2).
ON_THE_LAKE = {"longitude": 114.33, "latitude": 30.57}
# 和平社区1网格, 10 m north of 和平大道, in area zone Z-A-1.
BY_THE_ROAD = {"longitude": 114.305, "latitude": 30.55 + 10 / 110_574}
WATER_POLLUTION, ILLEGAL_PARKING = "0203", "030401"


@pytest.fixture
def city(db: Database, world: World) -> Database:
    import_map(db, parse_map(mapdata.small_city()))
    import_posts(db, parse_posts(mapdata.POSTS_CSV))
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    routing.forget_routing()
    return db


def chief(db: Database, kind: PostKind) -> Post:
    with db.read() as s:
        post = s.scalars(select(Post).where(Post.kind == kind.value)).one()
        s.expunge(post)
        return post


def set_duties(db: Database, world: World, post: Post, *codes: str) -> None:
    with db.transaction() as s:
        service.set_duties(s, post.id, [DutyItemWrite(category_code=c) for c in codes], actor=world.admin)


def register(db: Database, world: World, category: str | None, **fields: object) -> WorkOrder:
    data = order_data(title="湖边排污口偷排污水", content="沙湖边有排污口往湖里排黑水，岸边死鱼很多。", address=None,
                      **fields)
    with db.transaction() as s:
        placed = order_service.place_order(s, data, reporter=world.operator, category=category)
        return order_service.create_order(s, data, actor=world.operator, placed=placed)


def named(db: Database, order: WorkOrder) -> set[str]:
    with db.read() as s:
        return {c.person for c in queries.named_on(s, order.id)}


def messages(db: Database, order: WorkOrder) -> list[OutboxMessage]:
    with db.read() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.order_id == order.id,
                                                          OutboxMessage.template_key == "order.chief_named")))


def test_a_pollution_order_on_the_lake_names_the_river_chief_and_texts_them_once(city, world):
    river = chief(city, PostKind.RIVER_CHIEF)
    set_duties(city, world, river, WATER_POLLUTION)
    order = register(city, world, WATER_POLLUTION, **ON_THE_LAKE)
    assert named(city, order) == {"周敏"}
    sent = messages(city, order)
    # The post has no account: its phone gets the text.
    assert [(m.channel, m.recipient) for m in sent] == [(NotifyChannel.SMS, "13800000005")]
    assert "河湖长" in sent[0].body
    assert "沙湖" in sent[0].body
    assert order.number in sent[0].body
    # Dispatched under the same category: named once, told once.
    act(city, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    assert named(city, order) == {"周敏"}
    assert len(messages(city, order)) == 1


def test_a_chief_with_an_account_is_told_in_the_inbox_and_sees_the_order_in_their_figures(city, world, client):
    with city.transaction() as s:
        street = s.scalars(select(Unit).where(Unit.code == mapdata.S2)).one()
        account = org_service.create_user(s, username="hezhang", password=PASSWORD, full_name="河湖长 周敏",
                                          role=Role.HANDLER, unit=street,
                                          phone="13900001111")
        s.get_one(Post, chief(city, PostKind.RIVER_CHIEF).id).user_id = account.id
    set_duties(city, world, chief(city, PostKind.RIVER_CHIEF), "02")  # the whole field: its children count too
    order = register(city, world, WATER_POLLUTION, **ON_THE_LAKE)
    channels = {m.channel for m in messages(city, order)}
    assert channels == {NotifyChannel.INBOX, NotifyChannel.SMS}
    with city.read() as s:
        viewer = s.get_one(User, account.id)
        mine = queries.list_chiefs(s, viewer=viewer)
    assert [(c.person, c.counts.named, c.counts.open) for c in mine] == [("周敏", 1, 1)]
    with city.read() as s:
        page = queries.read_chief(s, mine[0].post_id, viewer=s.get_one(User, account.id))
    assert [o.number for o in page.orders] == [order.number]


def test_an_order_of_a_category_off_the_list_names_nobody(city, world):
    set_duties(city, world, chief(city, PostKind.RIVER_CHIEF), WATER_POLLUTION)
    order = register(city, world, ILLEGAL_PARKING, **ON_THE_LAKE)
    assert named(city, order) == set()
    assert messages(city, order) == []


def test_an_order_off_the_ground_names_nobody(city, world):
    set_duties(city, world, chief(city, PostKind.RIVER_CHIEF), WATER_POLLUTION)
    order = register(city, world, WATER_POLLUTION, longitude=114.305, latitude=30.545)
    assert named(city, order) == set()


def test_the_road_area_and_grid_chiefs_are_named_by_their_ground(city, world):
    for kind in (PostKind.ROAD_CHIEF, PostKind.AREA_CHIEF, PostKind.GRID_CHIEF):
        set_duties(city, world, chief(city, kind), ILLEGAL_PARKING)
    order = register(city, world, ILLEGAL_PARKING, **BY_THE_ROAD)
    assert named(city, order) == {"孙涛", "吴刚", "王芳"}  # road (within its buffer), area, grid chief


def test_a_category_changed_at_dispatch_names_the_chief_then(city, world):
    set_duties(city, world, chief(city, PostKind.RIVER_CHIEF), WATER_POLLUTION)
    order = register(city, world, ILLEGAL_PARKING, **ON_THE_LAKE)
    assert named(city, order) == set()
    act(city, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id,
        category_code=WATER_POLLUTION)
    assert named(city, order) == {"周敏"}
    assert len(messages(city, order)) == 1


def test_a_duty_list_naming_a_retired_category_is_refused_whole(city, world):
    river = chief(city, PostKind.RIVER_CHIEF)
    set_duties(city, world, river, ILLEGAL_PARKING)
    with city.transaction() as s:
        categories.retire_category(s, "0205", actor=world.admin)
    with pytest.raises(InvalidInput) as refused, city.transaction() as s:
        service.set_duties(s, river.id, [DutyItemWrite(category_code=WATER_POLLUTION),
                                         DutyItemWrite(category_code="0205")], actor=world.admin)
    assert refused.value.code == "category_retired"
    assert "0205" in refused.value.message
    assert "已停用" in refused.value.message
    assert refused.value.details == [{"field": "items.1.category_code",
                                      "message": "分类 0205“生态破坏”已停用，不能列入责任清单"}]
    with city.read() as s:  # the list is as it was
        assert list(s.scalars(select(DutyItem.category_code))) == [ILLEGAL_PARKING]


def test_the_api_refuses_a_retired_category_and_a_non_administrator(city, world, client, token_for):
    river = chief(city, PostKind.RIVER_CHIEF)
    with city.transaction() as s:
        categories.retire_category(s, "0205", actor=world.admin)
    body = {"items": [{"category_code": WATER_POLLUTION, "item": "湖面水污染"}, {"category_code": "0205"}]}
    refused = client.put(f"/api/v1/chiefs/{river.id}/duties", json=body, headers=token_for(world.admin))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "category_retired"
    assert refused.json()["error"]["details"][0]["field"] == "items.1.category_code"
    forbidden = client.put(f"/api/v1/chiefs/{river.id}/duties", json={"items": []}, headers=token_for(world.leader))
    assert forbidden.status_code == 403
    saved = client.put(f"/api/v1/chiefs/{river.id}/duties", json={"items": body["items"][:1]},
                       headers=token_for(world.admin))
    assert saved.status_code == 200, saved.text
    assert [(i["category_code"], i["item"]) for i in saved.json()["duty_items"]] == [(WATER_POLLUTION, "湖面水污染")]


def test_the_api_gives_the_chief_with_the_open_orders_and_their_lights(city, world, client, token_for):
    river = chief(city, PostKind.RIVER_CHIEF)
    set_duties(city, world, river, WATER_POLLUTION)
    order = register(city, world, WATER_POLLUTION, **ON_THE_LAKE)
    got = client.get(f"/api/v1/chiefs/{river.id}", headers=token_for(world.leader)).json()
    assert got["zone"] == "沙湖"
    assert [o["number"] for o in got["orders"]] == [order.number]
    assert got["orders"][0]["light"] == "green"
    assert got["counts"] == {"named": 1, "open": 1, "yellow": 0, "red": 0}
    # A handler who holds no post sees no chief, as if none existed.
    assert client.get(f"/api/v1/chiefs/{river.id}", headers=token_for(world.handler)).status_code == 404
    assert client.get("/api/v1/chiefs", headers=token_for(world.handler)).json() == []


def test_the_order_page_names_the_chief(city, world, client):
    from tests.intake.test_pages import login

    set_duties(city, world, chief(city, PostKind.RIVER_CHIEF), WATER_POLLUTION)
    order = register(city, world, WATER_POLLUTION, **ON_THE_LAKE)
    login(client, world.dispatcher)
    html = client.get(f"/orders/{order.number}").text
    panel = html.split('id="order-chiefs">')[1].split("</p>")[0]
    assert "责任河湖长" in panel
    assert "周敏" in panel
    assert "沙湖" in panel


def zone_feature(city: dict[str, Any], code: str) -> dict[str, Any]:
    return next(f for f in city["features"] if f["properties"].get("code") == code)


def test_a_lake_overlapping_another_lake_refuses_the_whole_import(db, world):
    import_map(db, parse_map(mapdata.small_city()))
    changed = copy.deepcopy(mapdata.small_city())
    changed["features"].append(mapdata.zone("Z-W-新湖", "新湖", "water", mapdata.box(114.330, 30.570, 114.338, 30.578)))
    zone_feature(changed, "420199002001001")["properties"]["households"] = 999  # a change that must not land
    with pytest.raises(MapImportError) as refused:
        import_map(db, parse_map(changed))
    message = refused.value.message
    assert "未导入任何内容" in message
    assert "新湖" in message
    assert "沙湖" in message
    assert "重叠" in message
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Zone)) == 3
        assert s.scalars(select(Unit.households).where(Unit.code == "420199002001001")).one() == 600


def test_two_areas_holding_one_community_and_two_roads_along_each_other_are_refused(db, world):
    changed = copy.deepcopy(mapdata.small_city())
    changed["features"] += [
        mapdata.zone("Z-A-2", "第二片区", "area", None, communities=[mapdata.C2, mapdata.C3]),
        mapdata.zone("Z-R-和平大道辅路", "和平大道辅路", "road",
                     {"type": "LineString", "coordinates": [[114.31, 30.55], [114.33, 30.55]]}),
        # A road crossing 和平大道 shares a point, not a stretch: no problem.
        mapdata.zone("Z-R-中山路", "中山路", "road",
                     {"type": "LineString", "coordinates": [[114.315, 30.54], [114.315, 30.58]]}),
    ]
    with pytest.raises(MapImportError) as refused:
        import_map(db, parse_map(changed))
    problems = [str(p) for p in refused.value.problems]
    assert len(problems) == 2, problems
    assert any("第一片区" in p and "第二片区" in p and "临江社区" in p for p in problems)
    assert any("和平大道（" in p and "和平大道辅路" in p and "米重合" in p for p in problems)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Zone)) == 0


def test_a_file_reimporting_the_same_zones_is_no_overlap(db, world):
    import_map(db, parse_map(mapdata.small_city()))
    import_map(db, parse_map(mapdata.small_city()))  # each zone replaces its stored self
    with db.read() as s:
        assert {z.code for z in s.scalars(select(Zone))} == {ROAD, LAKE, mapdata.AREA}


def test_naming_reads_no_duty_list_twice_and_no_post_when_nothing_is_listed(city, world):
    """The hot path: with no duty list on the order's ground, naming asks the database nothing."""
    from sqlalchemy import event

    set_duties(city, world, chief(city, PostKind.GRID_CHIEF), ILLEGAL_PARKING)  # on G1 only
    statements: list[str] = []
    with city.transaction() as s:
        data = order_data(title="湖边排污口偷排污水", content="沙湖边排污口。", address=None, **ON_THE_LAKE)
        placed = order_service.place_order(s, data, reporter=world.operator, category=WATER_POLLUTION)
        naming.duties(s)  # the duty lists, read once per process and kept a few seconds

        def count(conn, cursor, statement, *args):
            if "posts" in statement or "duty_" in statement or "order_chiefs" in statement:
                statements.append(statement)
        event.listen(s.get_bind(), "before_cursor_execute", count)
        try:
            order_service.create_order(s, data, actor=world.operator, placed=placed)
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", count)
        assert s.scalar(select(func.count()).select_from(OrderChief)) == 0
    assert statements == []


def test_the_people_figures_count_the_chief_for_the_centre_and_leaders(city, world, client, token_for):
    set_duties(city, world, chief(city, PostKind.RIVER_CHIEF), WATER_POLLUTION)
    register(city, world, WATER_POLLUTION, **ON_THE_LAKE)
    figures = client.get("/api/v1/people/figures", headers=token_for(world.leader)).json()
    assert [(c["person"], c["kind_label"], c["counts"]["named"]) for c in figures["chiefs"]] == [("周敏", "河湖长", 1)]
    assert client.get("/api/v1/people/figures", headers=token_for(world.handler)).json()["chiefs"] == []
