"""A storm morning: many people at once on one minhu, on loopback, for a bounded time.

Virtual users, each a thread with its own keep-alive connection and a think time between steps (exponential,
one second on average, as a person at a desk or a phone), play four parts in fixed shares:

* operators (40%) register calls: ``POST /api/v1/orders`` with an Idempotency-Key;
* handlers (25%) work their queue: list it, open an order, and record progress (办理) where the order allows it;
* residents (25%) follow an order through its tracking link (``/public/track/<number>/<code>``);
* leaders (10%) watch the lights and the rankings.

The load rises in levels (users at once); each level runs for its time on a fresh server over the same database,
and reports per operation the count, the rate, p50 and p99 and the errors (5xx, timeouts, refused connections,
any 4xx but a 409 from two people acting on one order at once, which is counted apart). The largest level whose
intake p99 stays under 300 ms is the answer to "how big a storm".

    python bench/storm.py                    # PostgreSQL with 2 server processes, then SQLite with 1
    python bench/storm.py --quick            # smoke run: SQLite, 25 users for 20 s
    python bench/storm.py --levels 50,100 --seconds 60 --databases sqlite

Results: a table on stdout and bench/results/storm-<database>.json. The load generator runs on the same machine
as the server (2 cores here), so it takes CPU from what it measures; the figures are a floor.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the repository's bench/
from bench.intake import (
    RESULTS_DIR,
    Server,
    free_port,
    git_commit,
    make_order,
    percentile,
    prepare_minhu,
    start_server,
    stop_server,
)
from bench.postgres import HOST, pg_recreate, pg_url, postgres_available
from minhu.intake import tracking

PASSWORD = "minhu-demo"
SHARES = (("operator", 40), ("handler", 25), ("resident", 25), ("leader", 10))
THINK_SECONDS = 1.0
TIMEOUT = 30.0
P99_GOAL_MS = 300.0
PG_DATABASE = "minhu_storm"


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    conflicts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    # When the creates over the goal began (seconds into the level) and what they took: a cold start shows as a
    # cluster at the beginning, a stall of the server as a cluster anywhere.
    slow_intake: list[tuple[float, float]] = field(default_factory=list)
    began: float = field(default_factory=time.perf_counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, op: str, started: float, response: httpx.Response | None, ok: Sequence[int]) -> None:
        took = (time.perf_counter() - started) * 1000
        with self.lock:
            if response is not None and response.status_code in ok:
                self.latencies[op].append(took)
                if op == "intake" and took > P99_GOAL_MS:
                    self.slow_intake.append((round(started - self.began, 2), round(took)))
            elif response is not None and response.status_code == 409:
                self.conflicts[op] += 1
            else:
                self.errors[op] += 1
                if len(self.samples) < 5:
                    what = f"{response.status_code} {response.text[:200]}" if response is not None else "no answer"
                    self.samples.append(f"{op}: {what}")


@dataclass
class City:
    tokens: dict[str, str]
    numbers: list[str]
    secret: str


def _timed(tally: Tally, op: str, call: Any, ok: Sequence[int] = (200,)) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response: httpx.Response | None = call()
    except httpx.HTTPError:
        response = None
    tally.record(op, started, response, ok)
    return response


def operator(client: httpx.Client, city: City, tally: Tally, rng: random.Random) -> None:
    headers = {"Authorization": f"Bearer {city.tokens['operator']}", "Idempotency-Key": str(uuid.uuid4())}
    answer = _timed(tally, "intake", lambda: client.post("/api/v1/orders", json=make_order(rng), headers=headers),
                    ok=(201,))
    if answer is not None and answer.status_code == 201:
        city.numbers.append(answer.json()["number"])


def handler(client: httpx.Client, city: City, tally: Tally, rng: random.Random) -> None:
    auth = {"Authorization": f"Bearer {city.tokens['handler']}"}
    listed = _timed(tally, "handler list", lambda: client.get("/api/v1/orders", params={"limit": 20}, headers=auth))
    if listed is None or listed.status_code != 200 or not listed.json()["items"]:
        return
    number = rng.choice(listed.json()["items"])["number"]
    opened = _timed(tally, "handler open", lambda: client.get(f"/api/v1/orders/{number}", headers=auth))
    if opened is None or opened.status_code != 200:
        return
    if "handle" not in {a["action"] for a in opened.json()["allowed_actions"]}:
        return
    body = {"expected_version": opened.json()["version"], "note": "已联系诉求人，正在协调处理"}
    _timed(tally, "handler act", lambda: client.post(f"/api/v1/orders/{number}/actions/handle", json=body,
                                                     headers=auth))


def resident(client: httpx.Client, city: City, tally: Tally, rng: random.Random) -> None:
    number = rng.choice(city.numbers)
    _timed(tally, "resident track", lambda: client.get(tracking.link(number, city.secret)))


def leader(client: httpx.Client, city: City, tally: Tally, rng: random.Random) -> None:
    auth = {"Authorization": f"Bearer {city.tokens['leader']}"}
    if rng.random() < 0.5:
        _timed(tally, "leader lights", lambda: client.get("/api/v1/supervision/lights", headers=auth))
    else:
        _timed(tally, "leader rankings", lambda: client.get("/api/v1/rankings", headers=auth))


PARTS = {"operator": operator, "handler": handler, "resident": resident, "leader": leader}


def assign_parts(users: int) -> list[str]:
    """Each user's part, spread so that any number of users holds the shares as nearly as it can."""
    given = dict.fromkeys(PARTS, 0)
    parts = []
    for n in range(1, users + 1):
        part = max(SHARES, key=lambda item: item[1] * n / 100 - given[item[0]])[0]
        given[part] += 1
        parts.append(part)
    return parts


