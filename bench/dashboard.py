"""The dashboard over a year of a large district: 1,000,000 orders.

The database is filled as ``bench/rates.py`` fills it (a year of archived orders, 2025-11 to 2026-10, owned by
40 streets, 400 communities, property companies and departments), then each order is given a street and a
community (those of its owner, or drawn for a department's), a category among the catalog's first levels and a
channel (one in eight a grid patrol). The measurement, in a fresh process, is what the dashboard page computes
for October 2026 as the command centre sees it — the total with 环比 and 同比, the day-by-day series beside last
year's, five breakdowns with their previous period, the grid-found share, the three rates by category — then the
same for one street.

    python bench/dashboard.py                        # 1,000,000 orders, SQLite and PostgreSQL
    python bench/dashboard.py --orders 100000 --databases sqlite

Results: a table on stdout and bench/results/dashboard.json. Target: under 500 ms.
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # run as a script: the repository's bench/

from sqlalchemy import bindparam, select, update  # noqa: E402

from bench import fresh  # noqa: E402
from bench import rates as rates_bench  # noqa: E402
from minhu.core.db import Base, Database  # noqa: E402
from minhu.dashboard import figures  # noqa: E402
from minhu.models import load_all  # noqa: E402
from minhu.orders.models import WorkOrder  # noqa: E402
from minhu.org import service as org_service  # noqa: E402
from minhu.org.models import Unit, User  # noqa: E402
from minhu.org.roles import Role, UnitKind  # noqa: E402
from minhu.routing import catalog  # noqa: E402
from minhu.web.period import Period  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "dashboard.json"
MONTH = Period(date(2026, 10, 1), date(2026, 10, 31))
RUNS = 5
CHUNK = 20_000
CHANNELS = ["hotline"] * 5 + ["web_board", "mobile", "grid_patrol"]


def fill(db: Database, orders: int) -> None:
    rates_bench.fill(db, orders)
    rng = random.Random(20261207)
    with db.transaction() as session:
        catalog.load_catalog(session, catalog.read_catalog())
        firsts = [row.code for row in catalog.read_catalog().rows if len(row.code) == 2]
        units = {u.id: u for u in session.scalars(select(Unit))}
        centre = next(u for u in units.values() if u.kind is UnitKind.CENTRE)
        org_service.create_user(session, username="bench", password="bench-password", full_name="基准",
                                role=Role.DISPATCHER, unit=centre)
        streets = [u for u in units.values() if u.kind is UnitKind.STREET]
        communities = {s.id: [u for u in units.values() if u.parent_id == s.id and u.kind is UnitKind.COMMUNITY]
                       for s in streets}
        owners = dict(session.execute(select(WorkOrder.id, WorkOrder.owner_unit_id)).all())
    table = Base.metadata.tables[WorkOrder.__tablename__]
    statement = update(table).where(table.c.id == bindparam("order_id")).values(
        street_id=bindparam("street"), community_id=bindparam("community"), category_code=bindparam("category"),
        channel=bindparam("channel"))
    ids = sorted(owners)
    for start in range(0, len(ids), CHUNK):
        rows = []
        for order_id in ids[start:start + CHUNK]:
            owner = units[owners[order_id]]
            street = owner if owner.kind is UnitKind.STREET else units.get(owner.parent_id or 0)
            if street is None or street.kind is not UnitKind.STREET:
                street = rng.choice(streets)
            community = owner if owner.kind is UnitKind.COMMUNITY else rng.choice(communities[street.id])
            rows.append({"order_id": order_id, "street": street.id, "community": community.id,
                         "category": rng.choice(firsts) + "01", "channel": rng.choice(CHANNELS)})
        with db.transaction() as session:
            session.connection().execute(statement, rows)
    with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if db.url.startswith("postgresql") else "ANALYZE")


def measure(url: str) -> dict[str, Any]:
    load_all()
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db = Database(url)
    timings, street_timings = [], []
    try:
        with db.read() as session:
            viewer = session.scalars(select(User).where(User.username == "bench")).one()
            street = session.scalars(select(Unit).where(Unit.kind == UnitKind.STREET).order_by(Unit.code)).first()
        for _ in range(RUNS):
            started = time.perf_counter()
            with db.read() as session:
                board = figures.dashboard(session, MONTH, viewer=viewer)
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            with db.read() as session:
                figures.dashboard(session, MONTH, viewer=viewer, place=street)
            street_timings.append(time.perf_counter() - started)
    finally:
        db.dispose()
    return {"median_s": round(statistics.median(timings), 3), "first_s": round(timings[0], 3),
            "street_median_s": round(statistics.median(street_timings), 3), "total": board.total,
            "month_on_month": str(board.month_on_month.percent), "year_on_year": str(board.year_on_year.percent),
            "rss_before_mb": round(before_mb, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def report(found: dict[str, Any]) -> str:
    return (f"the dashboard of October 2026: median {found['median_s']:.3f} s of {RUNS} (first {found['first_s']:.3f}"
            f" s; one street {found['street_median_s']:.3f} s; target < 0.5 s); {found['total']:,} orders in the "
            f"month; peak RSS {found['peak_rss_mb']} MB")


def main(argv: list[str] | None = None) -> int:
    return fresh.main(argv, doc=__doc__, script=__file__, name="dashboard", results=RESULTS,
                      what="orders over a year", fill=fill, measure=measure, report=report)


if __name__ == "__main__":
    raise SystemExit(main())
