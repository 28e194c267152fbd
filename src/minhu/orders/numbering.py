"""Human order numbers: prefix, city date, six-digit daily sequence (WC20261122000123).

The sequence row is bumped by one atomic upsert inside the order's own transaction, so two
concurrent creates can never draw the same number and a rolled-back create gives its number back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.orders.models import OrderSequence


def next_number(session: Session, prefix: str) -> str:
    day = clock.city_now().strftime("%Y%m%d")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(OrderSequence).values(prefix=prefix, day=day, last_value=1)
        .on_conflict_do_update(index_elements=[OrderSequence.prefix, OrderSequence.day],
                               set_={"last_value": OrderSequence.last_value + 1})
        .returning(OrderSequence.last_value)
    )
    value = session.execute(statement).scalar_one()
    return f"{prefix}{day}{value:06d}"


def last_issued(session: Session, prefix: str, day: str) -> int:
    return session.scalar(select(OrderSequence.last_value).where(OrderSequence.prefix == prefix,
                                                                OrderSequence.day == day)) or 0
