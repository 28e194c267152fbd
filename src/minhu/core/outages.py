"""Telling an outage (the database cannot be reached or used now: a 503, retry later) from a bug (a statement
that is wrong: a 500 to fix)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# What SQLite says when another process holds the file, or the file cannot be reached.
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "unable to open database file",
                       "disk i/o error")
# PostgreSQL's SQLSTATEs of an outage: connection exceptions (class 08), the server shutting down or restarting
# (57P01-57P03), too many connections (53300). A deadlock, a query too large or a statement timeout are not
# outages: answering them "try again in 5 s" would hide a bug behind a retry loop.
_POSTGRES_UNAVAILABLE = ("57P01", "57P02", "57P03", "53300")


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or the error it was raised from) says the database cannot be reached or used now."""
    seen = 0
    while exc is not None and seen < 5:
        if _unavailable(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    orig = exc.orig
    if orig is not None and type(orig).__module__.startswith("sqlite3"):
        return any(words in str(orig).lower() for words in _SQLITE_UNAVAILABLE)
    state = getattr(orig, "sqlstate", None)
    # No SQLSTATE: the driver never reached a server (refused, timed out, closed under it).
    return state is None or state.startswith("08") or state in _POSTGRES_UNAVAILABLE
