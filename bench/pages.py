"""Pages as the dispatcher opens them: the login page, the dispatch queue, the map (page, grid layer and
order points) and an order's page, each requested 20 times by a browser-free HTTP client.

Loads the demo city into a fresh SQLite database (and trains its classifier) as ``make run`` does, starts
``minhu serve`` on 127.0.0.1, signs in as the dispatcher through the login form, then times each page
from the request to the last byte of the answer (the server's work plus the transfer on loopback; no
rendering, no assets). The median of 20 is the figure; the goal is under 300 ms each.

    python bench/pages.py
    python bench/pages.py --repeats 50

Results: a table on stdout and bench/results/pages.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the repository's bench/
from bench.intake import DEMO_PASSWORD, free_port, git_commit, prepare_minhu, start_server, stop_server

RESULTS = Path(__file__).resolve().parent / "results" / "pages.json"
GOAL_MS = 300.0


def sign_in(client: httpx.Client, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError("the login page carries no CSRF token")
    answer = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                         "csrf_token": token.group(1)})
    if answer.status_code not in (200, 303) or "minhu_session" not in client.cookies:
        raise RuntimeError(f"signing in as {username} failed: {answer.status_code}")


def an_order_number(client: httpx.Client) -> str:
    listed = client.get("/dispatch")
    found = re.search(r'href="/orders/([A-Z]{2}\d{14})"', listed.text)
    if found is None:
        raise RuntimeError("the dispatch queue links no order")
    return found.group(1)


def timed(client: httpx.Client, path: str, repeats: int) -> dict[str, Any]:
    client.get(path)  # once untimed: caches and templates warm, as for any user after the first
    times, sizes = [], set()
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code}")
        times.append(elapsed)
        sizes.add(len(response.content))
    ordered = sorted(times)
    return {"path": path, "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1), "max_ms": round(max(times), 1),
            "bytes": max(sizes), "under_goal": statistics.median(times) < GOAL_MS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="minhu-pages-") as tmp, contextlib.ExitStack() as stack:
        home = Path(tmp)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MINHU_")}, "MINHU_HOME": str(home),
               "MINHU_DATABASE_URL": f"sqlite:///{home / 'minhu.db'}"}
        print("== preparing the demo city (migrate, load, train)")
        prepare_minhu(env)
        port = free_port()
        server = start_server("minhu", [sys.executable, "-m", "minhu", "serve", "--host", "127.0.0.1", "--port",
                                        str(port), "--no-migrate"], env, port, home / "serve.log")
        stack.callback(stop_server, server)
        rows = []
        with httpx.Client(base_url=server.base_url, timeout=60, follow_redirects=False) as anonymous:
            rows.append({"page": "登录页", **timed(anonymous, "/login", args.repeats)})
        with httpx.Client(base_url=server.base_url, timeout=60, follow_redirects=False) as client:
            sign_in(client, "dispatcher")
            number = an_order_number(client)
            for name, path in (("派单队列", "/dispatch"), ("地图页", "/map"),
                               ("地图网格图层", "/map/layers/grids.geojson"), ("地图工单数据", "/map/orders.geojson"),
                               ("工单页", f"/orders/{number}")):
                rows.append({"page": name, **timed(client, path, args.repeats)})
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "command": "python bench/pages.py",
              "commit": git_commit(), "repeats": args.repeats, "goal_ms": GOAL_MS,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "pages": rows}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"\n{'page':<10} {'path':<28} {'median ms':>10} {'p90 ms':>8} {'max ms':>8} {'KB':>7}")
    for row in rows:
        print(f"{row['page']:<10} {row['path']:<28} {row['median_ms']:>10.1f} {row['p90_ms']:>8.1f} "
              f"{row['max_ms']:>8.1f} {row['bytes'] / 1000:>7.1f}{'' if row['under_goal'] else '  (over 300 ms)'}")
    print(f"median of {args.repeats} requests each, after one untimed; goal: under {GOAL_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
