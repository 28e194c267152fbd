"""Locating and geocoding speed: point → (street, community, grid, zones) over 10,000 grids, and
1,000 addresses geocoded against the demo city's gazetteer.

The map is synthetic but shaped like a city's: 20 streets × 10 communities × 50 grids, each cell a
Voronoi polygon (so the index sees irregular shapes, not a lattice), plus lakes and roads as zones.
Lookups are timed one by one (``time.perf_counter_ns`` around each call) for points drawn uniformly
over the map, some outside it; the figures are the median and the 99th percentile.

    python bench/locate.py            # 10,000 grids, 20,000 lookups, 1,000 addresses
    python bench/locate.py --quick    # 1,000 grids, 2,000 lookups

Results: a table on stdout and bench/results/locate.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, box, mapping

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from minhu.demo.geography import demo_map  # noqa: E402
from minhu.geo.address import Gazetteer, PlaceEntry  # noqa: E402
from minhu.geo.index import MapIndex, UnitShape, ZoneShape  # noqa: E402
from minhu.org.roles import UnitKind  # noqa: E402

CENTRE = (114.31, 30.55)
RESULTS = ROOT / "bench" / "results" / "locate.json"


def _cells(area: Any, count: int, rng: random.Random) -> list[Any]:
    """``count`` Voronoi cells tiling ``area``."""
    min_x, min_y, max_x, max_y = area.bounds
    seeds: list[Point] = []
    while len(seeds) < count:
        point = Point(rng.uniform(min_x, max_x), rng.uniform(min_y, max_y))
        if area.contains(point):
            seeds.append(point)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=area)
    return [cell.intersection(area) for cell in cells.geoms if not cell.intersection(area).is_empty]


def synthetic_map(streets: int, communities: int, grids: int, seed: int = 7) -> tuple[list[UnitShape], list[ZoneShape]]:
    rng = random.Random(seed)
    lon, lat = CENTRE
    district = box(lon - 0.1, lat - 0.08, lon + 0.1, lat + 0.08)
    units = [UnitShape(1, "D", "区", UnitKind.DISTRICT, None, mapping(district))]
    next_id = 2
    for s, street in enumerate(_cells(district, streets, rng)):
        street_id = next_id
        next_id += 1
        units.append(UnitShape(street_id, f"S{s:03d}", f"街道{s}", UnitKind.STREET, 1, mapping(street)))
        for c, community in enumerate(_cells(street, communities, rng)):
            community_id = next_id
            next_id += 1
            units.append(UnitShape(community_id, f"S{s:03d}C{c:03d}", f"社区{s}-{c}", UnitKind.COMMUNITY, street_id,
                                   mapping(community)))
            for g, grid in enumerate(_cells(community, grids, rng)):
                units.append(UnitShape(next_id, f"S{s:03d}C{c:03d}G{g:03d}", f"网格{s}-{c}-{g}", UnitKind.GRID,
                                       community_id, mapping(grid)))
                next_id += 1
    zones = [ZoneShape(i, f"W{i}", f"湖{i}", "water", mapping(Point(lon + rng.uniform(-0.08, 0.08),
                                                                    lat + rng.uniform(-0.06, 0.06)).buffer(0.004)),
                       50.0) for i in range(10)]
    zones += [ZoneShape(100 + i, f"R{i}", f"路{i}", "road",
                        {"type": "LineString", "coordinates": [[lon - 0.1, lat - 0.08 + 0.016 * i],
                                                               [lon + 0.1, lat - 0.07 + 0.016 * i]]}, 30.0)
              for i in range(10)]
    return units, zones


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_lookups(index: MapIndex, count: int, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    lon, lat = CENTRE
    points = [(lon + rng.uniform(-0.11, 0.11), lat + rng.uniform(-0.09, 0.09)) for _ in range(count)]
    for point in points[:200]:  # warm up
        index.locate(*point)
    timings: list[float] = []
    inside = with_grid = 0
    for point in points:
        start = time.perf_counter_ns()
        found = index.locate(*point)
        timings.append((time.perf_counter_ns() - start) / 1e6)
        inside += found.inside
        with_grid += found.grid is not None
    return {"lookups": count, "median_ms": round(statistics.median(timings), 4),
            "p99_ms": round(percentile(timings, 0.99), 4), "inside": inside, "with_grid": with_grid}


def demo_gazetteer() -> tuple[Gazetteer, list[PlaceEntry]]:
    entries = []
    for feature in demo_map()["features"]:
        props = feature["properties"]
        if props["layer"] != "place":
            continue
        point = shapely.geometry.shape(feature["geometry"]).representative_point()
        entries.append(PlaceEntry(name=props["name"], kind=props["kind"], aliases=tuple(props.get("aliases") or ()),
                                  lon=point.x, lat=point.y, unit_code=props.get("unit")))
    return Gazetteer(entries), entries


def make_addresses(entries: list[PlaceEntry], count: int, seed: int = 13) -> list[str]:
    """Addresses as callers give them: with or without province/city/district, a building and a room."""
    rng = random.Random(seed)
    prefixes = ["", "武汉市", "武昌区", "湖北省武汉市武昌区", "武汉武昌", "湖北武汉市武昌区"]
    tails = ["", "3栋2单元", "12号", "附近", "门口", "5栋1单元402室", "旁边的小巷子"]
    addresses = []
    for i in range(count):
        if i % 10 == 9:
            addresses.append(rng.choice(["不知道在哪", "家门口", "就在我家楼下", "某某路某某号"]))
            continue
        entry = rng.choice(entries)
        name = rng.choice((entry.name, *entry.aliases))
        addresses.append(f"{rng.choice(prefixes)}{name}{rng.choice(tails)}")
    return addresses


def time_geocoding(gazetteer: Gazetteer, addresses: list[str]) -> dict[str, Any]:
    for address in addresses[:50]:
        gazetteer.geocode(address)
    timings: list[float] = []
    matched = 0
    start_all = time.perf_counter()
    for address in addresses:
        start = time.perf_counter_ns()
        candidates = gazetteer.geocode(address)
        timings.append((time.perf_counter_ns() - start) / 1e6)
        matched += bool(candidates)
    total = time.perf_counter() - start_all
    return {"addresses": len(addresses), "gazetteer_entries": len(gazetteer), "total_ms": round(total * 1000, 1),
            "median_ms": round(statistics.median(timings), 4), "p99_ms": round(percentile(timings, 0.99), 4),
            "matched": matched}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    streets, communities, grids, lookups = (10, 5, 20, 2000) if args.quick else (20, 10, 50, 20_000)

    started = time.perf_counter()
    units, zones = synthetic_map(streets, communities, grids)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    index = MapIndex(units, zones)
    built = time.perf_counter() - started
    lookup = time_lookups(index, lookups)
    gazetteer, entries = demo_gazetteer()
    geocoding = time_geocoding(gazetteer, make_addresses(entries, 1000))

    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick,
        "command": "python bench/locate.py",
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                 cwd=ROOT).stdout.strip() or None,
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                    "shapely": shapely.__version__},
        "map": {"grids": index.unit_count(UnitKind.GRID), "communities": index.unit_count(UnitKind.COMMUNITY),
                "streets": index.unit_count(UnitKind.STREET), "zones": len(zones),
                "generate_s": round(generated, 2), "index_build_s": round(built, 2)},
        "locate": lookup, "geocode": geocoding,
    }
    print(f"map: {result['map']['grids']:,} grids, {result['map']['communities']} communities, "
          f"{result['map']['streets']} streets, {len(zones)} zones; index built in {built:.2f} s")
    print(f"locate: {lookup['lookups']:,} points, median {lookup['median_ms']:.4f} ms, p99 {lookup['p99_ms']:.4f} ms "
          f"({lookup['with_grid']:,} on a grid, {lookup['lookups'] - lookup['inside']:,} outside)")
    print(f"geocode: {geocoding['addresses']:,} addresses against {geocoding['gazetteer_entries']:,} names in "
          f"{geocoding['total_ms']:.1f} ms (median {geocoding['median_ms']:.4f} ms, p99 {geocoding['p99_ms']:.4f} ms), "
          f"{geocoding['matched']} matched")
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
