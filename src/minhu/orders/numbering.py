"""Human order numbers: prefix, city date, six-digit daily sequence (WC20261122000123).

The sequence row is bumped by one atomic upsert inside the order's own transaction, so two
concurrent creates can never draw the same number and a rolled-back create gives its number back.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from minhu.core import clock
from minhu.core.db import conflict_insert
from minhu.orders.models import OrderSequence


@cache
def _bump_statement(dialect: str) -> ReturningInsert[tuple[int]]:
    """The upsert, built once per dialect (building it costs more than running it)."""
    return (
        conflict_insert(dialect, OrderSequence).values(prefix=bindparam("prefix"), day=bindparam("day"), last_value=1)
        .on_conflict_do_update(index_elements=[OrderSequence.prefix, OrderSequence.day],
                               set_={"last_value": OrderSequence.last_value + 1})
        .returning(OrderSequence.last_value)
    )


def next_number(session: Session, prefix: str) -> str:
    day = clock.city_now().strftime("%Y%m%d")
    statement = _bump_statement(session.get_bind().dialect.name)
    value = session.execute(statement, {"prefix": prefix, "day": day}).scalar_one()
    return f"{prefix}{day}{value:06d}"
