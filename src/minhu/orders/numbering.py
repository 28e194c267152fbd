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
from minhu.core.db import Base, conflict_insert
from minhu.orders.models import OrderSequence


@cache
def _bump_statement(dialect: str) -> ReturningInsert[tuple[int]]:
    """The upsert, built once per dialect (building it costs more than running it)."""
    # On the table, not the mapped class: an insert of a mapped class takes the ORM's bulk path, which
    # costs several times the statement itself on every order.
    table = Base.metadata.tables[OrderSequence.__tablename__]
    return (
        conflict_insert(dialect, table).values(prefix=bindparam("prefix"), day=bindparam("day"), last_value=1)
        .on_conflict_do_update(index_elements=[table.c.prefix, table.c.day],
                               set_={"last_value": table.c.last_value + 1})
        .returning(table.c.last_value)
    )


def next_number(session: Session, prefix: str) -> str:
    day = clock.city_now().strftime("%Y%m%d")
    statement = _bump_statement(session.get_bind().dialect.name)
    value = session.execute(statement, {"prefix": prefix, "day": day}).scalar_one()
    return f"{prefix}{day}{value:06d}"
