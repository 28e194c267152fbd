"""Matters many citizens reported in the demo's last days, each in their own words, so that the hot-issue list
(热点问题) has real ones to show: a building site working at night beside 和平社区 (积玉桥街), reported by seven
neighbours over nine days and more of them lately; and water cut off along 新生路 (杨园街) in three estates, five
calls in two days, one of them a board message its neighbours supported. The rest of the demo's orders each
tell their own matter. Drawn with their own seed, so the rest of the demo is the same."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy.orm import Session

from minhu.board import service as board
from minhu.board.models import BoardSupport
from minhu.core import clock
from minhu.demo import geography
from minhu.orders import service as order_service
from minhu.orders.enums import Channel, OrderType
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import OrderCreate
from minhu.org.models import Unit, User
from minhu.org.roles import UnitKind

SEED = 20261207
NIGHT_WORKS_COMMUNITY, OUTAGE_COMMUNITY = "420106001001", "420106002002"
# (days ago, hour, title, text): one site, seven neighbours, more of them as the works go on.
NIGHT_WORKS = (
    (9, 23, "和平大道工地夜间施工扰民", "和平大道边上的工地晚上十一点以后还在打桩，和平社区的居民根本睡不着。"),
    (6, 22, "工地半夜打桩", "和平社区旁边的和平大道工地半夜还在打桩施工，噪音太大，孩子第二天还要上学。"),
    (4, 1, "夜间施工噪音", "凌晨一点和平大道工地还在施工，机器轰鸣，渣土车进进出出，严重影响休息。"),
    (3, 23, "和平大道工地晚上施工太吵", "和平大道工地天天夜间施工，打桩声一直到凌晨，请城管查一查有没有夜间施工许可。"),
    (2, 0, "投诉夜间施工", "我住和平社区3栋，对面和平大道的工地每天半夜施工，噪音扰民，老人心脏受不了。"),
    (1, 22, "和平大道工地夜里打桩", "和平大道工地晚上十点以后打桩不停，和平社区的住户投诉多次还是照样施工。"),
    (0, 1, "工地凌晨施工噪音扰民", "和平大道工地凌晨还在浇筑施工，灯光和噪音扰民，希望执法部门夜间来现场查处。"),
)
# (days ago, hour, grid of the community's, title, text, board supports or None).
OUTAGE = (
    (2, 7, 0, "新生路一带停水", "新生路锦园小区从早上六点开始停水，没有任何停水通知，老人做饭都成问题。", None),
    (2, 9, 1, "新生路沿线停水没有通知", "新生路上的水岸花园也停水了，物业说是新生路上水管爆了，什么时候恢复供水？", 25),
    (2, 12, 2, "家里停水半天了", "新生路紫苑小区停水半天，自来水公司电话一直占线，请尽快恢复供水。", None),
    (1, 8, 0, "新生路停水一天了还没来水", "新生路锦园小区停水一整天，到现在还没来水，也没有送水车。", None),
    (1, 19, 1, "新生路停水", "新生路水岸花园停水快两天了，水管抢修进度没人通知，居民生活很不方便。", None),
)


def _grids(units: dict[str, Unit], community: str) -> list[Unit]:
    return sorted((u for code, u in units.items() if u.kind is UnitKind.GRID and code.startswith(community)),
                  key=lambda u: u.code)


def _report(session: Session, rng: random.Random, operator: User, grid: Unit, days: int, hour: int, title: str,
            text: str, channel: Channel) -> WorkOrder:
    lon, lat = geography.point_in(grid.geometry, rng) if grid.geometry else (None, None)
    at = (clock.now() - timedelta(days=days)).replace(hour=hour, minute=rng.randrange(60), second=0, microsecond=0)
    at = min(at, clock.now() - timedelta(minutes=30))
    data = OrderCreate(type=OrderType.COMPLAINT, channel=channel, title=title, content=text, latitude=lat,
                       longitude=lon, citizen_phone=f"136{rng.randrange(10**8):08d}")
    with clock.frozen(at):
        return order_service.create_order(session, data, actor=operator if channel is Channel.HOTLINE else None)


def build_repeated(session: Session, units: dict[str, Unit], *, operator: User, dispatcher: User) -> None:
    """Register the two matters' orders (they wait in the dispatcher's queue like any new order)."""
    rng = random.Random(SEED)
    site = _grids(units, NIGHT_WORKS_COMMUNITY)[0]
    for days, hour, title, text in NIGHT_WORKS:
        _report(session, rng, operator, site, days, hour, title, text, Channel.HOTLINE)
    estates = _grids(units, OUTAGE_COMMUNITY)
    for days, hour, grid, title, text, supports in OUTAGE:
        channel = Channel.WEB_BOARD if supports else Channel.HOTLINE
        order = _report(session, rng, operator, estates[grid % len(estates)], days, hour, title, text, channel)
        if supports:
            board.submit(session, order)
            session.flush()
            with clock.frozen(order.created_at + timedelta(hours=1)):
                post = board.publish(session, order.id, actor=dispatcher)
            post.supports = supports
            session.add_all(BoardSupport(order_id=order.id, supporter=f"demo-{order.id}-{n}", at=order.created_at)
                            for n in range(supports))
    session.flush()
