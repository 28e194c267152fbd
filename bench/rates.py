"""The monthly rates and rankings of every unit over a year of a large district: 1,000,000 archived orders.

The database is filled directly (bulk inserts, no trail) with a year of archived orders (2025-11 to 2026-10)
owned by 40 streets, 400 communities under them, 60 property companies and 30 departments, with random
clocks, callback answers, unreachable callbacks, duplicates, rulings and whistle calls. The measurement,
in a fresh process, is what the rankings page and the monthly bulletin do for October 2026: every ranked
kind (streets, departments, communities, property companies) with the rank a month and a year before —
six aggregations over the archived orders — under the default policy, then the district's own rates.

    python bench/rates.py                        # 1,000,000 orders, SQLite and PostgreSQL
    python bench/rates.py --orders 100000 --databases sqlite

Results: a table on stdout and bench/results/rates.json. Targets: under 1 s on PostgreSQL, 3 s on SQLite.
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # run as a script: the repository's bench/

from sqlalchemy import insert  # noqa: E402

from bench import fresh  # noqa: E402
from minhu.core import clock  # noqa: E402
from minhu.core.db import Base, Database  # noqa: E402
from minhu.evaluation import policies, rankings, rates  # noqa: E402
from minhu.models import load_all  # noqa: E402
from minhu.orders.models import OrderCall, WorkOrder  # noqa: E402
from minhu.org import service as org_service  # noqa: E402
from minhu.org.roles import UnitKind  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "rates.json"
FIRST_DAY, DAYS = date(2025, 11, 1), 365
PERIOD = "2026-10"
CHUNK = 20_000
RUNS = 5
TYPES = ["complaint"] * 5 + ["help"] * 2 + ["consultation", "suggestion", "report"]
RESOLUTIONS = ["resolved"] * 8 + ["partly", "unresolved"]
SATISFACTIONS = ["satisfied"] * 7 + ["basically"] * 2 + ["unsatisfied"]
RULINGS = ["reasonable_solved", "reasonable_not_now", "unreasonable", "out_of_scope"]


def fill(db: Database, orders: int, *, more: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Units and ``orders`` archived orders spread over the year; ``more`` may add to each row before it is
    written (another benchmark's columns), so a large fill stays one insert per row."""
    with db.transaction() as session:
        district = org_service.create_unit(session, code="B", name="基准区", kind=UnitKind.DISTRICT)
        org_service.create_unit(session, code="B-C", name="基准区指挥中心", kind=UnitKind.CENTRE, parent=district)
        owners: list[int] = []
        for s in range(40):
            street = org_service.create_unit(session, code=f"S{s:02d}", name=f"第{s}街道", kind=UnitKind.STREET,
                                             parent=district)
            owners.append(street.id)
            for c in range(10):
                community = org_service.create_unit(session, code=f"S{s:02d}C{c}", name=f"第{s}街道{c}社区",
                                                    kind=UnitKind.COMMUNITY, parent=street)
                owners.append(community.id)
                if c < 1 or (c == 1 and s < 20):
                    owners.append(org_service.create_unit(session, code=f"S{s:02d}C{c}P", name=f"第{s}街道{c}物业",
                                                          kind=UnitKind.PROPERTY, parent=community).id)
        departments = [org_service.create_unit(session, code=f"D{d:02d}", name=f"第{d}委办局",
                                               kind=UnitKind.DEPARTMENT, parent=district).id for d in range(30)]
        session.flush()
    owners += departments * 4  # departments own a fair share
    rng = random.Random(20261130)
    table = Base.metadata.tables[WorkOrder.__tablename__]
    calls_table = Base.metadata.tables[OrderCall.__tablename__]
    tz = clock.city_tz()
    hour = timedelta(hours=1)
    next_id = 1
    for start in range(0, orders, CHUNK):
        rows: list[dict[str, Any]] = []
        calls: list[dict[str, Any]] = []
        for i in range(start, min(start + CHUNK, orders)):
            closed = (datetime.combine(FIRST_DAY + timedelta(days=rng.randrange(DAYS)), day_time(9), tz)
                      + timedelta(minutes=rng.randrange(10 * 60)))
            created = closed - timedelta(hours=rng.randrange(24, 15 * 24))
            unreachable = rng.random() < 0.03
            ruled = rng.random() < 0.02
            rows.append({
                "id": next_id, "number": f"R{i:09d}", "channel": "hotline", "type": rng.choice(TYPES),
                "urgency": "normal", "status": "archived", "anonymous": False, "confidential": False,
                "title": "基准工单", "content": "用于考核统计的基准工单。", "owner_unit_id": rng.choice(owners),
                "created_at": created, "updated_at": closed, "closed_at": closed, "version": 1, "grade": "B",
                "deadlines_provisional": False,
                "respond_due_at": created + 24 * hour, "responded_at": created + rng.randrange(1, 30) * hour,
                "finish_due_at": created + 10 * 24 * hour, "replied_at": closed - rng.randrange(4, 200) * hour,
                "resolution": None if unreachable else rng.choice(RESOLUTIONS),
                "satisfaction": None if unreachable else rng.choice(SATISFACTIONS),
                "callback_method": "phone", "callback_reached": not unreachable,
                "callback_attempts": 3 if unreachable else 1, "unreachable": unreachable,
                "ruling": rng.choice(RULINGS) if ruled else None, "ruling_reason": "基准" if ruled else None,
                "duplicate_of_id": next_id - 1 if next_id > 1 and rng.random() < 0.01 else None,
            })
            if more is not None:
                more(rows[-1])
            if rng.random() < 0.05:
                due = created + 24 * hour
                calls.append({"order_id": next_id, "unit_id": rng.choice(departments), "called_at": created,
                              "report_due_at": due, "reported_at": due + rng.randrange(-20, 6) * hour})
            next_id += 1
        with db.transaction() as session:
            session.execute(insert(table), rows)
            if calls:
                session.execute(insert(calls_table), calls)
    with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if db.url.startswith("postgresql") else "ANALYZE")


