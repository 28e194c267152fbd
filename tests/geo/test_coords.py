"""GCJ-02 ↔ WGS-84 against published reference values and by round trips."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minhu.geo.coords import Crs, gcj02_to_wgs84, in_china, to_wgs84, wgs84_to_gcj02

# The test vectors every implementation of the formula is checked against, from the tests of
# googollee/eviltransform (go/transform_test.go, python/test.py): (WGS lon, lat) → (GCJ lon, lat).
REFERENCE = [
    pytest.param((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597), id="shanghai"),
    pytest.param((113.912316, 22.543847), (113.9171764808363, 22.540796131694766), id="shenzhen"),
    pytest.param((116.377817, 39.911954), (116.38404722455657, 39.91334545536069), id="beijing"),
]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance, plenty for offsets of a few hundred metres."""
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(mean_lat)
    dy = math.radians(b[1] - a[1])
    return 6371000.0 * math.hypot(dx, dy)


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_forward_matches_the_published_vectors(wgs, gcj):
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_inverse_recovers_the_published_vectors(wgs, gcj):
    assert gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=1e-7)


def test_wuhan_shift_is_the_known_few_hundred_metres():
    wgs = (114.305539, 30.592849)
    gcj = wgs84_to_gcj02(*wgs)
    # Roughly 114.311 / 30.590, i.e. east and a little south: the well-known 500–600 m in Wuhan.
    assert gcj == pytest.approx((114.311, 30.5904), abs=5e-4)
    assert gcj[0] > wgs[0]
    assert gcj[1] < wgs[1]
    assert 500 < metres(wgs, gcj) < 650


def test_inverse_beats_the_one_step_approximation():
    gcj = wgs84_to_gcj02(114.305539, 30.592849)
    # The one-step inverse subtracts the shift measured at the GCJ point, metres off the truth.
    shifted = wgs84_to_gcj02(*gcj)
    one_step = (2 * gcj[0] - shifted[0], 2 * gcj[1] - shifted[1])
    assert metres(one_step, (114.305539, 30.592849)) > 0.1
    assert metres(gcj02_to_wgs84(*gcj), (114.305539, 30.592849)) < 0.001


@given(
    lon=st.floats(min_value=73.5, max_value=135.0, allow_nan=False),
    lat=st.floats(min_value=18.0, max_value=53.5, allow_nan=False),
)
@settings(max_examples=500, deadline=None)
def test_round_trip_across_china(lon, lat):
    gcj = wgs84_to_gcj02(lon, lat)
    assert gcj != (lon, lat)
    back = gcj02_to_wgs84(*gcj)
    assert back == pytest.approx((lon, lat), abs=1e-6)
    assert wgs84_to_gcj02(*back) == pytest.approx(gcj, abs=1e-7)


@pytest.mark.parametrize(
    "point",
    [(2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688), (0.0, 0.0), (180.0, 90.0), (60.0, 30.0)],
)
def test_points_outside_china_are_unchanged(point):
    assert not in_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_in_china_is_the_published_box():
    assert in_china(114.3, 30.6)
    assert in_china(72.004, 0.8293)
    assert in_china(137.8347, 55.8271)
    assert not in_china(72.0039, 30.0)
    assert not in_china(114.3, 55.8272)
    # It is a rectangle, not the border: Seoul is inside, as in every implementation.
    assert in_china(126.978, 37.5665)


def test_to_wgs84_dispatches_on_the_declared_crs():
    gcj = wgs84_to_gcj02(114.305539, 30.592849)
    assert to_wgs84(114.305539, 30.592849, Crs.WGS84) == (114.305539, 30.592849)
    assert to_wgs84(*gcj, Crs.GCJ02) == pytest.approx((114.305539, 30.592849), abs=1e-7)
    assert to_wgs84(*gcj, Crs("gcj02")) == pytest.approx((114.305539, 30.592849), abs=1e-7)
    assert Crs.GCJ02 == "gcj02"
