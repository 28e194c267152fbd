"""The demo city's geography: 武昌区 (Wuchang, Wuhan) in the jurisdiction file format of docs/map-format.md.

The geometry is synthetic but plausible: a district outline on the east bank of the Yangtze with East Lake
to the east, streets placed roughly where the real ones are, communities and grids cut from them as
Voronoi cells so that every level tiles its parent exactly. Names of streets, lakes, roads and landmarks
are real; communities, estates, companies and people are invented.

Everything is deterministic: one seeded ``random.Random``, coordinates snapped to 1e-6 degrees, no
iteration over sets, so every call on every machine (with the same GEOS) gives the same files.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

__all__ = ["demo_map", "demo_posts"]

_SEED = 12345
# Output coordinates have 6 decimals (~0.1 m); the units are snapped to that grid before they are written
# (see _snap_to_grid), so what is written is exactly what was checked.
_GRID = 1e-6
_LON0, _LAT0 = 114.31, 30.55
# Voronoi cells are cut in a local metric frame so that they come out round rather than stretched east-west.
_KX = math.cos(math.radians(_LAT0))
_DEG_LAT_M = 111_320.0

DISTRICT_CODE = "420106"
DISTRICT_NAME = "武昌区"

DEPARTMENTS = (("420106-D-城管", "区城管执法局"), ("420106-D-住建", "区住房和城市更新局"),
               ("420106-D-市监", "区市场监管局"), ("420106-D-环保", "区生态环境分局"),
               ("420106-D-交管", "区交通大队"), ("420106-D-水务", "区水务和湖泊局"),
               ("420106-D-人社", "区人力资源和社会保障局"), ("420106-D-教育", "区教育局"),
               ("420106-D-卫健", "区卫生健康局"), ("420106-D-房管", "区房管局"),
               ("420106-D-公安", "区公安分局"), ("420106-D-应急", "区应急管理局"), ("420106-D-消防", "区消防救援大队"),
               ("420106-D-民政", "区民政局"), ("420106-D-交通", "区交通运输局"), ("420106-D-文旅", "区文化和旅游局"),
               ("420106-D-规划", "区自然资源和规划局"), ("420106-D-医保", "区医疗保障局"))

# The outline, clockwise from the south-west: the Yangtze bank up to the 二七 bridge, the boundary with
# 青山区 and 洪山区 across the north, the East Lake shore down the east side, the south past 南湖.
_OUTLINE = (
    (114.262, 30.492), (114.266, 30.503), (114.274, 30.516), (114.283, 30.530), (114.290, 30.542),
    (114.293, 30.551), (114.297, 30.561), (114.304, 30.572), (114.312, 30.582), (114.318, 30.592),
    (114.326, 30.603), (114.334, 30.612),
    (114.348, 30.607), (114.360, 30.598), (114.368, 30.586),
    (114.372, 30.576), (114.371, 30.566), (114.374, 30.556), (114.378, 30.546), (114.377, 30.536),
    (114.372, 30.526), (114.366, 30.516), (114.362, 30.505), (114.358, 30.494),
    (114.345, 30.488), (114.330, 30.489), (114.315, 30.487), (114.300, 30.489), (114.285, 30.486),
    (114.272, 30.487),
)
_RIVER_BANK = _OUTLINE[:12]
_EAST_LAKE_SHORE = _OUTLINE[14:22]

# (name, seed point, community name stems to draw from). The seed points are the streets' rough real
# centres; the Voronoi cells around them become the streets.
_STREETS: tuple[tuple[str, tuple[float, float], tuple[str, ...]], ...] = (
    ("积玉桥街", (114.306, 30.567), ()),
    ("杨园街", (114.318, 30.582), ("杨园", "四美塘", "余家头", "铁机村", "星光", "和平新村", "车辆厂", "红旗",
                                  "紫都", "长江苑", "新生路", "工人村", "铁路", "杨园南")),
    ("徐家棚街", (114.336, 30.598), ("徐家棚", "徐东", "秦园", "三层楼", "新河", "沙湖", "翠园", "水岸", "湖大",
                                    "友谊", "北环", "丽岛", "东方", "临湖")),
    ("粮道街", (114.311, 30.553), ("昙华林", "胭脂山", "三角市", "都府堤", "民主路", "西城壕", "大成路", "涵三宫",
                                  "候补街", "粮道", "荆南街", "云架桥", "戈甲营", "察院坡")),
    ("中华路街", (114.297, 30.555), ("中华路", "长江", "汉阳门", "解放路", "户部", "司门口", "青石桥", "筷子街",
                                    "斗级营", "黄鹤", "江滩", "花堤", "武昌码头", "新码头")),
    ("黄鹤楼街", (114.300, 30.542), ("蛇山", "大东门", "高家巷", "阅马场", "彭家巷", "凤凰山", "文华", "自由路",
                                    "武昌路", "长春观", "黄鹄", "城墙", "鼓楼", "太平")),
    ("紫阳街", (114.308, 30.530), ("紫阳", "彭刘杨", "张之洞", "保安街", "船厂", "紫阳湖", "首义园", "西城",
                                  "平湖门", "学府", "湖光", "望山门", "起义街", "紫荆")),
    ("白沙洲街", (114.281, 30.504), ("白沙洲", "烽火", "张家湾", "白沙", "江南", "新城", "长港", "武泰闸",
                                    "陆家街", "江堤", "晨光", "沿港", "复地", "青菱")),
    ("首义路街", (114.318, 30.540), ("首义", "起义门", "读书院", "中和", "宝积庵", "海洋", "楚材", "红楼",
                                    "阅马", "楚望", "黄土坡", "翠微", "文化", "武昌城")),
    ("中南路街", (114.333, 30.548), ("中南", "丁字桥", "姚家岭", "晒湖", "中南二路", "宏基", "公正", "省建",
                                    "中商", "洪广", "城市花园", "武泰", "中港", "楚河")),
    ("水果湖街", (114.355, 30.562), ("水果湖", "东湖路", "茶港", "省委", "洪山路", "双湖桥", "楚天", "湖北村",
                                    "放鹰台", "梨园", "小洪山", "翠柳村", "黄鹂路", "东湖林苑")),
    ("珞珈山街", (114.362, 30.534), ("珞珈山", "武大", "东湖新村", "珞南", "八一路", "街道口", "新村", "劝业场",
                                    "湖滨", "磨山", "珞珈", "樱园", "桂园", "枫园")),
    ("石洞街", (114.311, 30.511), ("石洞", "武车", "余家湖", "大堤口", "铁道", "新建", "武九", "星火", "电厂",
                                  "火车站", "武昌南", "宁静", "东升", "湖畔")),
    ("南湖街", (114.341, 30.505), ("南湖", "南湖花园", "中央花园", "宝安", "松涛", "平安", "湖景", "紫菱", "雅园",
                                  "百瑞景", "都市桃源", "华锦", "宁松", "瑞景")),
)

# 积玉桥街 is the street the demo is about; its figures are the real ones after the 2024 re-gridding
# (12 communities, 122 grids merged into 81, 42,842 households). (community, seed, its estate): the seeds
# put the riverside communities by the river and 万达 by 和平大道.
_JIYUQIAO: tuple[tuple[str, tuple[float, float], str], ...] = (
    ("和平社区", (114.3080, 30.5645), "和平苑"), ("积玉桥社区", (114.3090, 30.5690), "积玉桥小区"),
    ("临江社区", (114.3035, 30.5665), "临江花园"), ("复兴社区", (114.3010, 30.5625), "复兴里"),
    ("得胜社区", (114.3060, 30.5610), "得胜苑"), ("滨江社区", (114.3065, 30.5720), "滨江苑"),
    ("团结社区", (114.3145, 30.5715), "团结新村"), ("中山社区", (114.3120, 30.5620), "中山公寓"),
    ("东亭社区", (114.3225, 30.5665), "东亭小区"), ("锦江社区", (114.3105, 30.5740), "锦江名苑"),
    ("文昌社区", (114.3185, 30.5645), "文昌阁小区"), ("万达社区", (114.3130, 30.5670), "万达公馆"),
)
_JIYUQIAO_GRIDS = 81
_JIYUQIAO_HOUSEHOLDS = 42_842
_JIYUQIAO_STAFF = (153, 121)

_GRID_KINDS = (("residential", 80), ("commercial", 10), ("construction", 4), ("other", 6))
_HOUSEHOLDS = {"residential": (450, 600), "commercial": (60, 240), "construction": (0, 60), "other": (80, 300)}

# Estates (小区) of the other streets; each lands in a community drawn from its street.
_ESTATES: dict[str, tuple[str, ...]] = {
    "杨园街": ("杨园小区", "铁四院宿舍", "四美塘花园", "长江紫都"),
    "徐家棚街": ("徐东小区", "秦园新村", "沙湖港湾", "三层楼小区"),
    "粮道街": ("昙华林小区", "胭脂路小区", "粮道街小区"),
    "中华路街": ("汉阳门花园", "长江苑", "中华路小区"),
    "黄鹤楼街": ("大东门小区", "蛇山新村", "复兴路小区"),
    "紫阳街": ("紫阳湖畔", "彭刘杨小区", "紫阳公馆"),
    "白沙洲街": ("白沙洲花园", "烽火小区", "张家湾小区", "江南家园"),
    "首义路街": ("首义小区", "起义门小区", "首义园"),
    "中南路街": ("中南花园", "丁字桥小区", "姚家岭小区", "晒湖小区"),
    "水果湖街": ("东湖路小区", "水果湖小区", "茶港小区", "楚天都市花园"),
    "珞珈山街": ("珞珈山庄", "东湖春树里", "珞南小区"),
    "石洞街": ("石洞小区", "武车小区", "余家湖小区"),
    "南湖街": ("南湖花园", "中央花园", "宝安花园", "松涛苑", "平安小区"),
}
# (estate, property company): the estates with a company (物业) get an estate polygon; every fourth
# also has an owners' committee (业委会).
_PROPERTIES = (("滨江苑", "长江物业"), ("万达公馆", "万达物业"), ("东亭小区", "武汉城市物业"), ("和平苑", "楚天物业"),
               ("沙湖港湾", "福星惠誉物业"), ("楚天都市花园", "中南物业"), ("南湖花园", "东湖物业"),
               ("中央花园", "金地物业"), ("白沙洲花园", "碧桂园服务"), ("东湖春树里", "保利物业"),
               ("长江紫都", "长江物业"), ("紫阳公馆", "金地物业"))
_COMMITTEES = ("滨江苑", "东亭小区", "沙湖港湾", "南湖花园", "中央花园", "紫阳公馆")

# (name, lon, lat, aliases): placed roughly where they are.
_LANDMARKS: tuple[tuple[str, float, float, tuple[str, ...]], ...] = (
    ("积玉桥地铁站", 114.3085, 30.5640, ("积玉桥站",)),
    ("黄鹤楼", 114.3022, 30.5446, ("黄鹤楼公园",)),
    ("武汉大学", 114.3650, 30.5405, ("武大",)),
    ("湖北省博物馆", 114.3640, 30.5610, ("省博",)),
    ("中南医院", 114.3530, 30.5570, ("武汉大学中南医院",)),
    ("首义广场", 114.3050, 30.5390, ()),
    ("武昌火车站", 114.3170, 30.5290, ("武昌站",)),
    ("楚河汉街", 114.3400, 30.5580, ("汉街",)),
    ("武汉长江大桥武昌桥头", 114.2960, 30.5480, ("长江大桥武昌桥头",)),
    ("户部巷", 114.3000, 30.5500, ()),
    ("湖北大学", 114.3320, 30.5815, ("湖大",)),
    ("中南财经政法大学首义校区", 114.3210, 30.5410, ("中南财大首义校区",)),
    ("宝通禅寺", 114.3380, 30.5320, ("宝通寺",)),
    ("武昌江滩", 114.2985, 30.5600, ("江滩",)),
    ("东亭公园", 114.3520, 30.5720, ()),
    ("沙湖公园", 114.3200, 30.5660, ()),
    ("洪山广场", 114.3360, 30.5460, ()),
    ("湖北省人民医院", 114.2990, 30.5360, ("武汉大学人民医院", "省人民医院")),
    ("省委", 114.3540, 30.5490, ("湖北省委",)),
    ("武汉音乐学院", 114.3040, 30.5330, ("武音",)),
    ("昙华林", 114.3100, 30.5530, ("昙华林历史文化街区",)),
    ("辛亥革命武昌起义纪念馆", 114.3045, 30.5420, ("红楼",)),
    ("紫阳公园", 114.3090, 30.5330, ()),
    ("徐家棚地铁站", 114.3290, 30.5930, ("徐家棚站",)),
    ("中南路地铁站", 114.3370, 30.5400, ("中南路站",)),
    ("武汉长江二桥武昌桥头", 114.3230, 30.5920, ("长江二桥武昌桥头",)),
)

# Lakes: (name, centre, half-axes in metres). 东湖 and 长江 are built from the outline instead.
_LAKES: tuple[tuple[str, tuple[float, float], tuple[float, float]], ...] = (
    ("沙湖", (114.3320, 30.5705), (1100.0, 620.0)),
    ("紫阳湖", (114.3085, 30.5350), (300.0, 190.0)),
    ("晒湖", (114.3275, 30.5500), (250.0, 170.0)),
    ("南湖", (114.3400, 30.4990), (1500.0, 750.0)),
)
# East Lake and the Yangtze lie outside the district: complaints about them come from the bank, so the
# bank counts as near them further out than the 50 m default.
_OUTER_WATER_BUFFER_M = 100

_ROADS: tuple[tuple[str, tuple[tuple[float, float], ...]], ...] = (
    ("和平大道", ((114.2995, 30.5520), (114.3055, 30.5600), (114.3110, 30.5680), (114.3190, 30.5790),
                  (114.3290, 30.5930), (114.3380, 30.6060))),
    ("中山路", ((114.3170, 30.5270), (114.3120, 30.5370), (114.3080, 30.5470), (114.3095, 30.5560),
                (114.3060, 30.5660))),
    ("武珞路", ((114.3030, 30.5430), (114.3150, 30.5410), (114.3280, 30.5370), (114.3420, 30.5310),
                (114.3560, 30.5270), (114.3680, 30.5240))),
    ("中北路", ((114.3360, 30.5470), (114.3380, 30.5580), (114.3420, 30.5720), (114.3460, 30.5860),
                (114.3480, 30.5980))),
    ("友谊大道", ((114.3110, 30.5690), (114.3230, 30.5800), (114.3360, 30.5870), (114.3520, 30.5950),
                  (114.3580, 30.5960))),
    ("徐东大街", ((114.3220, 30.5920), (114.3350, 30.5900), (114.3500, 30.5870), (114.3630, 30.5850))),
    ("临江大道", ((114.2790, 30.5200), (114.2870, 30.5330), (114.2935, 30.5440), (114.2960, 30.5520),
                  (114.2995, 30.5610), (114.3065, 30.5720), (114.3140, 30.5820), (114.3210, 30.5930),
                  (114.3290, 30.6040))),
    ("中南路", ((114.3360, 30.5470), (114.3385, 30.5400), (114.3410, 30.5310))),
    ("雄楚大道", ((114.3050, 30.5150), (114.3250, 30.5130), (114.3450, 30.5120), (114.3600, 30.5115))),
)

_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
             "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
             "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢",
             "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "付", "方", "邹", "熊", "秦",
             "江", "雷", "龚", "万", "严", "覃", "喻", "涂", "艾", "闵", "祝", "舒")
_GIVEN_NAMES = ("伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
                "秀英", "霞", "平", "刚", "桂英", "华", "建华", "玉兰", "红", "文", "斌", "慧", "婷", "雪", "琳",
                "晨", "浩", "宇", "欣怡", "子涵", "志强", "海燕", "春梅", "建国", "晓燕", "丽华", "国平", "德明",
                "爱华", "小红", "金凤", "玉梅", "俊", "鹏", "波", "辉", "健", "亮", "萍", "燕", "琴", "蓉", "梅",
                "莉", "倩", "颖", "佳", "晶", "丹", "凤", "兰", "荣", "新民", "志刚", "卫东", "红梅", "春华",
                "立新", "永红", "文杰", "思远", "雨涵", "梓萱", "一鸣", "嘉怡", "子轩", "俊杰", "晓东", "汉生",
                "楚雄", "江华", "武军", "少华", "光明", "秋云", "冬梅", "学兵", "友谊")
# Names of the demo's accounts (city.py) stay theirs; 李娜 is given to the demo grid worker below.
_RESERVED_NAMES = ("陈晓", "刘敏", "张伟", "李娜", "王强", "赵静")
_PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "158", "159", "180", "186", "187", "188", "189")
_CN_NUMBERS = ("一", "二", "三", "四")

_GRIDWORKER = ("李娜", "gridworker")
_POSTS_FIRST_DAY = date(2024, 1, 1)
_POSTS_LAST_DAY = date(2026, 10, 31)


# --- geometry helpers -------------------------------------------------------------------------------


def _to_metric(geom: Any) -> Any:
    """Geometry (or an array of them) in a local frame where a unit is the same distance both ways."""
    return shapely.transform(geom, lambda c: (c - (_LON0, _LAT0)) * (_KX, 1.0))


def _from_metric(geom: Any) -> Any:
    return shapely.transform(geom, lambda c: c / (_KX, 1.0) + (_LON0, _LAT0))


def _clip(geom: Any, parent: BaseGeometry) -> Any:
    return shapely.intersection(geom, parent, grid_size=_GRID)


def _voronoi(parent: BaseGeometry, seeds: list[tuple[float, float]]) -> list[BaseGeometry]:
    """Each seed's Voronoi cell clipped to the parent, in the seeds' order."""
    points = _to_metric(MultiPoint(seeds))
    diagram = shapely.voronoi_polygons(points, extend_to=_to_metric(parent))
    raw = shapely.get_parts(diagram)
    # Matched by containment rather than voronoi_polygons(ordered=True), which needs shapely 2.1.
    xs, ys = shapely.get_coordinates(points).T
    order = [0] * len(seeds)
    for i, cell in enumerate(raw):
        order[int(shapely.contains_xy(cell, xs, ys).argmax())] = i
    cells = _from_metric(raw[order])
    return list(shapely.intersection(cells, parent))


def point_in(geometry: dict[str, object], rng: random.Random) -> tuple[float, float]:
    """A point drawn inside a unit's area (GeoJSON geometry), as (longitude, latitude) to six places: where a
    demo report is made from."""
    area = shape(geometry)
    min_x, min_y, max_x, max_y = area.bounds
    for _ in range(50):
        point = Point(rng.uniform(min_x, max_x), rng.uniform(min_y, max_y))
        if area.contains(point):
            return round(point.x, 6), round(point.y, 6)
    inside = area.representative_point()
    return round(inside.x, 6), round(inside.y, 6)


def _random_point_in(rng: random.Random, geom: BaseGeometry, margin: float = 0.0) -> tuple[float, float]:
    area = geom.buffer(-margin) if margin else geom
    if area.is_empty:
        area = geom
    minx, miny, maxx, maxy = area.bounds
    for _ in range(1000):
        x, y = round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6)
        if area.contains(Point(x, y)):
            return x, y
    p = area.representative_point()
    return round(p.x, 6), round(p.y, 6)


def _relax(parent: BaseGeometry, seeds: list[tuple[float, float]], rounds: int,
           water: BaseGeometry) -> list[tuple[float, float]]:
    """Lloyd relaxation: random seeds give ragged cells; moving each to the centre of its cell's land evens
    them out while keeping every seed on land, so that lakes are shared out among lakeside units."""
    land = parent.difference(water)
    for _ in range(rounds):
        moved: list[tuple[float, float]] = []
        for seed, cell in zip(seeds, shapely.intersection(_voronoi(parent, seeds), land), strict=True):
            if cell.is_empty:
                moved.append(seed)
                continue
            centre = cell.centroid
            if not cell.contains(centre):
                centre = cell.representative_point()
            # Rounded so that last-bit differences between platforms do not carry into the next round.
            moved.append((round(centre.x, 7), round(centre.y, 7)))
        seeds = moved
    return seeds


def _tile(parent: BaseGeometry, seeds: list[tuple[float, float]]) -> list[BaseGeometry]:
    """Cut the parent into one polygon per seed.

    A cell clipped to a concave parent can fall apart; its stray pieces go to the sibling they share the
    longest border with, so that every unit is one Polygon.
    """
    cells = _voronoi(parent, seeds)
    for i, (cell, (x, y)) in enumerate(zip(cells, seeds, strict=True)):
        if cell.geom_type != "MultiPolygon":
            continue
        parts = sorted(cell.geoms, key=lambda g: (not g.covers(Point(x, y)), -g.area))
        cells[i] = parts[0]
        for stray in parts[1:]:
            borders = [(shapely.intersection(stray.boundary, other).length, j)
                       for j, other in enumerate(cells) if j != i]
            _, j = max(borders)
            cells[j] = shapely.union(cells[j], stray)
    return cells


def _merge(parts: list[BaseGeometry]) -> BaseGeometry:
    merged = shapely.union_all(parts, grid_size=_GRID)
    if merged.geom_type != "Polygon":
        raise AssertionError(f"children do not form one polygon: {merged.geom_type}")
    return merged


def _snap_to_grid(streets: list[_Street]) -> BaseGeometry:
    """Put every unit on the 1e-6 grid of the output and return the district's outline.

    Snapping each polygon on its own would move the points where a cut crosses its parent's edge a few
    centimetres off that edge, differently in each polygon, leaving slivers of overlap and gap. So the
    grids' edges are snapped together as one set of lines, the faces between them become the grids, and
    every unit above is the union of its children: siblings share their edges exactly and every level
    covers its parent exactly.
    """
    grids = [g for s in streets for c in s.communities for g in c.grids]
    lines = shapely.union_all(shapely.boundary([g.geometry for g in grids]), grid_size=_GRID)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    tree = shapely.STRtree([g.geometry for g in grids])
    owned: list[list[BaseGeometry]] = [[] for _ in grids]
    for face in faces:
        # Faces are the grids themselves up to the snapping, so a point well inside a face is inside its grid;
        # only a face that is all sliver needs the slower test of which grid holds most of it.
        candidates = tree.query(face.representative_point(), predicate="within")
        if len(candidates) != 1:
            candidates = tree.query(face, predicate="intersects")
            candidates = [max(candidates, key=lambda i: (shapely.intersection(face, grids[i].geometry).area, -i))]
        owned[int(candidates[0])].append(face)
    for grid, parts in zip(grids, owned, strict=True):
        grid.geometry = _merge(parts)
    for street in streets:
        for community in street.communities:
            community.unit.geometry = _merge([g.geometry for g in community.grids])
        street.unit.geometry = _merge([c.unit.geometry for c in street.communities])
    return _merge([s.unit.geometry for s in streets])


def _ellipse(centre: tuple[float, float], half_axes_m: tuple[float, float], rng: random.Random) -> Polygon:
    """A lake-like blob: an ellipse with a wobbling radius."""
    phase2, phase3 = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
    rx = half_axes_m[0] / (_DEG_LAT_M * _KX)
    ry = half_axes_m[1] / _DEG_LAT_M
    ring = []
    for k in range(48):
        t = 2 * math.pi * k / 48
        r = 1 + 0.12 * math.sin(2 * t + phase2) + 0.07 * math.sin(3 * t + phase3)
        ring.append((centre[0] + rx * r * math.cos(t), centre[1] + ry * r * math.sin(t)))
    return Polygon(ring)


def _geojson(geom: BaseGeometry | None) -> dict[str, Any] | None:
    if geom is None:
        return None

    def ring(coords: Any) -> list[list[float]]:
        return [[round(x, 6), round(y, 6)] for x, y in coords]

    def polygon(p: Polygon) -> list[list[list[float]]]:
        p = orient(p, sign=1.0)  # RFC 7946: exterior rings counter-clockwise
        return [ring(p.exterior.coords), *(ring(r.coords) for r in p.interiors)]

    kind = geom.geom_type
    if kind == "Point":
        return {"type": "Point", "coordinates": [round(geom.x, 6), round(geom.y, 6)]}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": ring(geom.coords)}
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": polygon(geom)}
    if kind == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [polygon(p) for p in geom.geoms]}
    raise ValueError(f"unexpected geometry {kind}")


# --- numbers ----------------------------------------------------------------------------------------


def _apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder), each >= ``minimum``."""
    rest = total - minimum * len(weights)
    if rest < 0:
        raise ValueError("total too small for the minimum")
    scale = rest / sum(weights)
    exact = [w * scale for w in weights]
    shares = [math.floor(e) for e in exact]
    # Ties are broken by position so the result never depends on sort stability quirks.
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: rest - sum(shares)]:
        shares[i] += 1
    return [s + minimum for s in shares]


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


