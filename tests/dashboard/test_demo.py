"""The demo's orders — a year written in bulk, then the live story registered and moved as people would — are in
the dashboard's daily counts, exactly as a rebuild from the orders finds them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from minhu.core.db import Database
from minhu.dashboard import rollup
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status
from tests.dashboard.test_rollup import daily_counts
from tests.demo_database import demo_database


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, database_template: str) -> Iterator[Database]:
    """A database with the demo loaded, once for this module."""
    with demo_database(tmp_path_factory, database_template) as database:
        yield database


def test_the_demo_s_orders_are_in_the_daily_counts_as_a_rebuild_finds_them(demo_db: Database) -> None:
    kept = daily_counts(demo_db)
    with demo_db.transaction() as s:
        rollup.rebuild(s.connection())
    assert daily_counts(demo_db) == kept
    with demo_db.read() as s:
        orders = s.scalar(select(func.count()).select_from(WorkOrder).where(WorkOrder.status != Status.VOIDED))
    assert sum(n for (place, dimension, _, _), n in kept.items() if place == 0 and dimension == "channel") == orders