def measure(url: str) -> dict[str, Any]:
    """Every ranking of the month and the district's rates, ``RUNS`` times in this (fresh) process."""
    load_all()
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db = Database(url)
    timings, counted, units = [], 0, 0
    try:
        with db.read() as session:
            policy = policies.resolve(session, None)
            district = rankings.UnitTree(session)
            district_id = next(u.id for u in district.units.values() if u.kind is UnitKind.DISTRICT)
        for _ in range(RUNS):
            started = time.perf_counter()
            with db.read() as session:
                period = rates.parse_period(PERIOD)
                counted_once = rankings.PeriodCounts(session, policy)
                every = rankings.rank_all(session, policy, period, counted=counted_once)
                whole = rankings.rates_of(session, policy, period, district_id, counted=counted_once)
            timings.append(time.perf_counter() - started)
            counted, units = whole.counted, sum(len(r.rows) for r in every.values())
    finally:
        db.dispose()
    return {"median_s": round(statistics.median(timings), 3), "best_s": round(min(timings), 3),
            "first_s": round(timings[0], 3), "counted_in_month": counted, "units_ranked": units,
            "district_score": str(whole.score), "rss_before_mb": round(before_mb, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def report(figures: dict[str, Any]) -> str:
    target = 1.0 if figures["database"] == "postgresql" else 3.0
    return (f"every ranking of {PERIOD} (+ a month and a year before) and the district's rates: "
            f"median {figures['median_s']:.3f} s of {RUNS} (first {figures['first_s']:.3f} s; target < "
            f"{target:g} s); {figures['counted_in_month']:,} orders counted in the month, "
            f"{figures['units_ranked']} units listed; peak RSS {figures['peak_rss_mb']} MB")


def main(argv: list[str] | None = None) -> int:
    return fresh.main(argv, doc=__doc__, script=__file__, name="rates", results=RESULTS,
                      what="archived orders over a year", fill=fill, measure=measure, report=report)


if __name__ == "__main__":
    raise SystemExit(main())