def run_level(server: Server, city: City, users: int, seconds: float, seed: int) -> Tally:
    tally = Tally()
    stop = threading.Event()
    parts = assign_parts(users)

    def user(index: int) -> None:
        rng = random.Random(seed * 10_000 + index)
        part = PARTS[parts[index]]
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        with httpx.Client(base_url=server.base_url, timeout=TIMEOUT, limits=limits) as client:
            stop.wait(rng.random() * THINK_SECONDS)  # not all at the same instant
            while not stop.is_set():
                part(client, city, tally, rng)
                stop.wait(rng.expovariate(1 / THINK_SECONDS))

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 5)
    return tally


def _token(base: str, username: str) -> str:
    answer = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD},
                        timeout=TIMEOUT)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _city(server: Server, home: Path) -> City:
    tokens = {name: _token(server.base_url, name) for name in ("operator", "handler", "leader", "dispatcher")}
    listed = httpx.get(f"{server.base_url}/api/v1/orders", params={"limit": 100},
                       headers={"Authorization": f"Bearer {tokens['dispatcher']}"}, timeout=TIMEOUT).json()
    return City(tokens, [item["number"] for item in listed["items"]], (home / "secret.key").read_text().strip())


def summarise(users: int, seconds: float, tally: Tally) -> dict[str, Any]:
    ops = {}
    for op in sorted(set(tally.latencies) | set(tally.errors) | set(tally.conflicts)):
        values = tally.latencies.get(op, [])
        ops[op] = {"count": len(values), "per_second": round(len(values) / seconds, 1),
                   "p50_ms": round(percentile(values, 50), 1), "p99_ms": round(percentile(values, 99), 1),
                   "errors": tally.errors.get(op, 0), "conflicts": tally.conflicts.get(op, 0)}
    return {"users": users, "seconds": seconds, "operations": ops, "error_samples": tally.samples,
            "intake_over_goal": sorted(tally.slow_intake)}


def bench_database(database: str, *, levels: Sequence[int], seconds: float, processes: int) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="minhu-storm-") as scratch, contextlib.ExitStack() as stack:
        work = Path(scratch)
        home = work / "home"
        home.mkdir()
        if database == "sqlite":
            url = f"sqlite:///{home / 'minhu.db'}"
        else:
            pg_recreate(PG_DATABASE)
            stack.callback(pg_recreate, PG_DATABASE, drop_only=True)
            url = pg_url(PG_DATABASE)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MINHU_")},
               "MINHU_HOME": str(home), "MINHU_DATABASE_URL": url}
        print(f"== {database}: preparing the demo city …", flush=True)
        prepare_minhu(env, timeout=1200)
        for level, users in enumerate(levels):
            port = free_port()
            command = [sys.executable, "-m", "minhu", "serve", "--host", HOST, "--port", str(port), "--no-migrate"]
            if processes > 1:
                command += ["--workers", str(processes)]
            server = start_server("minhu", command, env, port, work / f"serve-{users}.log")
            try:
                city = _city(server, home)
                tally = run_level(server, city, users, seconds, seed=level)
            finally:
                stop_server(server)
            summary = summarise(users, seconds, tally)
            results.append(summary)
            intake = summary["operations"].get("intake", {})
            errors = sum(op["errors"] for op in summary["operations"].values())
            slow = summary["intake_over_goal"]
            print(f"   {users:>4} users: intake {intake.get('per_second', 0)}/s p99 {intake.get('p99_ms')} ms, "
                  f"{errors} errors; {len(slow)} creates over {P99_GOAL_MS:.0f} ms, "
                  f"{sum(1 for at, _ in slow if at < 5)} of them begun in the first 5 s", flush=True)
    within = [r["users"] for r in results if r["operations"].get("intake", {}).get("p99_ms", 1e9) < P99_GOAL_MS
              and not any(op["errors"] for op in r["operations"].values())]
    return {"database": database, "processes": processes, "commit": git_commit(), "think_seconds": THINK_SECONDS,
            "levels": results, "largest_level_within_goal": max(within) if within else None}


def print_table(result: dict[str, Any]) -> None:
    print(f"\n{result['database']}, {result['processes']} server process(es); largest load with intake p99 under "
          f"{P99_GOAL_MS:.0f} ms and no error: {result['largest_level_within_goal']} users")
    print(f"{'users':>5}  {'operation':<16} {'count':>7} {'/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
          f"{'409':>5}")
    for level in result["levels"]:
        for op, row in level["operations"].items():
            print(f"{level['users']:>5}  {op:<16} {row['count']:>7} {row['per_second']:>7} {row['p50_ms']:>8} "
                  f"{row['p99_ms']:>8} {row['errors']:>6} {row['conflicts']:>5}")
        for sample in level["error_samples"]:
            print(f"       ! {sample}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="50,100,200", help="users at once, comma-separated")
    parser.add_argument("--seconds", type=float, default=100.0, help="length of each level")
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--quick", action="store_true", help="SQLite, 25 users for 20 s")
    args = parser.parse_args(argv)
    levels = [25] if args.quick else [int(x) for x in args.levels.split(",")]
    seconds = 20.0 if args.quick else args.seconds
    databases = ["sqlite"] if args.quick else args.databases.split(",")
    RESULTS_DIR.mkdir(exist_ok=True)
    for database in databases:
        if database == "postgresql" and not postgres_available():
            print("PostgreSQL does not answer on 127.0.0.1:5432: skipped")
            continue
        result = bench_database(database, levels=levels, seconds=seconds,
                                processes=2 if database == "postgresql" else 1)
        print_table(result)
        (RESULTS_DIR / f"storm-{database}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
