"""The keys of Open311 clients: issued once and kept as a digest, each with its rate a minute, revoked at will;
and the check every call that needs one makes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minhu.core import clock, security
from minhu.core.cache import TTLCache
from minhu.core.db import Database
from minhu.core.errors import Conflict, NotFound, field_error
from minhu.core.throttle import RateLimiter
from minhu.open311.models import Open311Key, Open311Request
from minhu.open311.params import Open311Error

KEY_PREFIX = "o311_"
# A key is looked up on every call; a revoked key is refused at most this long afterwards.
KEY_CACHE_SECONDS = 30
_keys: TTLCache[tuple[str, str], tuple[int, str, int, bool] | None] = TTLCache(ttl_seconds=KEY_CACHE_SECONDS)
_calls = RateLimiter(window_seconds=60.0)


@dataclass(frozen=True)
class Client:
    """The Open311 client behind a request's api_key."""

    id: int
    name: str


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def add_key(session: Session, *, name: str, key: str, per_minute: int = 60) -> Open311Key:
    """Register a client's key. Raises InvalidInput for a blank name or a limit outside 1–10,000 a minute."""
    name = name.strip()
    if not name:
        raise field_error("name", "请填写客户端名称")
    if not 1 <= per_minute <= 10_000:
        raise field_error("per_minute", "每分钟请求上限须在 1 到 10000 之间")
    digest = security.token_digest(key)
    if session.scalar(select(Open311Key.id).where(Open311Key.key_digest == digest)) is not None:
        raise Conflict("该密钥已登记", code="open311_key_taken")
    row = Open311Key(name=name[:100], key_digest=digest, key_hint=key[-4:], per_minute=per_minute, active=True,
                     created_at=clock.now())
    session.add(row)
    session.flush()
    _keys.clear_now_and_after(session)
    return row


def _key(session: Session, key_id: int) -> Open311Key:
    row = session.get(Open311Key, key_id)
    if row is None:
        raise NotFound(f"Open311 密钥 {key_id} 不存在", code="open311_key_not_found")
    return row


def revoke_key(session: Session, key_id: int) -> Open311Key:
    """The key stops working (within ``KEY_CACHE_SECONDS`` in other processes); its requests stay its."""
    row = _key(session, key_id)
    row.active, row.revoked_at = False, clock.now()
    session.flush()
    _keys.clear_now_and_after(session)
    return row


def set_rate(session: Session, key_id: int, per_minute: int) -> Open311Key:
    if not 1 <= per_minute <= 10_000:
        raise field_error("per_minute", "每分钟请求上限须在 1 到 10000 之间")
    row = _key(session, key_id)
    row.per_minute = per_minute
    session.flush()
    _keys.clear_now_and_after(session)
    return row


def keys(session: Session) -> list[tuple[Open311Key, int]]:
    """Every key, newest first, with how many requests it created."""
    counts = (select(Open311Request.key_id, func.count().label("n")).group_by(Open311Request.key_id).subquery())
    rows = session.execute(select(Open311Key, func.coalesce(counts.c.n, 0))
                           .outerjoin(counts, counts.c.key_id == Open311Key.id)
                           .order_by(Open311Key.active.desc(), Open311Key.id.desc())).all()
    return [(row[0], int(row[1])) for row in rows]


def authenticate(db: Database, key: str | None) -> Client:
    """The client whose key this is, counted against its rate. Raises Open311Error 403 for a missing, unknown
    or revoked key, 429 past the key's rate."""
    if not key:
        raise Open311Error(403, "缺少 api_key（api_key is required）")
    if not key.isascii() or len(key) > 200:
        raise Open311Error(403, "api_key 无效（invalid api_key）")
    digest = security.token_digest(key)

    def load() -> tuple[int, str, int, bool] | None:
        with db.read() as session:
            row = session.execute(select(Open311Key.id, Open311Key.name, Open311Key.per_minute, Open311Key.active)
                                  .where(Open311Key.key_digest == digest)).first()
        return (row.id, row.name, row.per_minute, row.active) if row is not None else None

    found = _keys.get_or_load((db.url, digest), load)
    if found is None:
        raise Open311Error(403, "api_key 无效（invalid api_key）")
    key_id, name, per_minute, active = found
    if not active:
        raise Open311Error(403, "api_key 已吊销，请联系市民服务中心管理员（this api_key has been revoked）")
    wait = _calls.take(f"{db.url}:{key_id}", per_minute)
    if wait > 0:
        seconds = max(1, round(wait))
        raise Open311Error(429, f"请求过于频繁，请 {seconds} 秒后再试（rate limit reached: retry in {seconds} s）",
                           retry_after=seconds)
    return Client(key_id, name)
