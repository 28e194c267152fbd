"""Request-scoped access to the deployment (settings and database, set on ``app.state`` by create_app), and
the request headers every route that takes them reads alike."""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Annotated

from fastapi import Depends, Header, Request

from minhu.config import Settings
from minhu.core import idempotency
from minhu.core.db import Database


# async: FastAPI runs sync dependencies in its thread pool, a hop per call that these lookups
# do not need.
async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str:
    """The address the request came from, as the per-client limits count it: the proxy's, unless the server is
    told to trust its forwarded header (``MINHU_TRUSTED_PROXIES``). An IPv6 client is its /64 network, the
    block one subscriber holds: counting each address would give one attacker 2^64 fresh clients."""
    host = request.client.host if request.client else "?"
    if ":" in host:
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_network(f"{host}/64", strict=False))
    return host


DB = Annotated[Database, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]


_KEY_HEADER = Header(description=(
    f"重试同一请求时带上同一个键，只生效一次：1–{idempotency.MAX_KEY_LENGTH} 个可打印字符，UTF-8 编码（可用中文）"))


async def idempotency_key(idempotency_key: Annotated[str | None, _KEY_HEADER] = None) -> str | None:
    """The ``Idempotency-Key`` header read as UTF-8 and checked. Raises InvalidInput (422, naming the header)."""
    return None if idempotency_key is None else idempotency.key_from_header(idempotency_key)


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