# --- the model --------------------------------------------------------------------------------------


@dataclass
class _Unit:
    code: str
    name: str
    kind: str
    parent: str | None
    geometry: BaseGeometry | None = None
    props: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Community:
    unit: _Unit
    grids: list[_Unit]


@dataclass
class _Street:
    unit: _Unit
    communities: list[_Community]


@dataclass
class _Zone:
    code: str
    name: str
    kind: str
    geometry: BaseGeometry | None
    props: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Place:
    name: str
    kind: str
    geometry: BaseGeometry
    unit: str
    aliases: list[str]


@dataclass
class _City:
    units: list[_Unit]
    streets: list[_Street]
    zones: list[_Zone]
    places: list[_Place]


def _street_polygons(district: BaseGeometry) -> list[BaseGeometry]:
    return _tile(district, [seed for _, seed, _ in _STREETS])


def _seeds(rng: random.Random, parent: BaseGeometry, count: int, water: BaseGeometry,
           rounds: int) -> list[tuple[float, float]]:
    land = parent.difference(water)
    seeds = [_random_point_in(rng, land if not land.is_empty else parent) for _ in range(count)]
    seeds = _relax(parent, seeds, rounds, water)
    # Numbered from the north-west, the way a map is read.
    return sorted(seeds, key=lambda s: (-round(s[1], 4), s[0]))


