"""The demo's orders — a year written in bulk, then the live story registered and moved as people would — are in
the dashboard's daily counts, exactly as a rebuild from the orders finds them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text

from minhu import listeners
from minhu.core import clock
from minhu.core.db import Base, Database
from minhu.dashboard import rollup
from minhu.dashboard.models import DashboardCount
from minhu.demo import city
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status

LOADED_AT = datetime(2026, 11, 29, 10, 0, tzinfo=clock.city_tz())


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, database_template: str) -> Iterator[Database]:
    if database_template.startswith("postgresql"):
        database = Database(database_template)
    else:
        path = tmp_path_factory.mktemp("demo") / "minhu.db"
        shutil.copyfile(database_template, path)
        database = Database(f"sqlite:///{path}")
    listeners.install()  # as the command line does before it loads the demo (this runs before the autouse fixtures)
    with clock.frozen(LOADED_AT):
        city.load(database)
    yield database
    if database_template.startswith("postgresql"):
        tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
        with database.write_engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    database.dispose()


def test_the_demo_s_orders_are_in_the_daily_counts_as_a_rebuild_finds_them(demo_db: Database) -> None:
    def counts() -> dict[tuple[int, str, date, str], int]:
        with demo_db.read() as s:
            return {(c.place_id, c.dimension, c.day, c.value): c.orders
                    for c in s.scalars(select(DashboardCount)) if c.orders}

    kept = counts()
    with demo_db.transaction() as s:
        rollup.rebuild(s.connection())
    assert counts() == kept
    with demo_db.read() as s:
        orders = s.scalar(select(func.count()).select_from(WorkOrder).where(WorkOrder.status != Status.VOIDED))
    assert sum(n for (place, dimension, _, _), n in kept.items() if place == 0 and dimension == "channel") == orders
