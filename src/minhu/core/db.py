"""Engines, sessions and the visible transaction boundary.

SQLite is the embedded default: a file in WAL mode with ``synchronous=FULL`` so an acknowledged
order survives a power cut. Many threads writing SQLite at once stall for seconds, so writes go
through a separate engine whose pool holds exactly one connection and begins ``IMMEDIATE``: one
writer per process, and other processes wait on the busy timeout instead of failing. Within the process
writers take turns in the order they asked (``WriteTurns``). Reads use a deferred ``BEGIN`` so readers never
lock each other out. PostgreSQL uses one pooled engine for both.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Engine, MetaData, Result, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool

from minhu.core.groupcommit import GroupCommitter

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite(engine: Engine, *, begin: str, wait_seconds: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (the documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(wait_seconds * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def conflict_insert(where: Session | str, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT (DO NOTHING / DO UPDATE), in the dialect of ``where`` (a session,
    or a dialect's name): the two databases we run on spell it alike, but SQLAlchemy keeps them apart."""
    dialect = where if isinstance(where, str) else where.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


# A request waits this long for a database that is locked or does not answer, then gets a 503.
DEFAULT_WAIT_SECONDS = 5.0

def _postgres_connect_args(wait_seconds: float) -> dict[str, int]:
    """A server that stops answering without closing the connection (a crashed host, a cut network) is noticed
    in seconds, not in the operating system's quarter of an hour: keep-alives probe an idle connection, and
    data the server never acknowledges fails the connection after ``tcp_user_timeout``. A long query is not cut:
    the server acknowledges while it works."""
    wait = max(int(wait_seconds), 1)
    return {"connect_timeout": wait, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
            "keepalives_count": 3, "tcp_user_timeout": max(wait, 10) * 1000}


class WriteTurns:
    """SQLite's one write connection, handed to the threads that want it in the order they asked.

    The pool alone is not fair: the group committer returns the connection and takes it back for its next
    batch before a waiting request's thread is even scheduled, so on a storm morning a dispatcher's one
    transition could wait behind batch after batch of new orders. A thread that already holds its turn
    may ask again (a nested transaction then fails on the pool's time-out, as it always did, instead of
    hanging here). Waits are untimed: a turn ends when its transaction does, and a statement waits at most
    the busy time-out."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[tuple[int, threading.Lock]] = deque()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return
            if self._owner is None:
                self._owner, self._depth = me, 1
                return
            baton = threading.Lock()
            baton.acquire()
            self._waiting.append((me, baton))
        baton.acquire()  # released by the holder, who has already made us the owner

    def release(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth:
                return
            if self._waiting:
                # The hand-over itself makes the next one the owner: no thread arriving meanwhile can jump the queue.
                self._owner, baton = self._waiting.popleft()
                self._depth = 1
                baton.release()
            else:
                self._owner = None

    @property
    def waiting(self) -> int:
        """How many threads wait for their turn."""
        with self._mutex:
            return len(self._waiting)

    @contextmanager
    def turn(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Database:
    """The engines and session factories of one deployment."""

    def __init__(self, url: str, *, echo: bool = False, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> None:
        """``wait_seconds``: how long a statement waits for a SQLite file another writer holds, or for a PostgreSQL
        server to accept the connection, before it fails (and the request answers 503)."""
        self.url = url
        if is_sqlite(url):
            connect_args = {"check_same_thread": False, "timeout": wait_seconds}
            self.read_engine = create_engine(url, echo=echo, connect_args=connect_args,
                                             pool_size=8, max_overflow=16, poolclass=QueuePool)
            self.write_engine = create_engine(url, echo=echo, connect_args=connect_args,
                                              pool_size=1, max_overflow=0, pool_timeout=60,
                                              poolclass=QueuePool)
            _configure_sqlite(self.read_engine, begin="BEGIN", wait_seconds=wait_seconds)
            _configure_sqlite(self.write_engine, begin="BEGIN IMMEDIATE", wait_seconds=wait_seconds)
        else:
            # Recycling old connections instead of pinging before each checkout saves a round trip
            # per transaction; a connection the server dropped fails once and is replaced.
            self.read_engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20,
                                             pool_recycle=1800, pool_timeout=max(wait_seconds, 1),
                                             connect_args=_postgres_connect_args(wait_seconds))
            self.write_engine = self.read_engine
        self._readers = sessionmaker(self.read_engine, expire_on_commit=False, autoflush=False)
        self._writers = sessionmaker(self.write_engine, expire_on_commit=False, autoflush=False)
        # SQLite has one writer, so its writers queue for it fairly; PostgreSQL's write concurrently.
        self._turns = WriteTurns() if is_sqlite(url) else None
        self._group = GroupCommitter(self._writers, turn=self.write_turn)

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads. Closing it ends the transaction without expiring what was loaded,
        so the objects stay readable (detached) after the block."""
        session = self._readers()
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back when it raises."""
        with self.write_turn():
            session = self._writers()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def write_turn(self) -> AbstractContextManager[None]:
        """Hold this for the whole of a write transaction (``transaction`` and the group committer do)."""
        return self._turns.turn() if self._turns is not None else nullcontext()

    def grouped(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in a write transaction shared with whatever other grouped work is waiting,
        and return its result once committed (see ``minhu.core.groupcommit``). For short, hot writes such
        as intake; ``work`` must not commit, and raises as it would in ``transaction``."""
        return self._group.run(work)

    @property
    def group_commits(self) -> GroupCommitter:
        return self._group

    def ping(self) -> None:
        with self.read_engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self._group.stop()
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE, DELETE or INSERT … ON CONFLICT DO NOTHING changed."""
    return int(cast("CursorResult[Any]", result).rowcount)