def _build_grids(rng: random.Random, community: _Unit, count: int, water: BaseGeometry) -> list[_Unit]:
    assert community.geometry is not None
    seeds = _seeds(rng, community.geometry, count, water, rounds=2)
    grids = []
    for n, cell in enumerate(_tile(community.geometry, seeds), start=1):
        kind = _weighted(rng, _GRID_KINDS)
        households = rng.randint(*_HOUSEHOLDS[kind])
        if shapely.intersection(cell, water).area > 0.5 * cell.area:
            # Mostly lake: only the homes along its shore.
            kind, households = "other", households // 5
        grids.append(_Unit(f"{community.code}{n:03d}", f"{community.name}{n}网格", "grid", community.code, cell,
                           {"households": households, "grid_kind": kind}))
    return grids


def _set_jiyuqiao_households(grids: list[_Unit]) -> None:
    """Bring the grids' households to the real total, moving only residential grids."""
    fixed = sum(g.props["households"] for g in grids if g.props["grid_kind"] != "residential")
    residential = [g for g in grids if g.props["grid_kind"] == "residential"]
    shares = _apportion(_JIYUQIAO_HOUSEHOLDS - fixed, [float(g.props["households"]) for g in residential])
    for grid, households in zip(residential, shares, strict=True):
        grid.props["households"] = households


