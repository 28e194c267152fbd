"""The deployment a command-line process works on: settings read, city time zone set, database opened."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from minhu.config import Settings
from minhu.core import clock
from minhu.core.db import Database


def open_deployment(settings: Settings | None = None) -> tuple[Settings, Database]:
    settings = settings or Settings()
    settings.ensure_home()
    clock.set_city_timezone(settings.tz)
    return settings, settings.open_database()


@contextmanager
def deployment_database() -> Iterator[Database]:
    """The configured database, disposed of when the command ends."""
    _settings, db = open_deployment()
    try:
        yield db
    finally:
        db.dispose()
