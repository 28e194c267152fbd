"""Hot issues (热点问题): the time and memory of the clustering on the board's 4,326 real messages
(``../shared/data/hot_messages.csv``) and on a generated month of a large district (30,000 orders), and whether
the matters planted in that month come out on top.

The month: 3,200 invented estates in 10 streets and 2,000 grids; each order one of the duplicate benchmark's
matters (``bench/dedup_generated.py``: lamps, night works, outages …) in one of its citizens' wordings, at a
random estate and time, by its own caller; and 30 planted matters — one matter at one estate told by 15 to 60
callers over a few days. Reading the texts (jieba) is timed apart from the clustering: the product clusters
the words intake stored with each order, so a request pays the clustering only.

    python bench/insight_hot.py                 # both, medians of 3 runs
    python bench/insight_hot.py --orders 5000   # a smaller month, for a quick look

Results: a table on stdout and bench/results/insight_hot.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # run as a script: the repository's bench/

from bench.dedup_generated import MATTERS  # noqa: E402
from minhu.insight import hot, messages  # noqa: E402

BOARD = ROOT.parent / "shared" / "data" / "hot_messages.csv"
RESULTS = ROOT / "bench" / "results" / "insight_hot.json"
FIRST = ("金", "银", "翠", "紫", "碧", "锦", "华", "新", "东", "南",
         "阳", "丽", "瑞", "嘉", "福", "康", "和", "安", "泰", "恒")
SECOND = ("桂", "枫", "荷", "兰", "松", "竹", "梅", "杉", "榕", "樟", "柏", "桐", "菊", "莲", "槐", "橙")
THIRD = ("雅", "馨", "悦", "怡", "盛", "隆", "润", "泽", "晖", "宁")
KINDS = ("小区", "花园", "家园", "华府", "公寓", "新村")
PLANTED = 30


def estates() -> list[str]:
    names = [a + b + c + KINDS[(i + j + k) % len(KINDS)] for i, a in enumerate(FIRST) for j, b in enumerate(SECOND)
             for k, c in enumerate(THIRD)]
    return names


def month(orders: int, seed: int = 20261207) -> tuple[list[tuple[str, str, str, datetime, str, str, str]],
                                                       list[set[str]]]:
    """The month's orders as (id, title, text, time, citizen, grid, street), and the planted matters' order
    ids."""
    rng = random.Random(seed)
    places = estates()
    grid_of = {place: n % 2000 for n, place in enumerate(places)}
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows: list[tuple[str, str, str, datetime, str, str, str]] = []
    planted: list[set[str]] = []
    matters = sorted(MATTERS)

    def add(place: str, matter: str, at: datetime) -> str:
        title, text = rng.choice(MATTERS[matter])
        number = f"G{len(rows) + 1:06d}"
        grid = grid_of[place]
        rows.append((number, title.format(place=place), text.format(place=place), at, f"1{rng.randrange(10**10):010d}",
                     f"grid:{grid}", f"street:{grid // 200}"))
        return number

    for _ in range(PLANTED):
        place, matter = rng.choice(places), rng.choice(matters)
        first = start + timedelta(days=rng.uniform(0, 25))
        size = rng.randint(15, 60)
        planted.append({add(place, matter, first + timedelta(hours=rng.uniform(0, 96))) for _ in range(size)})
    while len(rows) < orders:
        add(rng.choice(places), rng.choice(matters), start + timedelta(days=rng.uniform(0, 30)))
    return rows, planted


def measured(work: Callable[[], Any], runs: int) -> tuple[Any, dict[str, Any]]:
    """The result of ``work`` and its median seconds over ``runs``, with the peak of Python allocations (numpy's
    included) in the last run."""
    seconds = []
    result: Any = None
    for run in range(runs):
        if run == runs - 1:
            tracemalloc.start()
        began = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - began)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, {"median_s": round(statistics.median(seconds), 3), "runs": runs,
                    "all_s": [round(s, 3) for s in seconds], "peak_alloc_mb": round(peak / 2**20, 1)}


def board(path: Path, runs: int) -> dict[str, Any] | None:
    if not path.exists():
        print(f"skipping the board: {path} is absent (see the data folder's README)")
        return None
    raw = path.read_bytes()
    began = time.perf_counter()
    reports = messages.read_messages(raw, source=str(path))
    read_s = time.perf_counter() - began
    issues, figures = measured(lambda: hot.find_hot_issues(reports), runs)
    figures.update({"messages": len(reports), "read_s": round(read_s, 2), "issues": len(issues),
                    "messages_in_issues": sum(i.count for i in issues),
                    "top10": [{"rank": i.rank, "heat": i.heat, "title": i.title, "place": i.place,
                               "first": i.first.isoformat(sep=" "), "last": i.last.isoformat(sep=" "),
                               "count": i.count, "citizens": i.citizens, "likes": i.likes} for i in issues[:10]]})
    return figures


def generated(orders: int, runs: int) -> dict[str, Any]:
    rows, planted = month(orders)
    began = time.perf_counter()
    reports = [hot.read_report(number, title, text, at, citizen=citizen, unit=grid, area=street)
               for number, title, text, at, citizen, grid, street in rows]
    read_s = time.perf_counter() - began
    issues, figures = measured(lambda: hot.find_hot_issues(reports, hot.Settings(window_days=30)), runs)
    top = issues[:PLANTED]
    # A planted matter is found when one issue holds at least 90% of its orders and little else.
    found = sum(1 for ids in planted
                if any(len(ids & set(i.report_ids)) >= 0.9 * len(ids) and len(i.report_ids) <= 1.1 * len(ids)
                       for i in issues))
    on_top = sum(1 for i in top if any(len(set(i.report_ids) & ids) >= 0.9 * i.count for ids in planted))
    figures.update({"orders": len(reports), "read_s": round(read_s, 2), "read_ms_per_order": round(
        1000 * read_s / len(reports), 3), "issues": len(issues), "planted": len(planted), "planted_found": found,
        "planted_in_top": on_top})
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--board", type=Path, default=BOARD, help="the board's messages (hot_messages.csv)")
    args = parser.parse_args()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/insight_hot.py" + (f" --orders {args.orders}" if args.orders != 30_000 else ""),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": {"near": hot.NEAR, "far": hot.FAR, "merge": hot.MERGE, "merge_near": hot.MERGE_NEAR,
                     "cohesion": hot.COHESION, "window_days": hot.WINDOW_DAYS},
    }
    results["board"] = board(args.board, args.runs)
    if results["board"]:
        b = results["board"]
        print(f"board: {b['messages']} messages read in {b['read_s']} s; clustered in {b['median_s']} s (median of "
              f"{b['runs']}), peak {b['peak_alloc_mb']} MB; {b['issues']} issues holding {b['messages_in_issues']}")
        for row in b["top10"]:
            print(f"  {row['rank']:>2} {row['heat']:>6} {row['count']:>3} {row['citizens']:>3} {row['likes']:>5}  "
                  f"{row['place']}｜{row['title']}")
    results["month"] = month_figures = generated(args.orders, args.runs)
    print(f"month: {month_figures['orders']} orders read in {month_figures['read_s']} s "
          f"({month_figures['read_ms_per_order']} ms each); clustered in {month_figures['median_s']} s (median of "
          f"{month_figures['runs']}), peak {month_figures['peak_alloc_mb']} MB; {month_figures['issues']} issues; "
          f"planted found {month_figures['planted_found']}/{month_figures['planted']}, "
          f"{month_figures['planted_in_top']} of the top {month_figures['planted']} are planted")
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["rss_before_mb"] = round(rss_before, 1)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"peak RSS {results['peak_rss_mb']} MB; written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