def _build_streets(rng: random.Random, district: BaseGeometry, water: BaseGeometry) -> list[_Street]:
    streets: list[_Street] = []
    for index, ((name, _, stems), polygon) in enumerate(zip(_STREETS, _street_polygons(district), strict=True)):
        code = f"{DISTRICT_CODE}{index + 1:03d}"
        street = _Unit(code, name, "street", DISTRICT_CODE, polygon)
        if name == "积玉桥街":
            names = [n for n, _, _ in _JIYUQIAO]
            seeds = _relax(polygon, [s for _, s, _ in _JIYUQIAO], 2, water)
            grid_total = _JIYUQIAO_GRIDS
        else:
            count = rng.randint(6, 14)
            names = [f"{stem}社区" for stem in rng.sample(stems, count)]
            seeds = _seeds(rng, polygon, count, water, rounds=3)
            grid_total = rng.randint(55, 95)
        cells = _tile(polygon, seeds)
        # Grids per community follow the land area so that grids come out of a similar size within a street.
        grid_counts = _apportion(grid_total, [c.difference(water).area for c in cells], minimum=3)
        communities = []
        for n, (cname, cell, grid_count) in enumerate(zip(names, cells, grid_counts, strict=True), start=1):
            unit = _Unit(f"{code}{n:03d}", cname, "community", code, cell)
            communities.append(_Community(unit, _build_grids(rng, unit, grid_count, water)))
        if name == "积玉桥街":
            _set_jiyuqiao_households([g for c in communities for g in c.grids])
            posts = _apportion(_JIYUQIAO_STAFF[0], [len(c.grids) + 6.0 for c in communities])
            filled = _apportion(_JIYUQIAO_STAFF[1], [float(p) for p in posts])
        else:
            posts = [len(c.grids) + 6 + rng.randint(-1, 2) for c in communities]
            filled = [p - rng.choice((0, 0, 1, 1, 2, 3)) for p in posts]
        for community, p, f in zip(communities, posts, filled, strict=True):
            community.unit.props = {"households": sum(g.props["households"] for g in community.grids),
                                    "staff_posts": p, "staff_filled": f}
        streets.append(_Street(street, communities))
    return streets


