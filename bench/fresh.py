"""What the database benchmarks share: fill a fresh database, then measure in a fresh process (so the peak
memory is the measurement's, not the filling's), on SQLite and on the loopback PostgreSQL when it answers."""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.postgres import pg_recreate, pg_url, postgres_available
from minhu.core import migrate
from minhu.core.db import Database
from minhu.models import load_all

Fill = Callable[[Database, int], None]
Measure = Callable[[str], dict[str, Any]]
Report = Callable[[dict[str, Any]], str]


def _run(database: str, orders: int, work: Path, *, name: str, script: str, fill: Fill) -> dict[str, Any]:
    if database == "postgresql":
        pg_recreate(name)
        url = pg_url(name)
    else:
        url = f"sqlite:///{work / (name + '.db')}"
    load_all()
    db = Database(url)
    try:
        migrate.upgrade(db)
        started = time.perf_counter()
        fill(db, orders)
        fill_s = time.perf_counter() - started
    finally:
        db.dispose()
    done = subprocess.run([sys.executable, script, "--measure", url], capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        done.check_returncode()
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if figures.get("failed"):
        print(done.stderr[-3000:], file=sys.stderr)
    if database == "postgresql":
        pg_recreate(name, drop_only=True)
    return {"database": database, "orders": orders, "fill_s": round(fill_s, 1), **figures}


def main(argv: list[str] | None, *, doc: str | None, script: str, name: str, results: Path, what: str,
         fill: Fill, measure: Measure, report: Report) -> int:
    """The benchmark's command line: ``--orders``, ``--databases``; ``--measure URL`` is the fresh process."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    found = []
    with tempfile.TemporaryDirectory(prefix=f"minhu-{name}-") as work:
        for database in args.databases.split(","):
            if database == "postgresql" and not postgres_available():
                print("== postgresql: no server on 127.0.0.1:5432; skipped")
                continue
            print(f"== {database}: filling {args.orders:,} {what} …", flush=True)
            figures = _run(database, args.orders, Path(work), name=f"minhu_bench_{name}", script=script, fill=fill)
            found.append(figures)
            print(f"   {report(figures)}", flush=True)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({"machine": platform.machine(), "python": platform.python_version(),
                                   "at": datetime.now(UTC).isoformat(), "results": found},
                                  ensure_ascii=False, indent=2) + "\n", "utf-8")
    return 0
