"""The demo's planted break-out (未诉先办): over two and a half days a dozen reports about animals — strays,
unleashed dogs, poultry kept in the estates — in 和平社区, where the year brought one or two a season: what the
early-warning scan at the end of the load raises and tells 积玉桥街 about. They go in through intake like any
order (each a matter of its own, at its own spot, so few are taken for another's duplicate), and the dispatcher
sends each to the community."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.demo import geography
from minhu.orders import service as order_service
from minhu.orders.enums import Channel, OrderType
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import ActionRequest, OrderCreate
from minhu.orders.states import Action, Status
from minhu.org.models import Unit, User
from minhu.org.roles import Role, UnitKind

# 动物管理 (0806), the second level the scan counts: unleashed and barking dogs (080601), strays (080602), poultry
# and pigeons kept in the estates (080603) — twelve matters, not one matter twelve times.
REPORTS = (
    ("080602", "小区里流浪狗越来越多", "3栋后面空地聚了七八条流浪狗，成群在楼下转，老人孩子不敢下楼。"),
    ("080601", "邻居家狗整夜叫", "12栋2单元有住户在阳台养了两条大狗，每天夜里叫个不停，敲门沟通无果。"),
    ("080603", "楼顶有人养鸽子", "5栋楼顶私搭鸽棚养了上百只鸽子，鸽粪落满晾衣架和窗台。"),
    ("080601", "遛狗不牵绳", "傍晚社区花园总有人遛大型犬不拴绳，上周有小孩被扑倒。"),
    ("080602", "有人在绿化带投喂野猫", "幼儿园围墙外的绿化带每天有人投喂，聚了二十多只野猫，气味很大。"),
    ("080603", "一楼院子养鸡", "8栋一楼住户在院子里养了十几只鸡，天不亮公鸡就打鸣，院子里很臭。"),
    ("080601", "狗粪没人清理", "社区主干道人行道上到处是狗粪，养狗的人从来不捡，下雨天更脏。"),
    ("080602", "流浪狗追咬骑车的人", "社区东门路口有两条黑狗追着电动车咬，早上送孩子上学差点摔倒。"),
    ("080601", "烈性犬在小区出没", "2栋有住户养了一条藏獒，经常放出来，邻居们都很害怕，请核实是否办证。"),
    ("080603", "阳台养鸭子", "10栋三楼阳台养了几只鸭子，污水顺着外墙往下流。"),
    ("080602", "停车棚里住了野狗", "南门停车棚里住了几条野狗，把好几辆电动车坐垫咬破了。"),
    ("080601", "宠物店噪音和异味", "社区门面新开的宠物寄养店，几十条狗整天叫，后门排出的污水很臭。"),
)
CATEGORY = "080602"  # the one the tests and the demo guide name: 流浪动物


def _act(session: Session, order: WorkOrder, action: Action, actor: User, **fields: object) -> None:
    params = ActionRequest.model_validate({"expected_version": order.version, **fields})
    order_service.apply_action(session, order, action, actor=actor, params=params)


def _window(now: datetime) -> tuple[datetime, datetime]:
    """Two and a half days inside one week the scan looks at: this week's when it has begun long enough, else
    the end of last week."""
    local = now.astimezone(clock.city_tz())
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(0), clock.city_tz())
    if now - monday >= timedelta(hours=36):
        return max(monday + timedelta(hours=7), now - timedelta(hours=60)), now - timedelta(hours=1)
    return monday - timedelta(hours=61), monday - timedelta(hours=1)


def build_spike(session: Session, users: dict[Role, User], community: Unit, units: dict[str, Unit]) -> int:
    """Take the reports in over the three days before now; returns how many went in."""
    rng = random.Random(20261207)
    grids = sorted((u for u in units.values() if u.kind is UnitKind.GRID and u.parent_id == community.id
                    and u.geometry), key=lambda u: u.code)
    if not grids:
        return 0
    now = clock.now().replace(second=0, microsecond=0)
    start, end = _window(now)
    for index, (category, title, content) in enumerate(REPORTS):
        grid = grids[index % len(grids)]
        assert grid.geometry is not None
        lon, lat = geography.point_in(grid.geometry, rng)
        data = OrderCreate(type=OrderType.COMPLAINT, channel=Channel.HOTLINE, title=title, content=content,
                           latitude=lat, longitude=lon, address=f"武昌区积玉桥{community.name}",
                           citizen_phone=f"137{rng.randrange(10**8):08d}")
        at = start + (end - start) * index / len(REPORTS)
        with clock.frozen(at):
            order = order_service.create_order(session, data, actor=None)
            if order.status is Status.NEW:
                _act(session, order, Action.ACCEPT, users[Role.OPERATOR])
        if order.status is Status.ACCEPTED:
            with clock.frozen(at + timedelta(minutes=15)):
                _act(session, order, Action.DISPATCH, users[Role.DISPATCHER], unit_id=community.id,
                     category_code=category)
    session.flush()
    return len(REPORTS)