def _outer_water(edge: tuple[tuple[float, float], ...], district: BaseGeometry, width_m: float) -> BaseGeometry:
    """A strip of water along an edge of the district, outside it (the Yangtze, East Lake's west shore)."""
    band = LineString(edge).buffer(width_m / _DEG_LAT_M, cap_style="flat")
    water = _clip(band.difference(district), band)
    if water.geom_type == "MultiPolygon":
        water = max(water.geoms, key=lambda g: g.area)
    return water


def _areas(street: _Street) -> list[list[_Community]]:
    """Group a street's communities into 3-4 片区 by their bearing from the street's centre."""
    assert street.unit.geometry is not None
    centre = street.unit.geometry.centroid

    def bearing(c: _Community) -> float:
        assert c.unit.geometry is not None
        p = c.unit.geometry.representative_point()
        return math.atan2(p.y - centre.y, (p.x - centre.x) * _KX)

    ordered = sorted(street.communities, key=lambda c: (bearing(c), c.unit.code))
    groups = 3 if len(ordered) <= 9 else 4
    sizes = _apportion(len(ordered), [1.0] * groups)
    out, start = [], 0
    for size in sizes:
        out.append(ordered[start:start + size])
        start += size
    return out


def _build_waters(rng: random.Random, district: BaseGeometry) -> list[_Zone]:
    zones = []
    for name, centre, axes in _LAKES:
        lake = _clip(_ellipse(centre, axes, rng), district)
        zones.append(_Zone(f"Z-W-{name}", name, "water", lake))
    zones.append(_Zone("Z-W-东湖", "东湖", "water", _outer_water(_EAST_LAKE_SHORE, district, 1500),
                       {"buffer_m": _OUTER_WATER_BUFFER_M}))
    zones.append(_Zone("Z-W-长江", "长江", "water", _outer_water(_RIVER_BANK, district, 1200),
                       {"buffer_m": _OUTER_WATER_BUFFER_M}))
    return zones


