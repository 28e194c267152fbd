"""Idempotency keys: a retried create returns the first result, never a second one.

The key row is inserted in the same transaction as the thing it creates, under a unique
constraint on (scope, key). Two requests racing with one key cannot both commit: the loser's
insert fails, and it reads the winner's result instead.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint, bindparam, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.errors import Conflict, field_error
from minhu.core.types import UTCDateTime

MAX_KEY_LENGTH = 200


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_ref: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


KEY_RULE = f"Idempotency-Key 须为 1–{MAX_KEY_LENGTH} 个可打印字符（UTF-8 编码，可用中文）"


def validate_key(key: str) -> str:
    """A key as given (surrounding spaces dropped): 1–200 printable characters, in any script. Raises
    InvalidInput (``invalid_idempotency_key``)."""
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise field_error("Idempotency-Key", KEY_RULE, code="invalid_idempotency_key")
    return key


def key_from_header(raw: str) -> str:
    """The key an ``Idempotency-Key`` header carries, checked as ``validate_key`` checks a form's.

    The server hands header values over byte for byte as Latin-1, so a key typed in Chinese arrives as
    mojibake and stray bytes that are no text at all arrive as Latin-1 letters; the bytes are read back as
    UTF-8, and what is not UTF-8 is refused with the rest. Raises InvalidInput (``invalid_idempotency_key``).
    """
    try:
        key = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise field_error("Idempotency-Key", KEY_RULE, code="invalid_idempotency_key") from None
    return validate_key(key)


_KEYS = Base.metadata.tables[IdempotencyKey.__tablename__]
_INSERT_KEY = insert(_KEYS)
# Built once, on the table rather than the mapped class: every create with a key runs it, and building
# and caching a new statement each time costs more than the look-up itself.
_FIND_KEY = select(_KEYS.c.request_hash, _KEYS.c.resource_ref).where(_KEYS.c.scope == bindparam("scope"),
                                                                     _KEYS.c.key == bindparam("key"))


@dataclass(frozen=True)
class Claim:
    """A request's claim on a key: who (scope), which key, and the hash of what it asked."""

    scope: str
    key: str
    body_hash: str


def used(session: Session, scope: str, key: str) -> bool:
    """Whether ``key`` already made a resource in ``scope``, whatever it asked: a retried form whose first sending
    went through, checked before what only the first sending could carry (photos since sent) is asked again."""
    return session.execute(_FIND_KEY, {"scope": scope, "key": key}).first() is not None


def find(session: Session, claim: Claim) -> str | None:
    """The resource made under this key, or None; a reused key with another body is a conflict."""
    row = session.execute(_FIND_KEY, {"scope": claim.scope, "key": claim.key}).first()
    if row is None:
        return None
    if row.request_hash != claim.body_hash:
        raise Conflict("该 Idempotency-Key 已用于另一份内容不同的请求", code="idempotency_key_reused",
                       details={"resource": row.resource_ref})
    return str(row.resource_ref)


def remember(session: Session, claim: Claim, *, resource_ref: str) -> None:
    """Write the key now (a plain insert): a concurrent holder of the same key fails here."""
    session.execute(_INSERT_KEY, {"scope": claim.scope, "key": claim.key, "request_hash": claim.body_hash,
                                  "resource_ref": resource_ref, "created_at": clock.now()})
