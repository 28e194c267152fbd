"""The dashboard over a year of a large district: 1,000,000 orders.

The database is filled as ``bench/rates.py`` fills it (a year of archived orders, 2025-11 to 2026-10, owned by
40 streets, 400 communities, property companies and departments, in bulk inserts), each order written with a
street and a community (those of its owner, or drawn for a department's), a category among the catalog's first
levels and a channel (one in eight a grid patrol); then the dashboard's daily counts are rebuilt from the orders
as ``minhu dashboard rebuild`` does (its time is printed). The measurement, in a fresh process, is what the
dashboard page computes for October 2026 as the command centre sees it — the total with 环比 and 同比, the
day-by-day series beside last year's, five breakdowns with their previous period, the grid-found share, the three
rates by category — then the same for one street, then the rates alone.

    python bench/dashboard.py                        # 1,000,000 orders, SQLite and PostgreSQL
    python bench/dashboard.py --orders 100000 --databases sqlite

Results: the timings and the figures on stdout, and bench/results/dashboard.json. Target: under 500 ms.
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

from sqlalchemy import func, select  # noqa: E402

from bench import fresh  # noqa: E402
from bench import rates as rates_bench  # noqa: E402
from minhu.core.db import Database  # noqa: E402
from minhu.dashboard import figures, rollup  # noqa: E402
from minhu.models import load_all  # noqa: E402
from minhu.org import service as org_service  # noqa: E402
from minhu.org.models import Unit, User  # noqa: E402
from minhu.org.roles import Role, UnitKind  # noqa: E402
from minhu.routing import catalog  # noqa: E402
from minhu.routing.models import Category  # noqa: E402
from minhu.web.period import Period  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "dashboard.json"
MONTH = Period(date(2026, 10, 1), date(2026, 10, 31))
RUNS = 5
CHANNELS = ["hotline"] * 5 + ["web_board", "mobile", "grid_patrol"]


def fill(db: Database, orders: int) -> None:
    """The rates benchmark's orders, each written at once with a street and a community (its owner's, or drawn
    for a department's), a first-level category and a channel; then the dashboard's daily counts rebuilt from
    them, as ``minhu dashboard rebuild`` does."""
    rng = random.Random(20261207)
    firsts = [row.code for row in catalog.read_catalog().rows if len(row.code) == 2]
    units: dict[int, Unit] = {}
    streets: list[Unit] = []
    communities: dict[int, list[Unit]] = {}

    def place(row: dict[str, Any]) -> None:
        if not units:  # the units are made by the first chunk's transaction, before its rows are written
            with db.read() as session:
                units.update({u.id: u for u in session.scalars(select(Unit))})
            streets.extend(u for u in units.values() if u.kind is UnitKind.STREET)
            communities.update({s.id: [u for u in units.values() if u.parent_id == s.id
                                       and u.kind is UnitKind.COMMUNITY] for s in streets})
        owner = units[row["owner_unit_id"]]
        street = owner if owner.kind is UnitKind.STREET else units.get(owner.parent_id or 0)
        if street is None or street.kind is not UnitKind.STREET:
            street = rng.choice(streets)
        community = owner if owner.kind is UnitKind.COMMUNITY else rng.choice(communities[street.id])
        row.update({"street_id": street.id, "community_id": community.id, "category_code": rng.choice(firsts) + "01",
                    "channel": rng.choice(CHANNELS)})

    rates_bench.fill(db, orders, more=place)
    with db.transaction() as session:
        catalog.load_catalog(session, catalog.read_catalog())
        centre = session.scalars(select(Unit).where(Unit.kind == UnitKind.CENTRE)).one()
        org_service.create_user(session, username="bench", password="bench-password", full_name="基准",
                                role=Role.DISPATCHER, unit=centre)
    started = time.perf_counter()
    with db.transaction() as session:
        rows = rollup.rebuild(session.connection())
    print(f"   daily counts rebuilt from the orders: {rows:,} rows in {time.perf_counter() - started:.1f} s",
          flush=True)
    with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if db.url.startswith("postgresql") else "ANALYZE")


def measure(url: str) -> dict[str, Any]:
    load_all()
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db = Database(url)
    timings, street_timings, rates_timings = [], [], []
    try:
        with db.read() as session:
            viewer = session.scalars(select(User).where(User.username == "bench")).one()
            street = session.scalars(select(Unit).where(Unit.kind == UnitKind.STREET)
                                     .order_by(Unit.code).limit(1)).one()
        for _ in range(RUNS):
            started = time.perf_counter()
            with db.read() as session:
                board = figures.dashboard(session, MONTH, viewer=viewer)
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            with db.read() as session:
                figures.dashboard(session, MONTH, viewer=viewer, place=street)
            street_timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            with db.read() as session:
                names = dict(session.execute(select(Category.code, Category.name)
                                             .where(func.length(Category.code) == 2)).all())
                figures._rates_by_category(session, figures._scope(viewer, None), MONTH, names)
            rates_timings.append(time.perf_counter() - started)
        with db.read() as session:
            one_street = figures.dashboard(session, MONTH, viewer=viewer, place=street)
    finally:
        db.dispose()
    return {"median_s": round(statistics.median(timings), 3), "first_s": round(timings[0], 3),
            "street_median_s": round(statistics.median(street_timings), 3),
            "rates_median_s": round(statistics.median(rates_timings), 3), "total": board.total,
            "month_on_month": str(board.month_on_month.percent), "year_on_year": str(board.year_on_year.percent),
            "previous": board.month_on_month.before, "last_year": board.year_on_year.before,
            "grid_share": str(board.grid_share), "top_category": f"{board.by_category[0].label} "
                                                               f"{board.by_category[0].count}",
            "rated_categories": len(board.rates_by_category), "street": street.name, "street_total": one_street.total,
            "rss_before_mb": round(before_mb, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def report(found: dict[str, Any]) -> str:
    return (f"the dashboard of October 2026: median {found['median_s']:.3f} s of {RUNS} (first {found['first_s']:.3f}"
            f" s; one street {found['street_median_s']:.3f} s; the whole district's rates by category alone "
            f"{found['rates_median_s']:.3f} s; target < 0.5 s); peak RSS {found['peak_rss_mb']} MB; fill "
            f"{found['fill_s']} s\n   figures: {found['total']:,} orders in the month, {found['previous']:,} the 31 "
            f"days before ({found['month_on_month']}%), {found['last_year']:,} a year before "
            f"({found['year_on_year']}%); "
            f"found by grid workers {found['grid_share']}%; first category {found['top_category']}; "
            f"{found['rated_categories']} categories rated; {found['street']} {found['street_total']:,}")


def main(argv: list[str] | None = None) -> int:
    return fresh.main(argv, doc=__doc__, script=__file__, name="dashboard", results=RESULTS,
                      what="orders over a year", fill=fill, measure=measure, report=report)


if __name__ == "__main__":
    raise SystemExit(main())