def _build_zones(waters: list[_Zone], streets: list[_Street]) -> list[_Zone]:
    zones = list(waters)
    for name, points in _ROADS:
        zones.append(_Zone(f"Z-R-{name}", name, "road", LineString(points)))
    for street in streets:
        for n, group in enumerate(_areas(street), start=1):
            zones.append(_Zone(f"Z-A-{street.unit.code}-{n}", f"{street.unit.name}第{_CN_NUMBERS[n - 1]}片区", "area",
                               None, {"communities": [c.unit.code for c in group]}))
    return zones


def _finest_unit(point: Point, streets: list[_Street]) -> str:
    for street in streets:
        assert street.unit.geometry is not None
        if not street.unit.geometry.covers(point):
            continue
        for community in street.communities:
            assert community.unit.geometry is not None
            if not community.unit.geometry.covers(point):
                continue
            for grid in community.grids:
                assert grid.geometry is not None
                if grid.geometry.covers(point):
                    return grid.code
            return community.unit.code
        return street.unit.code
    return DISTRICT_CODE


def _estates(rng: random.Random, streets: list[_Street], water: BaseGeometry) -> tuple[list[_Place], list[_Unit]]:
    places: list[_Place] = []
    units: list[_Unit] = []
    counters: dict[str, list[int]] = {}
    for street in streets:
        if street.unit.name == "积玉桥街":
            pairs = [(e, c) for (_, _, e), c in zip(_JIYUQIAO, street.communities, strict=True)]
        else:
            pairs = [(e, rng.choice(street.communities)) for e in _ESTATES[street.unit.name]]
        for estate, community in pairs:
            homes = [g for g in community.grids if g.props["grid_kind"] == "residential"]
            grid = rng.choice(homes or community.grids)
            assert grid.geometry is not None
            x, y = _random_point_in(rng, grid.geometry.difference(water), margin=0.0004)
            alias = estate[:-2] if estate.endswith("小区") else f"{estate}小区"
            places.append(_Place(estate, "estate", Point(x, y), community.unit.code, [alias]))
            counts = counters.setdefault(community.unit.code, [0, 0])
            company = next((c for e, c in _PROPERTIES if e == estate), None)
            if company is not None:
                counts[0] += 1
                # Kept clear of the grid's edge rather than clipped to it, which would snap it a hair outside.
                room = _to_metric(grid.geometry).exterior.distance(_to_metric(Point(x, y)))
                radius = min(90 / _DEG_LAT_M, 0.8 * room)
                plot = shapely.set_precision(_from_metric(_to_metric(Point(x, y)).buffer(radius, quad_segs=4)), _GRID)
                units.append(_Unit(f"{community.unit.code}-WY{counts[0]}", f"{company}{estate}项目部", "property",
                                   community.unit.code, plot))
            if estate in _COMMITTEES:
                counts[1] += 1
                units.append(_Unit(f"{community.unit.code}-YWH{counts[1]}", f"{estate}业主委员会", "committee",
                                   community.unit.code))
    return places, units


