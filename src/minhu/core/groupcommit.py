"""Group commit: many small write transactions acknowledged by one durable commit.

On a storm morning every operator, form and forwarding system registers orders at once. Committed one
by one, each order pays a durable commit (an fsync on SQLite, a WAL flush on PostgreSQL) and, on
PostgreSQL, holds the day's number-sequence row locked until that commit, so concurrent creates queue
behind each other. Here one thread, the committer, takes every piece of work waiting when it is free,
runs each in its own savepoint of one transaction, commits once, and only then tells each caller its
result: nothing is acknowledged before the commit that makes it durable, and a piece of work that fails
rolls back alone (its savepoint) while the others commit.

Callers block on their own result; with nothing else waiting, a piece of work is committed at once, so a
lone request pays no more than before. The queue and the waits are untimed on purpose: timed waits hang
under a moved clock (libfaketime), and the committer has nothing to do until work arrives.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from minhu.core.outages import is_unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
# Enough to amortise one commit over many orders, few enough that the first in a batch does not wait long.
MAX_BATCH = 64


@dataclass
class _Work:
    run: Callable[[Session], Any]
    result: Future[Any] = field(default_factory=Future)


_STOP = object()


class GroupCommitter:
    """Runs write work in shared transactions on one thread; see the module's docstring."""

    def __init__(self, sessions: sessionmaker[Session], *, name: str = "group-commit",
                 max_batch: int = MAX_BATCH,
                 turn: Callable[[], AbstractContextManager[None]] = nullcontext) -> None:
        """``turn``: held around each batch's transaction (the database's fair queue for its one writer)."""
        self._sessions = sessions
        self._turn = turn
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Work | object] = queue.SimpleQueue()
        self._name = name
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False
        self.batches = 0  # committed transactions, for tests and the benchmark's report
        self.committed = 0  # pieces of work acknowledged

    def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in a write transaction and return its result once that transaction is
        committed. Whatever ``work`` raises is raised here, and nothing it wrote is kept."""
        item = _Work(work)
        self._ensure_started()
        self._queue.put(item)
        return item.result.result()  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Finish the work queued so far, then end the thread. Later ``run`` calls start it again."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._queue.put(_STOP)
        thread.join()

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Work] = [first]  # type: ignore[list-item]
            stop_after = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop_after = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            with self._turn():
                self._commit(batch)
            if stop_after:
                return

    def _commit(self, batch: list[_Work]) -> None:
        results: list[tuple[_Work, Any, BaseException | None]] = []
        session = self._sessions()
        try:
            # Begin once for the batch: a database that is locked or gone fails the batch at once, instead of
            # each piece waiting its own time-out.
            session.connection()
            for item in batch:
                try:
                    with session.begin_nested():
                        value = item.run(session)
                except Exception as exc:  # this one's savepoint is rolled back; the others go on
                    if is_unavailable(exc) or not session.is_active:
                        raise  # the connection itself failed: the whole batch fails with this error
                    results.append((item, None, exc))
                else:
                    results.append((item, value, None))
            session.commit()
        except BaseException as exc:  # the commit itself failed: nothing in the batch is durable
            session.rollback()
            session.close()
            log.exception("group commit of %d piece(s) of work failed", len(batch))
            for item in batch:
                if not item.result.done():
                    item.result.set_exception(exc)
            return
        session.close()
        self.batches += 1
        for item, value, error in results:
            if error is not None:
                item.result.set_exception(error)
            else:
                self.committed += 1
                item.result.set_result(value)
