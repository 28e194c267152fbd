"""A small hand-drawn jurisdiction with exact boundaries, for tests that must know the right answer.

    114.30      114.31      114.32            114.34
 30.58 +-----------+-----------+-----------------+
       |   C2 (no grids)       |                 |
 30.56 +-----------+-----------+   S2 (one       |
       |  G1       |  G2       |   community C3, |
       |  (C1)     |  (C1)     |   lake inside)  |
 30.54 +-----------+-----------+-----------------+
       S1 = C1 + C2 (west half), S2 (east half); road 和平大道 along lat 30.55.
"""

from __future__ import annotations

from typing import Any

DISTRICT = "420199"
S1, S2 = "420199001", "420199002"
C1, C2, C3 = "420199001001", "420199001002", "420199002001"
G1, G2, G3 = "420199001001001", "420199001001002", "420199002001001"
ROAD, LAKE, AREA = "Z-R-和平大道", "Z-W-沙湖", "Z-A-1"


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                [west, south]]]}


def unit(code: str, name: str, kind: str, parent: str | None, geometry: dict[str, Any] | None,
         **extra: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry,
            "properties": {"layer": "unit", "code": code, "name": name, "kind": kind, "parent": parent, **extra}}


def zone(code: str, name: str, kind: str, geometry: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry,
            "properties": {"layer": "zone", "code": code, "name": name, "kind": kind, **extra}}


def place(name: str, kind: str, lon: float, lat: float, unit_code: str | None, aliases: list[str] | None = None,
          ) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"layer": "place", "name": name, "kind": kind, "unit": unit_code,
                           "aliases": aliases or []}}


def small_city() -> dict[str, Any]:
    features = [
        unit(DISTRICT, "测试区", "district", None, box(114.30, 30.54, 114.34, 30.58)),
        unit(S1, "积玉桥街", "street", DISTRICT, box(114.30, 30.54, 114.32, 30.58)),
        unit(S2, "水果湖街", "street", DISTRICT, box(114.32, 30.54, 114.34, 30.58)),
        unit(C1, "和平社区", "community", S1, box(114.30, 30.54, 114.32, 30.56), staff_posts=13, staff_filled=10),
        unit(C2, "临江社区", "community", S1, box(114.30, 30.56, 114.32, 30.58)),
        unit(C3, "东亭社区", "community", S2, box(114.32, 30.54, 114.34, 30.58)),
        unit(G1, "和平社区1网格", "grid", C1, box(114.30, 30.54, 114.31, 30.56), households=520,
             grid_kind="residential"),
        unit(G2, "和平社区2网格", "grid", C1, box(114.31, 30.54, 114.32, 30.56), households=480,
             grid_kind="commercial"),
        unit(G3, "东亭社区1网格", "grid", C3, box(114.32, 30.54, 114.34, 30.58), households=600),
        zone(ROAD, "和平大道", "road", {"type": "LineString", "coordinates": [[114.30, 30.55], [114.34, 30.55]]},
             buffer_m=30),
        zone(LAKE, "沙湖", "water", box(114.325, 30.565, 114.335, 30.575)),
        zone(AREA, "第一片区", "area", None, communities=[C1, C2]),
        place("积玉桥街", "street", 114.31, 30.57, S1, ["积玉桥街道"]),
        place("和平社区", "community", 114.305, 30.545, C1, ["和平"]),
        place("滨江苑", "estate", 114.315, 30.545, C1, ["滨江苑小区"]),
        place("和平大道", "road", 114.31, 30.55, None),
    ]
    return {"type": "FeatureCollection", "features": features}


POSTS_CSV = """post,person,phone,username,unit,zone,starts_on,ends_on
grid_worker,李娜,13800000001,,420199001001001,,2025-01-01,
grid_chief,王芳,13800000002,,420199001001001,,2025-01-01,
grid_worker,赵强,13800000003,,420199001001002,,2024-01-01,2024-12-31
road_chief,孙涛,13800000004,,,Z-R-和平大道,2025-03-01,
river_chief,周敏,13800000005,,,Z-W-沙湖,2025-03-01,
area_chief,吴刚,13800000006,,,Z-A-1,2025-03-01,
"""
