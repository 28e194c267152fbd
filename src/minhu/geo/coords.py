"""WGS-84 and GCJ-02, the shifted coordinates that Chinese map apps and WeChat hand out.

Citizens share locations from apps that speak GCJ-02, while everything minhu stores is WGS-84
(docs/map-format.md). GCJ-02 is not an EPSG system, so pyproj cannot convert it: it is the published
obfuscation formula on the Krasovsky ellipsoid, implemented here. Inside China the shift is a few
hundred metres (in Wuhan about 500–600 m), which is enough to put a point in the neighbouring
community, so a location must be converted before it is located against our geometry.

The forward direction (WGS → GCJ) is the formula itself. It has no closed-form inverse; the common
one-step approximation (subtract the shift computed at the GCJ point) is off by up to a couple of
metres, so :func:`gcj02_to_wgs84` iterates the forward transform to a fixed point instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Crs", "gcj02_to_wgs84", "in_china", "to_wgs84", "wgs84_to_gcj02"]

# The Krasovsky 1940 ellipsoid the formula is defined on (not WGS-84's: the published constants).
_A = 6378245.0
_EE = 0.00669342162296594323

# The inverse stops once the forward transform of the estimate lands this close to the GCJ input.
# The brief asks for 1e-7°; 1e-9° (0.1 mm) costs at most one more iteration, because each step
# shrinks the error by a factor of ~1000 (the shift varies by only a few metres per degree).
_INVERSE_TOLERANCE = 1e-9
_INVERSE_MAX_STEPS = 20


class Crs(StrEnum):
    """Which datum a pair of coordinates is in, as a client declares it."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"


def in_china(lon: float, lat: float) -> bool:
    """The rough bounding box the published formula shifts inside; outside it GCJ-02 equals WGS-84.

    It is a rectangle, not the border: it also covers e.g. Korea and Japan. That is what every
    implementation (and the apps) use, so it is kept rather than "fixed", otherwise round trips
    against other software would disagree near the box.
    """
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271


def _shift_lat(x: float, y: float) -> float:
    """The formula's latitude term, in pseudo-metres, of x = lon - 105 and y = lat - 35."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: float, y: float) -> float:
    """The formula's longitude term, in pseudo-metres, of x = lon - 105 and y = lat - 35."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _offset(lon: float, lat: float) -> tuple[float, float]:
    """The shift in degrees (dlon, dlat) the formula adds to a WGS-84 point inside the box."""
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    # Pseudo-metres to degrees on the ellipsoid: meridian and parallel radii of curvature.
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 (lon, lat) to GCJ-02 (lon, lat); unchanged outside :func:`in_china`'s box."""
    if not in_china(lon, lat):
        return lon, lat
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 (lon, lat) to WGS-84 (lon, lat), precise to well under a millimetre.

    Solves ``wgs84_to_gcj02(w) == (lon, lat)`` by fixed-point iteration: move the estimate by the
    amount its forward image misses the target. The shift changes slowly with position, so this
    converges in 3–4 steps. Starting from the GCJ point itself also makes points outside the box
    (where the forward transform is the identity) come back unchanged on the first step.
    """
    wlon, wlat = lon, lat
    for _ in range(_INVERSE_MAX_STEPS):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        err_lon, err_lat = glon - lon, glat - lat
        if abs(err_lon) < _INVERSE_TOLERANCE and abs(err_lat) < _INVERSE_TOLERANCE:
            break
        wlon -= err_lon
        wlat -= err_lat
    return wlon, wlat


def to_wgs84(lon: float, lat: float, crs: Crs) -> tuple[float, float]:
    """A point in the declared datum, as the WGS-84 minhu stores."""
    # ``==`` rather than ``is``: a plain "gcj02" string from a form compares equal to the StrEnum member.
    if crs == Crs.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return lon, lat


@dataclass(frozen=True)
class PointProblem:
    field: str  # "lat" or "lon"
    message: str
    swapped: bool = False


def point_problem(lon: Any, lat: Any) -> PointProblem | None:
    """Why (lon, lat) is not a point on Earth, or None. The one check behind the API, orders and map files.

    A latitude beyond ±90 whose longitude would be a latitude is a point written the wrong way round
    (Wuhan is about 30 N, 114 E): the answer says so rather than just "out of range".
    """
    for field, value in (("lon", lon), ("lat", lat)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            shown = f"\"{value}\"" if isinstance(value, str) else repr(value)
            return PointProblem(field, f"坐标应为数字，而不是 {shown}")
        if not math.isfinite(value):
            return PointProblem(field, "坐标不能是 NaN 或无穷大")
    if abs(lat) > 90:
        swapped = abs(lon) <= 90 and abs(lat) <= 180
        return PointProblem("lat", f"纬度 {lat} 超出范围" + ("：经纬度似乎颠倒了（武汉约北纬 30、东经 114）" if swapped
                                                           else "（须在 -90 到 90 之间）"), swapped)
    if abs(lon) > 180:
        return PointProblem("lon", f"经度 {lon} 超出范围（须在 -180 到 180 之间）")
    return None


def distance_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); plenty for "within a few hundred metres"."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))
