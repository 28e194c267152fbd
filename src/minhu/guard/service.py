"""Limits on guessing and flooding at every door a stranger can knock on, counted in the database.

A door (``Door``) allows a number of attempts per key within a window; the next attempt finds the door locked
until the lock ends, and the answer says in Chinese when to try again. Which attempts count is the caller's
choice: at the login only the failures, at the public report page every report. With ``backoff`` each lock in
a row lasts twice the one before (a quarter of an hour, half an hour, an hour ... at most a day); a day
without a lock forgets the strikes.

The counts live in the ``attempt_counts`` table, so every server process sees the same count (a limit counted
per process would multiply with the processes). Keys are kept only as keyed digests.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import Database, conflict_insert, rows_changed
from minhu.core.errors import TooManyRequests
from minhu.guard.models import AttemptCount

LONGEST_LOCK = timedelta(days=1)
# A key quiet this long after its last lock starts again from the shortest lock.
STRIKES_FORGOTTEN_AFTER = timedelta(days=1)
# Rows nobody touched for this long are deleted by the cleanup job.
KEPT_FOR = timedelta(days=2)


@dataclass(frozen=True)
class Door:
    name: str
    attempts: int
    window: timedelta
    # What the refused person reads; ``{wait}`` becomes "3 分钟" or "1 小时".
    message: str
    backoff: bool = False


MINUTES_15 = timedelta(minutes=15)
HOUR = timedelta(hours=1)

# Wrong passwords for one account, on the login page and the token endpoint alike.
LOGIN_ACCOUNT = Door("login.account", 5, MINUTES_15, "该账号密码错误次数过多，已暂时锁定，请{wait}后再试", backoff=True)
# Wrong passwords from one client, whatever the account: spraying one password over many names.
LOGIN_CLIENT = Door("login.client", 20, MINUTES_15, "登录失败次数过多，请{wait}后再试", backoff=True)
# Wrong last-four digits for one order number; and any wrong guess from one client, so that a client cannot walk
# the numbers (each number's own lock alone allows five guesses at every number).
TRACK_NUMBER = Door("track.number", 5, MINUTES_15, "该工单查询错误次数过多，请{wait}后再试，或使用受理时给出的查询链接")
TRACK_CLIENT = Door("track.client", 10, MINUTES_15, "查询错误次数过多，请{wait}后再试，或拨打 12345 查询", backoff=True)
# Reports from one client on the public page (a household behind one address may send several; a script may not).
REPORT_CLIENT = Door("report.client", 20, HOUR, "提交过于频繁，请{wait}后再试；紧急情况请拨打 12345")
# Rating links that do not exist, from one client: the tokens are unguessable, trying many is an attack.
RATING_CLIENT = Door("rating.client", 10, MINUTES_15, "评价链接无效次数过多，请{wait}后再试", backoff=True)
# Citizens' phone numbers revealed by one staff account: handling an order needs a few, not a list.
PHONE_REVEAL = Door("phone.reveal", 60, HOUR, "查看完整号码过于频繁，请{wait}后再试；批量需要请向管理员申请")

DOORS = (LOGIN_ACCOUNT, LOGIN_CLIENT, TRACK_NUMBER, TRACK_CLIENT, REPORT_CLIENT, RATING_CLIENT, PHONE_REVEAL)

_secret = b"minhu"


def configure(*, secret: str) -> None:
    """The key of the digests the counts are kept under (the deployment's secret key)."""
    global _secret
    _secret = secret.encode("utf-8")


def _digest(door: Door, key: str) -> str:
    return hmac.new(_secret, f"{door.name}\x00{key}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def wait_words(seconds: int) -> str:
    """How long to wait, as a person says it: 40 秒, 15 分钟, 2 小时."""
    if seconds < 60:
        return f" {max(1, seconds)} 秒"
    if seconds < 3600:
        return f" {math.ceil(seconds / 60)} 分钟"
    return f" {math.ceil(seconds / 3600)} 小时"


def _refusal(door: Door, seconds: int) -> TooManyRequests:
    return TooManyRequests(door.message.format(wait=wait_words(seconds)), retry_after=seconds,
                           code="too_many_attempts")


def locked_for(session: Session, door: Door, key: str, *, now: datetime | None = None) -> int:
    """Seconds until ``key`` may try ``door`` again; 0 when it may now."""
    now = now or clock.now()
    until = session.scalar(select(AttemptCount.locked_until)
                           .where(AttemptCount.door == door.name, AttemptCount.key == _digest(door, key)))
    if until is None or until <= now:
        return 0
    return max(1, math.ceil((until - now).total_seconds()))


def _locked_row(session: Session, door: Door, key: str, now: datetime) -> AttemptCount:
    digest = _digest(door, key)
    session.execute(conflict_insert(session, AttemptCount.__table__)
                    .values(door=door.name, key=digest, count=0, window_start=now, strikes=0, touched_at=now)
                    .on_conflict_do_nothing())
    # Locked while it is counted: on PostgreSQL attempts racing in several processes wait for each other here;
    # SQLite writes one transaction at a time anyway.
    return session.scalars(select(AttemptCount).where(AttemptCount.door == door.name, AttemptCount.key == digest)
                           .with_for_update()).one()


def reserve(session: Session, door: Door, key: str) -> TooManyRequests | None:
    """Count one attempt at ``door`` by ``key`` before it is made; or refuse it, returning the refusal: while the
    door is locked, and when the allowance is used up (which locks it, each lock in a row longer with
    ``backoff``). The caller commits, then raises what is returned, so that the lock is kept.

    Counting first is what makes the limit hold against attempts sent all at once: each waits for the row, so at
    most ``door.attempts`` pass in a window, however many race. Call it in its own short write transaction,
    before the slow check (a password hash); an attempt that succeeds gives its count back with ``release`` or
    ``clear``.
    """
    now = clock.now()
    row = _locked_row(session, door, key, now)
    row.touched_at = now
    refusal = None
    if row.locked_until is not None and row.locked_until > now:
        refusal = _refusal(door, max(1, math.ceil((row.locked_until - now).total_seconds())))
    else:
        if row.locked_until is not None and row.locked_until + STRIKES_FORGOTTEN_AFTER <= now:
            row.strikes = 0
        if row.window_start + door.window <= now:
            row.count, row.window_start = 0, now
        if row.count >= door.attempts:
            lock = min(door.window * (2 ** min(row.strikes, 10) if door.backoff else 1), LONGEST_LOCK)
            row.locked_until = now + lock
            row.strikes += 1
            row.count, row.window_start = 0, now
            refusal = _refusal(door, math.ceil(lock.total_seconds()))
        else:
            row.count += 1
    session.flush()
    return refusal


def reserve_all(db: Database, *doors_and_keys: tuple[Door, str]) -> None:
    """Reserve an attempt at each door, in one transaction that is committed either way; raises the first
    refusal. A refused attempt is not counted at the doors after the refusing one."""
    refusal = None
    with db.transaction() as session:
        for door, key in doors_and_keys:
            refusal = reserve(session, door, key)
            if refusal is not None:
                break
    if refusal is not None:
        raise refusal


def take(session: Session, door: Door, key: str) -> None:
    """Reserve an attempt inside the caller's transaction, raising a refusal at once (the transaction's rollback
    then loses only a lock, not the count that caused it)."""
    refusal = reserve(session, door, key)
    if refusal is not None:
        raise refusal


def release(session: Session, door: Door, key: str) -> None:
    """Give back the count of an attempt that succeeded (a right password from a shared address)."""
    session.execute(update(AttemptCount).where(AttemptCount.door == door.name, AttemptCount.key == _digest(door, key),
                                               AttemptCount.count > 0).values(count=AttemptCount.count - 1))


def clear(session: Session, door: Door, key: str) -> None:
    """Forget ``key``'s attempts at ``door`` (the right password ends a run of wrong ones)."""
    session.execute(delete(AttemptCount).where(AttemptCount.door == door.name,
                                               AttemptCount.key == _digest(door, key)))


def forget_stale(session: Session) -> int:
    """Delete the counts nobody has touched for ``KEPT_FOR`` and that hold no lock; returns how many."""
    now = clock.now()
    result = session.execute(delete(AttemptCount).where(
        AttemptCount.touched_at < now - KEPT_FOR,
        or_(AttemptCount.locked_until.is_(None), AttemptCount.locked_until < now - STRIKES_FORGOTTEN_AFTER)))
    return rows_changed(result)
