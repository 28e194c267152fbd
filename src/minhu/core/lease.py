"""Named leases in the database: at most one holder at a time, taken over once it expires.

A lease is how two processes agree that only one of them runs an exclusive job (a sweep). Each
call is one short write transaction of single conditional statements, so it is correct on both
databases: SQLite runs one write transaction at a time (``BEGIN IMMEDIATE``); on PostgreSQL a
competing UPDATE waits for the row and re-checks its condition against the committed row, and a
competing INSERT of the same name does nothing.

A holder keeps its lease by calling ``acquire`` (or ``renew``) again before it expires; work done
under a lease must finish within its ``ttl``, or another holder may start the same work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, case, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from minhu.core import clock
from minhu.core.db import Base, Database, conflict_insert, rows_changed
from minhu.core.types import UTCDateTime


class Lease(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _insert_if_absent(session: Session, values: dict[str, object]) -> bool:
    table = Base.metadata.tables[Lease.__tablename__]
    statement = conflict_insert(session, table).values(values).on_conflict_do_nothing(index_elements=["name"])
    return bool(session.execute(statement.returning(table.c.name)).first())


def acquire(db: Database, name: str, holder: str, ttl: timedelta) -> bool:
    """Take the lease ``name`` for ``holder`` until now + ``ttl``; True when it is now held by ``holder``.

    Succeeds when nobody holds it, when it expired, or when ``holder`` already holds it (then it is
    renewed). Fails, without waiting, while another holder's lease runs.
    """
    now = clock.now()
    expires = now + ttl
    with db.transaction() as session:
        taken = rows_changed(session.execute(
            update(Lease)
            .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at <= now))
            .values(holder=holder, expires_at=expires,
                    # A renewal keeps the time it was first taken; a takeover starts a new tenure.
                    acquired_at=_tenure_start(holder, now))
            .execution_options(synchronize_session=False)
        ))
        if taken:
            return True
        return _insert_if_absent(session, {"name": name, "holder": holder, "acquired_at": now,
                                           "expires_at": expires})


def _tenure_start(holder: str, now: datetime) -> ColumnElement[datetime]:
    return case((Lease.holder == holder, Lease.acquired_at), else_=now)


def renew(db: Database, name: str, holder: str, ttl: timedelta) -> bool:
    """Extend ``holder``'s lease to now + ``ttl``; False when ``holder`` no longer holds it."""
    with db.transaction() as session:
        return bool(rows_changed(session.execute(
            update(Lease).where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=clock.now() + ttl).execution_options(synchronize_session=False)
        )))


def release(db: Database, name: str, holder: str) -> bool:
    """Give the lease up so another holder may take it at once; False when ``holder`` did not hold it."""
    with db.transaction() as session:
        return bool(rows_changed(session.execute(
            delete(Lease).where(Lease.name == name, Lease.holder == holder)
            .execution_options(synchronize_session=False)
        )))


def holder_of(db: Database, name: str) -> str | None:
    """Who holds the lease now (None when nobody does, or it expired)."""
    with db.read() as session:
        return session.scalar(select(Lease.holder).where(Lease.name == name, Lease.expires_at > clock.now()))
