"""One time-limit sweep over a million open orders: the lights board (yellow and red by unit and limit)
and the due actions, on SQLite and PostgreSQL, with the sweep's peak memory.

The database is filled directly (bulk inserts, no trail) with open orders spread over 40 streets and the
open states, their deadlines and warning instants scattered over a week around now; the actions earlier
sweeps would have taken (every light that changed before the last sweep, ten minutes ago) are recorded,
so the measured sweep finds what a sweep every ten minutes finds: the lights that changed since. The
measurement runs in a fresh process, so its peak RSS is the sweep's, not the filling's.

    python bench/sweep.py                       # 1,000,000 orders, SQLite and PostgreSQL
    python bench/sweep.py --orders 100000 --databases sqlite

Results: a table on stdout and bench/results/sweep.json.
"""

from __future__ import annotations

import logging
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # run as a script: the repository's bench/

from sqlalchemy import and_, insert, literal, select  # noqa: E402

from bench import fresh  # noqa: E402
from minhu.core import clock  # noqa: E402
from minhu.core.db import Base, Database  # noqa: E402
from minhu.models import load_all  # noqa: E402
from minhu.orders.lights import count_by_unit  # noqa: E402
from minhu.orders.models import WorkOrder  # noqa: E402
from minhu.orders.states import Status  # noqa: E402
from minhu.org import service as org_service  # noqa: E402
from minhu.org.roles import UnitKind  # noqa: E402
from minhu.supervision import setup  # noqa: E402
from minhu.supervision.models import ClockAction, SweepMark  # noqa: E402
from minhu.supervision.sweep import RULES, SweepPolicy, _due_now, sweep  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "sweep.json"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday morning in the city
SWEEP_EVERY = timedelta(minutes=10)
STREETS = 40
CHUNK = 20_000
OPEN = [Status.ACCEPTED, Status.DISPATCHED, Status.SIGNED, Status.HANDLING, Status.HANDLING, Status.REVIEWED]


def fill(db: Database, orders: int) -> None:
    """Units, the default policy and calendar, ``orders`` open orders, and the earlier sweeps' actions."""
    with clock.frozen(NOW), db.transaction() as session:
        setup.seed_calendar(session)
        setup.load_policy_file(session)
        district = org_service.create_unit(session, code="B", name="基准区", kind=UnitKind.DISTRICT)
        org_service.create_unit(session, code="B-C", name="基准区指挥中心", kind=UnitKind.CENTRE, parent=district)
        streets = [org_service.create_unit(session, code=f"B{i:02d}", name=f"第{i}街道", kind=UnitKind.STREET,
                                           parent=district).id for i in range(STREETS)]
    rng = random.Random(20261125)
    table = Base.metadata.tables[WorkOrder.__tablename__]
    hour = timedelta(hours=1)
    for start in range(0, orders, CHUNK):
        rows: list[dict[str, Any]] = []
        for i in range(start, min(start + CHUNK, orders)):
            status = rng.choice(OPEN)
            created = NOW - timedelta(minutes=rng.randrange(7 * 24 * 60))
            finish = NOW + timedelta(minutes=rng.randrange(-2 * 24 * 60, 5 * 24 * 60))
            sign = created + 2 * hour if status is Status.DISPATCHED else None
            respond = created + 8 * hour if status in (Status.DISPATCHED, Status.SIGNED, Status.HANDLING) else None
            callback = created + 48 * hour if status is Status.REVIEWED else None
            rows.append({
                "number": f"B{i:09d}", "channel": "hotline", "type": "complaint", "urgency": "normal",
                "status": status.value, "anonymous": False, "confidential": False, "title": "基准工单",
                "content": "用于时限扫描的基准工单。", "owner_unit_id": rng.choice(streets), "created_at": created,
                "updated_at": created, "version": 1, "grade": "B", "deadlines_provisional": False,
                "finish_due_at": finish, "finish_warn_at": finish - 5 * hour,
                "sign_due_at": sign, "sign_warn_at": sign - 0.4 * hour if sign else None,
                "respond_due_at": respond, "respond_warn_at": respond - 1.4 * hour if respond else None,
                "callback_due_at": callback, "callback_warn_at": callback - 3 * hour if callback else None,
            })
        with db.transaction() as session:
            session.execute(insert(table), rows)
    # What the sweeps up to ten minutes ago did: every rule's action on what was due then.
    earlier = NOW - SWEEP_EVERY
    with db.transaction() as session:
        for rule in RULES:
            due = getattr(WorkOrder, f"{rule.limit.value}_due_at")
            session.execute(insert(ClockAction).from_select(
                ["order_id", "action", "limit", "due_at", "at"],
                select(WorkOrder.id, literal(rule.action.value), literal(rule.limit.value), due, literal(earlier))
                .where(and_(_due_now(rule, earlier, SweepPolicy())))))
            session.add(SweepMark(rule=rule.key, swept_until=earlier))
    # What the database's own maintenance (autovacuum, ANALYZE) would have done by now after a day of orders.
    with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE work_orders" if db.url.startswith("postgresql") else "ANALYZE")


def measure(url: str) -> dict[str, Any]:
    """The board and one sweep at NOW, in this (fresh) process."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    load_all()
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the imports alone
    db = Database(url)
    try:
        with clock.frozen(NOW):
            started = time.perf_counter()
            with db.read() as session:
                counts = count_by_unit(session, NOW)
            board_s = time.perf_counter() - started
            started = time.perf_counter()
            result = sweep(db)
            sweep_s = time.perf_counter() - started
    finally:
        db.dispose()
    return {"board_s": round(board_s, 3), "sweep_s": round(sweep_s, 3), "total_s": round(board_s + sweep_s, 3),
            "yellow_red_cells": len(counts), "actions": dict(result.done), "failed": result.failed,
            "rss_before_mb": round(before_mb, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def report(figures: dict[str, Any]) -> str:
    return (f"lights board {figures['board_s']:.2f} s + sweep {figures['sweep_s']:.2f} s "
            f"= {figures['total_s']:.2f} s (target < 5 s); actions {figures['actions']}; "
            f"peak RSS {figures['peak_rss_mb']} MB ({figures['rss_before_mb']} MB before the board and sweep)")


def main(argv: list[str] | None = None) -> int:
    return fresh.main(argv, doc=__doc__, script=__file__, name="sweep", results=RESULTS, what="open orders", fill=fill,
                      measure=measure, report=report)


if __name__ == "__main__":
    raise SystemExit(main())
