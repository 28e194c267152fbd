"""Test fixtures: a real database migrated by the real migrations, fresh for every test.

SQLite (default): the schema is migrated once per worker into a template file, and each test gets
its own copy. PostgreSQL (``MINHU_TEST_DATABASE_URL=postgresql+psycopg://...``): each worker gets
its own database, migrated once, and every table is truncated after each test.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from minhu import listeners
from minhu.app import create_app
from minhu.chiefs.naming import forget_duties
from minhu.cli import app as cli_app
from minhu.config import Settings
from minhu.core import clock, migrate, security
from minhu.core.db import Base, Database, is_sqlite
from minhu.deadlines.service import forget_deadlines
from minhu.duplicates import listeners as duplicates_listeners
from minhu.evaluation import rating_links
from minhu.geo.service import forget_map
from minhu.models import load_all
from minhu.notify.service import forget_subscribers
from minhu.orders import callbacks as order_callbacks
from minhu.routing import catalog
from minhu.routing.service import forget_routing
from minhu.supervision import setup
from minhu.topics.service import forget_rules as forget_topic_rules
from tests.factories import PASSWORD, TEST_START, World, make_world

load_all()
security.use_cheap_hashing_for_tests()
TEST_URL = os.environ.get("MINHU_TEST_DATABASE_URL", "")
Run = Callable[..., Result]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass of ``make test`` (which follows the SQLite pass) runs the tests that touch a database;
    the others — parsers, classifiers, documents, and those marked ``one_engine`` — have run once already."""
    if is_sqlite(TEST_URL) or not TEST_URL:
        return
    touching = [item for item in items if "database_template" in getattr(item, "fixturenames", ())
                and item.get_closest_marker("one_engine") is None]
    if len(touching) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in touching])
        items[:] = touching


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a template file for SQLite, a per-worker database for PostgreSQL."""
    if not TEST_URL or is_sqlite(TEST_URL):
        path = tmp_path_factory.mktemp("template") / "template.db"
        db = Database(f"sqlite:///{path}")
        migrate.upgrade(db)
        db.dispose()
        # Fold the WAL into the main file so a plain file copy carries the whole schema.
        with closing(sqlite3.connect(path)) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        yield str(path)
        return
    url = make_url(TEST_URL)
    # Named by worker and process, so two suites running at once on one server never meet.
    name = f"minhu_test_{_worker()}_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    worker_url = url.set(database=name).render_as_string(hide_password=False)
    db = Database(worker_url)
    migrate.upgrade(db)
    db.dispose()
    yield worker_url
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db(database_template: str, tmp_path: Path) -> Iterator[Database]:
    if not database_template.startswith("postgresql"):
        path = tmp_path / "minhu.db"
        shutil.copyfile(database_template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    database = Database(database_template)
    yield database
    tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with database.write_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    return Settings(home=tmp_path / "home", database_url=db.url, secret_key="test-secret",
                    duplicates_auto_join=False)


@pytest.fixture
def app(settings: Settings, db: Database):
    return create_app(settings, db=db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def world(db: Database) -> World:
    return make_world(db)


@pytest.fixture
def catalogued(db: Database) -> Database:
    """The packaged category catalog loaded, and routing reading it afresh."""
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    forget_routing()
    return db


@pytest.fixture
def timed(db: Database) -> Database:
    """The default time-limit policy and the package's calendar, as ``make run`` sets them up, in force since
    September (before any order a test makes)."""
    with clock.frozen(datetime(2026, 9, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))), db.transaction() as s:
        setup.seed_calendar(s)
        setup.load_policy_file(s)
    return db


@pytest.fixture
def token_for(client: TestClient):
    """token_for(user) → Authorization headers for that user."""
    cache: dict[str, dict[str, str]] = {}

    def _headers(user) -> dict[str, str]:
        if user.username not in cache:
            response = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
            assert response.status_code == 200, response.text
            cache[user.username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return cache[user.username]

    return _headers


@pytest.fixture(autouse=True)
def _test_clock() -> Iterator[None]:
    # Every test runs on one clock that starts at TEST_START whatever the machine's date, so a test that
    # freezes a fixed instant never meets a helper writing at the real time; ``clock.frozen`` overrides it.
    clock.set_city_timezone(Settings().tz)
    with clock.running_from(TEST_START):
        yield


@pytest.fixture(autouse=True)
def _evaluation() -> None:
    # What create_app installs, for the tests that call services without an app; the default policy each time.
    defaults = Settings()
    order_callbacks.configure(max_attempts=defaults.callback_max_attempts,
                              retry_minutes=defaults.callback_retry_minutes)
    rating_links.configure(days=defaults.rating_link_days)
    # The suite's orders repeat one another on purpose (one text, one phone): only the duplicate tests let intake
    # join them (``auto_join``).
    duplicates_listeners.configure(auto_join=False)
    listeners.install()


@pytest.fixture
def auto_join(settings: Settings) -> Iterator[None]:
    """Intake joins a sure match by itself, as a deployment does by default (whether the app is made before or
    after this fixture)."""
    settings.duplicates_auto_join = True
    duplicates_listeners.configure(auto_join=True)
    yield
    duplicates_listeners.configure(auto_join=False)


@pytest.fixture(autouse=True)
def _fresh_map() -> None:
    # Each test has its own database (or an emptied one): no process-wide map may outlive it.
    forget_map()
    forget_routing()
    forget_subscribers()
    forget_deadlines()
    forget_topic_rules()
    forget_duties()


@pytest.fixture
def run(db: Database, tmp_path: Path) -> Run:
    """run("db", "upgrade", input=...) → the result of the real command line on the test database."""
    runner = CliRunner()
    env = {"MINHU_HOME": str(tmp_path / "home"), "MINHU_DATABASE_URL": db.url, "MINHU_CONFIG": None,
           "TERMINAL_WIDTH": "200"}

    def _run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli_app, list(args), env=env, input=input)

    return _run
