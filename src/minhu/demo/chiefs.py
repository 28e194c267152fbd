"""The demo's chiefs (四长): duty lists for the lakes' and roads' chiefs, 水果湖街's area chiefs and the first grid's
chief, an account for East Lake's river chief (河湖长, one of 水果湖街's leaders), and a pollution report from East
Lake's bank that names them and reaches their inbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.chiefs import service as chiefs
from minhu.chiefs.schemas import DutyItemWrite
from minhu.core import clock
from minhu.geo.index import METRES_PER_DEGREE_LAT
from minhu.geo.models import Post, PostKind, Zone, ZoneKind
from minhu.orders import service as order_service
from minhu.orders.enums import Channel, OrderType
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import OrderCreate
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import Role

EAST_LAKE, SHUIGUOHU, FIRST_GRID = "Z-W-东湖", "420106011", "420106001001001"
RIVER_CHIEF_ACCOUNT = "hezhang"
STREET_LIST = "水果湖街 B 类清单"
CATALOG = "目录"

# (category, wording, where the wording comes from)
LAKE_DUTIES = (("0203", "湖面及沿岸水污染、偷排污水", CATALOG), ("0205", "填湖、破坏湖岸湿地", CATALOG),
               ("080304", "道路积水、排水不畅", STREET_LIST))
RIVER_DUTIES = (("0203", "江面及沿岸水污染", CATALOG), ("0205", "非法采砂、破坏岸线", CATALOG))
ROAD_DUTIES = (("080102", "流动摊贩占道经营", STREET_LIST), ("080301", "人行道、护栏破损", STREET_LIST),
               ("080302", "井盖缺失破损", STREET_LIST), ("080303", "路灯不亮", STREET_LIST),
               ("030401", "机动车违章停放", STREET_LIST))
AREA_DUTIES = (("080101", "生活垃圾清运不及时", STREET_LIST), ("020101", "夜间施工噪音", STREET_LIST))
GRID_DUTIES = (("090203", "楼道、公共区域堆放杂物", "水果湖街 A 类清单"),
               ("090202", "消防通道被杂物占用", "水果湖街 A 类清单"))
# How far from East Lake's water the report stands: on the bank, well inside the lake's 100 m.
BANK_M = 40.0


def _items(rows: tuple[tuple[str, str, str], ...]) -> list[DutyItemWrite]:
    return [DutyItemWrite(category_code=code, item=item, source=source) for code, item, source in rows]


def _duties_of(post: Post, zone: Zone | None, street_codes: set[str]) -> tuple[tuple[str, str, str], ...]:
    if zone is not None and zone.kind is ZoneKind.WATER:
        return RIVER_DUTIES if zone.name == "长江" else LAKE_DUTIES
    if zone is not None and zone.kind is ZoneKind.ROAD:
        return ROAD_DUTIES
    if zone is not None and zone.kind is ZoneKind.AREA and street_codes & {SHUIGUOHU}:
        return AREA_DUTIES
    if post.kind is PostKind.GRID_CHIEF and post.unit is not None and post.unit.code == FIRST_GRID:
        return GRID_DUTIES
    return ()


def seed(session: Session, units: dict[str, Unit], admin: User, *, password: str) -> User:
    """The duty lists, and the account of East Lake's river chief; returns that account."""
    today = clock.city_now().date()
    posts = [p for p in session.scalars(select(Post).where(Post.kind.in_(
        [PostKind.RIVER_CHIEF.value, PostKind.ROAD_CHIEF.value, PostKind.AREA_CHIEF.value,
         PostKind.GRID_CHIEF.value])).order_by(Post.id)) if p.held_on(today)]
    done: set[tuple[int | None, int | None]] = set()
    for post in posts:
        ground = (post.zone_id, post.unit_id)
        streets = {m.unit.parent.code for m in post.zone.members if m.unit.parent is not None} if post.zone else set()
        rows = _duties_of(post, post.zone, streets)
        if rows and ground not in done:
            chiefs.set_duties(session, post.id, _items(rows), actor=admin)
            done.add(ground)
    lake_chief = next(p for p in posts if p.zone is not None and p.zone.code == EAST_LAKE)
    account = org_service.create_user(session, username=RIVER_CHIEF_ACCOUNT, password=password,
                                      full_name=f"河湖长 {lake_chief.person}", role=Role.LEADER,
                                      unit=units[SHUIGUOHU], phone=lake_chief.phone)
    lake_chief.user_id = account.id
    session.flush()
    return account


def east_lake_bank(session: Session, units: dict[str, Unit]) -> tuple[float, float]:
    """A point of 水果湖街 on East Lake's bank, ``BANK_M`` from the water."""
    lake = session.scalars(select(Zone).where(Zone.code == EAST_LAKE)).one()
    street = units[SHUIGUOHU]
    assert lake.geometry is not None
    assert street.geometry is not None
    bank = shape(lake.geometry).buffer(BANK_M / METRES_PER_DEGREE_LAT).intersection(shape(street.geometry))
    point = bank.representative_point()
    return round(point.x, 6), round(point.y, 6)


def build_pollution_report(session: Session, units: dict[str, Unit], operator: User, at: datetime) -> WorkOrder:
    """A citizen's call about sewage running into East Lake, pinned on the bank: intake names the lake's chief."""
    lon, lat = east_lake_bank(session, units)
    data = OrderCreate(type=OrderType.REPORT, channel=Channel.HOTLINE, title="东湖岸边排污口偷排污水",
                       content="水果湖东湖岸边一处排污口往湖里排黑水，岸边漂着死鱼，气味很大，请尽快查处。",
                       address="武昌区水果湖街东湖岸边", citizen_name="林先生", citizen_phone="13971234567",
                       latitude=lat, longitude=lon)
    with clock.frozen(at - timedelta(hours=2)):
        placed = order_service.place_order(session, data, reporter=operator, category="0203")
        return order_service.create_order(session, data, actor=operator, placed=placed)
