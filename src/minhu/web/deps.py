"""Request-scoped access to the deployment: settings and database (set on ``app.state`` by create_app)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minhu.config import Settings
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
    """The address the request came from (the proxy's, unless the server is told to trust its forwarded header)."""
    return request.client.host if request.client else "?"


DB = Annotated[Database, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]
