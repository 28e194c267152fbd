"""The demo city loaded into a database of its own, for the tests that read what the demo shows."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import text

from minhu import listeners
from minhu.core import clock
from minhu.core.db import Base, Database
from minhu.demo import city

LOADED_AT = datetime(2026, 11, 29, 10, 0, tzinfo=clock.city_tz())


@contextmanager
def demo_database(tmp_path_factory: pytest.TempPathFactory, database_template: str, *,
                  listening: bool = True) -> Iterator[Database]:
    """A database with the demo loaded at ``LOADED_AT`` (a load takes seconds, so a module shares one).
    ``listening``: with the listeners the command line installs before it loads the demo (the autouse fixtures
    install them only for each test, after a module's fixture has run)."""
    if database_template.startswith("postgresql"):
        database = Database(database_template)
    else:
        path = tmp_path_factory.mktemp("demo") / "minhu.db"
        shutil.copyfile(database_template, path)
        database = Database(f"sqlite:///{path}")
    if listening:
        listeners.install()
    with clock.frozen(LOADED_AT):
        city.load(database)
    yield database
    if database_template.startswith("postgresql"):
        tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
        with database.write_engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    database.dispose()