def _build_places(rng: random.Random, streets: list[_Street], water: BaseGeometry) -> tuple[list[_Place], list[_Unit]]:
    places: list[_Place] = []
    for street in streets:
        assert street.unit.geometry is not None
        stem = street.unit.name.removesuffix("街")
        places.append(_Place(street.unit.name, "street", street.unit.geometry.representative_point(), street.unit.code,
                             [f"{stem}街道", stem]))
    for street in streets:
        for community in street.communities:
            assert community.unit.geometry is not None
            places.append(_Place(community.unit.name, "community", community.unit.geometry.representative_point(),
                                 community.unit.code, [community.unit.name.removesuffix("社区")]))
    for name, points in _ROADS:
        places.append(_Place(name, "road", LineString(points), DISTRICT_CODE, []))
    estates, estate_units = _estates(rng, streets, water)
    places.extend(estates)
    for name, lon, lat, aliases in _LANDMARKS:
        point = Point(lon, lat)
        places.append(_Place(name, "landmark", point, _finest_unit(point, streets), list(aliases)))
    _dedupe_aliases(places)
    return places, estate_units


def _dedupe_aliases(places: list[_Place]) -> None:
    """An alias must name one place. Hand-picked aliases (streets', landmarks') win over derived ones
    (a community's name without 社区, an estate's with or without 小区), and among those the wider place
    wins: "积玉桥" is the street, not 积玉桥社区, and "武大" is 武汉大学, not 武大社区. An alias that is
    another place's name is dropped."""
    names = {p.name for p in places}
    rank = {"street": 0, "landmark": 1, "road": 2, "community": 3, "estate": 4}
    taken: dict[str, str] = {}
    kept: dict[int, list[str]] = {}
    for index in sorted(range(len(places)), key=lambda i: (rank[places[i].kind], i)):
        place = places[index]
        kept[index] = []
        for alias in place.aliases:
            if alias in names or taken.setdefault(alias, place.name) != place.name:
                continue
            kept[index].append(alias)
    for index, place in enumerate(places):
        place.aliases = kept[index]


def _build_city() -> _City:
    rng = random.Random(_SEED)
    district_polygon = shapely.set_precision(Polygon(_OUTLINE), _GRID)
    district = _Unit(DISTRICT_CODE, DISTRICT_NAME, "district", None, district_polygon, {"number_prefix": "WC"})
    waters = _build_waters(rng, district_polygon)
    lakes = shapely.union_all([w.geometry for w in waters if "buffer_m" not in w.props])
    streets = _build_streets(rng, district_polygon, lakes)
    district.geometry = _snap_to_grid(streets)
    zones = _build_zones(waters, streets)
    places, estate_units = _build_places(rng, streets, lakes)
    units = [district, _Unit(f"{DISTRICT_CODE}-C", "武昌区12345指挥中心", "centre", DISTRICT_CODE)]
    units += [_Unit(code, name, "department", DISTRICT_CODE) for code, name in DEPARTMENTS]
    by_community: dict[str, list[_Unit]] = {}
    for unit in estate_units:
        by_community.setdefault(unit.parent or "", []).append(unit)
    for street in streets:
        units.append(street.unit)
        units.append(_Unit(f"{street.unit.code}-ZF", f"{street.unit.name}综合执法中心", "enforcement",
                           street.unit.code))
        for community in street.communities:
            units.append(community.unit)
            units.extend(community.grids)
            units.extend(by_community.get(community.unit.code, []))
    return _City(units, streets, zones, places)


