"""Where two orders stand relative to each other: map cells for finding neighbours quickly, and each
category's reach — how far apart two reports of it may be and still be one matter."""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache

# A cell is CELL_LAT degrees of latitude by CELL_LON of longitude: about 220 m by 240 m in central China.
CELL_LAT = 0.002
CELL_LON = 0.0025
_LON_CELLS = math.ceil(360 / CELL_LON) + 1
METRES_PER_DEGREE_LAT = 111_320.0

# How far apart two reports of one matter may be, by category code prefix (the longest prefix wins). A lamp or a
# manhole is a point; an outage or a property company's failing covers an estate; a polluted river, a stretch of it.
REACH_METRES: dict[str, float] = {
    "0101": 500, "0102": 800, "0103": 800, "0104": 500, "0108": 500,
    "0201": 300, "0202": 500, "0203": 1000, "0204": 800, "0206": 1000,
    "0303": 300, "0304": 150, "0801": 150, "0803": 100, "0804": 150, "0805": 300,
}
DEFAULT_REACH = 200.0
# Every order within DEFAULT_REACH is read; farther, up to the widest reach, only orders of the categories
# whose reach is wider (an outage, a river): most orders are points, and most neighbours are too far.
SEARCH_METRES = max(REACH_METRES.values())


@lru_cache(maxsize=1024)
def reach_of(category_code: str | None) -> float:
    if category_code:
        for length in range(len(category_code), 1, -1):
            reach = REACH_METRES.get(category_code[:length])
            if reach is not None:
                return reach
    return DEFAULT_REACH


def _row_column(lat: float, lon: float) -> tuple[int, int]:
    return math.floor((lat + 90) / CELL_LAT), math.floor((lon + 180) / CELL_LON)


def cell_of(lat: float, lon: float) -> int:
    row, column = _row_column(lat, lon)
    return row * _LON_CELLS + column


def box_around(lat: float, lon: float, metres: float) -> dict[str, float]:
    """The latitudes and longitudes within ``metres`` of the point, as bounds (a square that covers the circle)."""
    d_lat = metres / METRES_PER_DEGREE_LAT
    d_lon = metres / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    return {"lat_min": lat - d_lat, "lat_max": lat + d_lat, "lon_min": lon - d_lon, "lon_max": lon + d_lon}


def cells_around(lat: float, lon: float, metres: float = SEARCH_METRES) -> Iterator[int]:
    """The cells within ``metres`` of the point (a square of them, which covers the circle)."""
    rows = math.ceil(metres / (CELL_LAT * METRES_PER_DEGREE_LAT))
    metres_per_lon = CELL_LON * METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01)
    columns = math.ceil(metres / metres_per_lon)
    row, column = _row_column(lat, lon)
    for d_row in range(-rows, rows + 1):
        for d_column in range(-columns, columns + 1):
            yield (row + d_row) * _LON_CELLS + column + d_column
