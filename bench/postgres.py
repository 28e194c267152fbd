"""The PostgreSQL server the benchmarks use: the loopback one, reached with the test login."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"  # the only address a benchmark ever talks to
PG_ADMIN_URL = f"postgresql+psycopg://postgres@{HOST}:5432/postgres"


def postgres_available() -> bool:
    try:
        with socket.create_connection((HOST, 5432), timeout=1.0):
            pass
    except OSError:
        return False
    try:
        import psycopg

        with psycopg.connect(_psycopg_dsn(PG_ADMIN_URL), connect_timeout=3):
            return True
    except Exception as exc:
        print(f"PostgreSQL answers on {HOST}:5432 but refuses the bench login: {exc}")
        return False


def _psycopg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_url(database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


def pg_recreate(database: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(_psycopg_dsn(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if not drop_only:
            admin.execute(f'CREATE DATABASE "{database}"')
