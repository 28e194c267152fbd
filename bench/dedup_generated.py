"""Generated pairs of reports for the duplicate benchmark: one matter at one place told by different people
through different doors, and the two look-alikes a dispatcher must keep apart (the same place with another
matter, the same matter at another place). Written for the benchmark; no citizen's words.

Each matter has several wordings by different people; places are invented estates, roads and buildings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

# Each matter: wordings (title, detail) with {place} where the reporter names it.
MATTERS: dict[str, tuple[tuple[str, str], ...]] = {
    "lamp": (
        ("{place}路灯不亮", "{place}3栋门口的路灯坏了一个多星期，晚上漆黑一片，老人出门不安全。"),
        ("路灯坏了没人修", "我住在{place}，三栋楼下那盏路灯一直不亮，昨晚走路差点摔倒，请派人修一下。"),
        ("反映{place}照明问题", "{place}3号楼附近的灯晚上不亮，黑灯瞎火的，孩子放学回家很害怕。"),
        ("{place}夜里没有灯", "网格巡查发现{place}3栋前路灯熄灭，灯头损坏，需要维修。"),
    ),
    "noise": (
        ("{place}工地夜间施工扰民", "{place}旁边的工地每天晚上十一点以后还在打桩，吵得根本睡不着。"),
        ("晚上施工太吵了", "{place}附近工地半夜还在施工，机器轰鸣，家里老人孩子都休息不好，请管一管。"),
        ("投诉{place}噪音", "{place}边上的建筑工地深夜作业，噪声很大，已经持续一周了。"),
    ),
    "garbage": (
        ("{place}垃圾没人清运", "{place}垃圾站的垃圾已经三天没人拉走了，臭气熏天，苍蝇很多。"),
        ("垃圾站臭气熏天", "我们{place}的垃圾堆满了没人清理，夏天气味太大，窗户都不敢开。"),
        ("{place}垃圾堆积", "{place}门口垃圾桶满溢，垃圾散落一地，希望环卫尽快清运。"),
    ),
    "water": (
        ("{place}停水", "{place}从今天早上开始停水，没有任何通知，到现在还没来水，做饭都成问题。"),
        ("家里没水了", "{place}整个小区都没水，打物业电话说是管道坏了，请问什么时候能恢复供水？"),
        ("{place}断水一天", "{place}断水快一天了，自来水公司也没有公告，居民生活很不方便。"),
    ),
    "parking": (
        ("{place}消防通道被占", "{place}的消防通道天天停满私家车，万一着火消防车根本进不来。"),
        ("车辆乱停堵塞通道", "{place}小区内车辆乱停，把消防通道都堵死了，物业也不管。"),
        ("{place}乱停车", "{place}2号楼前的消防通道长期被车辆占用，存在安全隐患。"),
    ),
    "manhole": (
        ("{place}井盖缺失", "{place}路口有一个井盖不见了，晚上很危险，已经有人踩空。"),
        ("路上有个洞没盖", "{place}门前路口的下水井盖丢了，只放了个树枝，骑车的人容易掉进去。"),
        ("{place}窨井盖破损", "巡查发现{place}路口窨井盖缺失，已临时围挡，请尽快补装。"),
    ),
    "fee": (
        ("{place}物业乱收费", "{place}物业今年把物业费从每平米1.2元涨到2元，没有开业主大会。"),
        ("物业费涨价不合理", "{place}物业公司擅自上调物业费，业主不同意，物业说不交就停水停电。"),
    ),
    "smoke": (
        ("{place}油烟扰民", "{place}楼下餐馆油烟直排，家里窗户都不能开，衣服全是油烟味。"),
        ("饭店油烟太大", "{place}临街门面的饭店没有装油烟净化器，油烟直接排到居民楼。"),
        ("{place}餐饮油烟污染", "{place}底商烧烤店每天晚上烟雾很大，呛得人喘不过气。"),
    ),
    "elevator": (
        ("{place}电梯经常坏", "{place}5栋电梯一个月坏了三次，上周还困了人，物业一直拖着不修。"),
        ("电梯故障困人", "{place}5号楼电梯又停了，住高层的老人没法下楼，请督促维修。"),
    ),
    "dog": (
        ("{place}流浪狗伤人", "{place}最近有几条流浪狗，已经咬伤了一个小孩，请相关部门处理。"),
        ("小区流浪狗太多", "{place}里流浪狗成群，晚上狂叫，还追着人跑，孩子不敢下楼。"),
    ),
}
ESTATES = ("幸福里小区", "阳光花园", "翠湖家园", "金桂苑", "南湖名都", "丽水湾小区", "东亭新村", "梨园小区",
           "锦绣华府", "紫阳花园", "新华里社区", "中北路小区", "楚河汉街", "积玉桥东区", "临江公寓")
DOORS = ("12345热线", "网上留言", "微邻里", "网格巡查")


@dataclass(frozen=True)
class Pair:
    id: str
    kind: str
    same: int
    a: tuple[str, str, datetime | None]
    b: tuple[str, str, datetime | None]


def _fill(wording: tuple[str, str], place: str) -> tuple[str, str]:
    return wording[0].format(place=place), wording[1].format(place=place)


def generate(count: int = 600, seed: int = 20261206) -> list[Pair]:
    """``count`` pairs, a third of each kind, seeded (the same pairs on every run)."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, 8, 0)
    pairs: list[Pair] = []
    matters = sorted(MATTERS)
    for index in range(count):
        kind = ("reworded", "same_place_other_matter", "same_matter_other_place")[index % 3]
        matter = rng.choice(matters)
        place = rng.choice(ESTATES)
        first = start + timedelta(days=rng.randrange(200), minutes=rng.randrange(600))
        second = first + timedelta(hours=rng.uniform(0.2, 24 * 10))
        wordings = MATTERS[matter]
        if kind == "reworded":
            left, right = rng.sample(range(len(wordings)), 2)
            a, b = _fill(wordings[left], place), _fill(wordings[right], place)
            same = 1
        elif kind == "same_place_other_matter":
            other = rng.choice([m for m in matters if m != matter])
            a, b = _fill(rng.choice(wordings), place), _fill(rng.choice(MATTERS[other]), place)
            same = 0
        else:
            elsewhere = rng.choice([p for p in ESTATES if p != place])
            left = rng.randrange(len(wordings))
            right = left if rng.random() < 0.5 else rng.randrange(len(wordings))
            a, b = _fill(wordings[left], place), _fill(wordings[right], elsewhere)
            same = 0
        pairs.append(Pair(f"g{index + 1:04d}", kind, same, (*a, first), (*b, second)))
    return pairs
