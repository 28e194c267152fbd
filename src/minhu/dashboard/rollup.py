"""The dashboard's daily counts, kept exact in the transaction of every change that moves them.

An order adds 1 to one row per breakdown (``DIMENSIONS``) for the whole district (place 0) and for its street:
the row of its city day and its value there. Communities are left out: a community's few orders a day are
quickly counted from the orders themselves, and keeping them here would more than double the rows. Voided orders add
nothing. What an order adds depends only on ``TRACKED``: when one of them changes, its old rows lose 1 and its
new rows gain 1, in one upsert written with the change.

Two kinds of writes reach here. Intake writes a new order with a plain insert the ORM never flushes, and
announces it (``order_created``): ``count_new`` adds it. Every later change — a move along the lifecycle
(re-classified at dispatch, voided, restored), or any other edit of a tracked column through the ORM — is
flushed, and ``count_flush`` (a ``before_flush`` hook, while the database still holds the old values) counts
the difference. A write that bypasses both (a bulk load) calls ``count_rows`` or ``rebuild``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, delete, func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from minhu.core import clock
from minhu.core.db import Base, conflict_insert
from minhu.dashboard.models import DashboardCount
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status

WHOLE = 0  # the place of every order: the whole district
DIMENSIONS = ("category", "channel", "type", "street", "community")
# The order's columns its rows depend on.
TRACKED = ("status", "created_at", "street_id", "community_id", "category_code", "channel", "type")
FIRST_LEVEL = 2  # a category's first level is the first two characters of its code

Key = tuple[int, str, date, str]  # place, dimension, day, value

_COUNTS = Base.metadata.tables[DashboardCount.__tablename__]
# The orders as plain columns: a rebuild (and the migration that creates the table) reads whatever is stored,
# even a value no enum knows.
_ORDERS = sa.table("work_orders", sa.column("id", sa.Integer), sa.column("status", sa.String),
                   sa.column("created_at", sa.DateTime(timezone=True)), sa.column("street_id", sa.Integer),
                   sa.column("community_id", sa.Integer), sa.column("category_code", sa.String),
                   sa.column("channel", sa.String), sa.column("type", sa.String))
CHUNK = 5_000
# Rows per upsert statement: five parameters each, well within PostgreSQL's 65,535.
UPSERT_ROWS = 1_000


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def keys(values: Mapping[str, Any]) -> list[Key]:
    """The rows an order with these ``TRACKED`` values adds 1 to."""
    if values["status"] == Status.VOIDED.value:
        return []
    created: datetime = values["created_at"]
    if created.tzinfo is None:  # SQLite hands back the stored UTC instant without its zone
        created = created.replace(tzinfo=UTC)
    day = created.astimezone(clock.city_tz()).date()
    category = values["category_code"]
    street, community = values["street_id"], values["community_id"]
    by = (("category", category[:FIRST_LEVEL] if category is not None else ""),
          ("channel", _text(values["channel"])), ("type", _text(values["type"])),
          ("street", _text(street)), ("community", _text(community)))
    places = (WHOLE,) if street is None else (WHOLE, street)
    return [(place, dimension, day, value) for place in places for dimension, value in by]


def apply(session: Session | Connection, deltas: Counter[Key]) -> None:
    """Add ``deltas`` to the counts: one statement for an order's change, its rows in key order (so concurrent
    writers lock the rows they share in the same order); a bulk load in statements of ``UPSERT_ROWS`` rows."""
    rows = [{"place_id": p, "dimension": d, "day": day, "value": v, "orders": n}
            for (p, d, day, v), n in sorted(deltas.items()) if n]
    dialect = session.get_bind().dialect.name if isinstance(session, Session) else session.dialect.name
    for start in range(0, len(rows), UPSERT_ROWS):
        statement = conflict_insert(dialect, _COUNTS).values(rows[start:start + UPSERT_ROWS])
        session.execute(statement.on_conflict_do_update(
            index_elements=[c.name for c in _COUNTS.primary_key], set_={"orders": _COUNTS.c.orders
                                                                        + statement.excluded.orders}))


def _values(order: WorkOrder) -> dict[str, Any]:
    return {name: getattr(order, name) for name in TRACKED}


def count_new(session: Session, order: WorkOrder) -> None:
    """Count an order intake has just written."""
    apply(session, Counter(keys(_values(order))))


def count_rows(session: Session | Connection, orders: Iterable[Mapping[str, Any]]) -> None:
    """Count orders written in bulk (their column values, as inserted)."""
    deltas: Counter[Key] = Counter()
    for values in orders:
        deltas.update(keys(values))
    apply(session, deltas)


def count_flush(session: Session, _context: Any, _instances: Any) -> None:
    """The difference the flush about to happen makes to the counts: orders the ORM inserts, changes to a
    tracked column, orders deleted. A value changed without being loaded first is read from the database."""
    deltas: Counter[Key] = Counter()
    for order in session.new:
        if isinstance(order, WorkOrder):
            deltas.update(keys(_values(order)))
    for order in session.dirty:
        if not isinstance(order, WorkOrder):
            continue
        committed = inspect(order).committed_state
        changed = [name for name in TRACKED if name in committed]
        if not changed:
            continue
        before = _values(order) | {name: committed[name] for name in changed}
        if any(before[name] is NO_VALUE for name in changed):
            before = dict(session.execute(select(*(_ORDERS.c[name] for name in TRACKED))
                                          .where(_ORDERS.c.id == order.id)).one()._mapping)
        deltas.subtract(keys(before))
        deltas.update(keys(_values(order)))
    for order in session.deleted:
        if isinstance(order, WorkOrder):
            state = inspect(order).committed_state
            deltas.subtract(keys(_values(order) | {k: v for k, v in state.items() if k in TRACKED}))
    apply(session, deltas)


def rebuild(connection: Connection) -> int:
    """Count every order afresh (for a database the counts were never kept on, or to check them); returns the
    number of rows written. Runs in the caller's transaction."""
    connection.execute(delete(_COUNTS))
    counts: Counter[Key] = Counter()
    query = select(*(_ORDERS.c[name] for name in TRACKED)).where(_ORDERS.c.status != Status.VOIDED.value)
    for row in connection.execute(query.execution_options(yield_per=CHUNK)):
        counts.update(keys(dict(row._mapping)))
    rows = [{"place_id": p, "dimension": d, "day": day, "value": v, "orders": n}
            for (p, d, day, v), n in sorted(counts.items())]
    for start in range(0, len(rows), CHUNK):
        connection.execute(_COUNTS.insert(), rows[start:start + CHUNK])
    return len(rows)


# ---------------------------------------------------------------------------------------------- reading

def _in(first: date, last: date) -> list[ColumnElement[bool]]:
    return [DashboardCount.day >= first, DashboardCount.day <= last]


def breakdowns(session: Session, place_id: int, first: date, last: date) -> dict[str, Counter[str]]:
    """Per breakdown, the orders of the days from ``first`` to ``last`` by value ('' for none)."""
    c = DashboardCount
    found: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    rows = session.execute(select(c.dimension, c.value, func.sum(c.orders))
                           .where(c.place_id == place_id, c.dimension.in_(DIMENSIONS), *_in(first, last))
                           .group_by(c.dimension, c.value))
    for dimension, value, orders in rows:
        if orders:
            found[dimension][value] = int(orders)
    return found


def by_day(session: Session, place_id: int, first: date, last: date) -> Counter[date]:
    """The orders of each day from ``first`` to ``last`` (every order has one channel: their sum)."""
    c = DashboardCount
    rows = session.execute(select(c.day, func.sum(c.orders))
                           .where(c.place_id == place_id, c.dimension == "channel", *_in(first, last))
                           .group_by(c.day))
    return Counter({day: int(orders) for day, orders in rows if orders})