# --- people -----------------------------------------------------------------------------------------


class _People:
    """Invents people: a unique name and a unique mobile number each."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._names: set[str] = set(_RESERVED_NAMES)
        self._phones: set[str] = set()

    def phone(self) -> str:
        while True:
            number = self._rng.choice(_PHONE_PREFIXES) + f"{self._rng.randrange(10**8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def new(self) -> tuple[str, str]:
        while True:
            name = self._rng.choice(_SURNAMES) + self._rng.choice(_GIVEN_NAMES)
            if name not in self._names:
                self._names.add(name)
                return name, self.phone()


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _row(post: str, person: tuple[str, str], *, unit: str = "", zone: str = "", starts: date,
         ends: date | None = None, username: str = "") -> dict[str, str]:
    return {"post": post, "person": person[0], "phone": person[1], "username": username, "unit": unit, "zone": zone,
            "starts_on": starts.isoformat(), "ends_on": ends.isoformat() if ends else ""}


def _build_posts(city: _City) -> list[dict[str, str]]:
    rng = random.Random(_SEED + 1)
    people = _People(rng)
    rows: list[dict[str, str]] = []
    chiefs: dict[str, tuple[str, str]] = {}
    first_grid = city.streets[0].communities[0].grids[0].code
    grids = [g for s in city.streets for c in s.communities for g in c.grids]
    # A few grids changed hands: the former worker's post is kept with its end date.
    handed_over = {g.code for g in rng.sample([g for g in grids if g.code != first_grid], 6)}
    for street in city.streets:
        for community in street.communities:
            chief = people.new()
            chiefs[community.unit.code] = chief
            chief_since = _day(rng, _POSTS_FIRST_DAY, _POSTS_LAST_DAY)
            for grid in community.grids:
                if grid.code == first_grid:
                    worker = (_GRIDWORKER[0], people.phone())
                    rows.append(_row("grid_worker", worker, unit=grid.code, username=_GRIDWORKER[1],
                                     starts=_day(rng, _POSTS_FIRST_DAY, _POSTS_LAST_DAY)))
                elif grid.code in handed_over:
                    handover = _day(rng, date(2025, 1, 1), _POSTS_LAST_DAY)
                    former_start = _day(rng, _POSTS_FIRST_DAY, date(2024, 12, 1))
                    rows.append(_row("grid_worker", people.new(), unit=grid.code, starts=former_start,
                                     ends=handover - timedelta(days=1)))
                    rows.append(_row("grid_worker", people.new(), unit=grid.code, starts=handover))
                else:
                    rows.append(_row("grid_worker", people.new(), unit=grid.code,
                                     starts=_day(rng, _POSTS_FIRST_DAY, _POSTS_LAST_DAY)))
                rows.append(_row("grid_chief", chief, unit=grid.code, starts=chief_since))
    area_chiefs: list[tuple[str, str]] = []
    for zone in (z for z in city.zones if z.kind == "area"):
        # Often the 片区长 is the head of one of the area's communities.
        person = chiefs[zone.props["communities"][0]] if rng.random() < 0.4 else people.new()
        area_chiefs.append(person)
        rows.append(_row("area_chief", person, zone=zone.code, starts=_day(rng, _POSTS_FIRST_DAY, _POSTS_LAST_DAY)))
    for zone in (z for z in city.zones if z.kind in ("water", "road")):
        if zone.kind == "water":
            post, person = "river_chief", people.new()
        else:
            # Some area chiefs also look after a road.
            post, person = "road_chief", rng.choice(area_chiefs) if rng.random() < 0.3 else people.new()
        rows.append(_row(post, person, zone=zone.code, starts=_day(rng, _POSTS_FIRST_DAY, _POSTS_LAST_DAY)))
    return rows


# --- output -----------------------------------------------------------------------------------------


def _feature(properties: dict[str, Any], geometry: BaseGeometry | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": _geojson(geometry)}


def _unit_feature(unit: _Unit) -> dict[str, Any]:
    props: dict[str, Any] = {"layer": "unit", "code": unit.code, "name": unit.name, "kind": unit.kind}
    if unit.parent is not None:
        props["parent"] = unit.parent
    props.update(unit.props)
    return _feature(props, unit.geometry)


def _zone_feature(zone: _Zone) -> dict[str, Any]:
    props: dict[str, Any] = {"layer": "zone", "code": zone.code, "name": zone.name, "kind": zone.kind}
    props.update({k: list(v) if isinstance(v, list) else v for k, v in zone.props.items()})
    return _feature(props, zone.geometry)


def _place_feature(place: _Place) -> dict[str, Any]:
    props: dict[str, Any] = {"layer": "place", "name": place.name, "kind": place.kind, "unit": place.unit}
    if place.aliases:
        props["aliases"] = list(place.aliases)
    return _feature(props, place.geometry)


def demo_map() -> dict[str, Any]:
    """武昌区 as a GeoJSON FeatureCollection: units, zones and the gazetteer (docs/map-format.md)."""
    city = _build_city()
    features = [_unit_feature(u) for u in city.units]
    features += [_zone_feature(z) for z in city.zones]
    features += [_place_feature(p) for p in city.places]
    return {"type": "FeatureCollection", "features": features}


def demo_posts() -> list[dict[str, str]]:
    """The people on duty in 武昌区: rows of the people CSV (docs/map-format.md)."""
    return _build_posts(_build_city())
