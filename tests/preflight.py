"""What a test run needs from the machine, and what happens when it is missing: outside CI a test that needs it is
skipped with the reason; in CI (``CI=true``, as CI services set it) the run fails, so a green CI run has run
everything — the browser tests, the PDF's fonts, the PostgreSQL pass.

``python -m tests.preflight`` checks before a run that the PostgreSQL server named by ``MINHU_TEST_POSTGRES_URL``
answers (and, in CI, that one is named), so ``make unit`` fails at once rather than after the SQLite pass.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

_TRUE = {"1", "true", "yes", "on"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in _TRUE


def missing(reason: str) -> NoReturn:
    """Skip the test for ``reason``; in CI fail it, since a skipped test there would pass unseen."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_problem(url: str, *, timeout_seconds: int = 5) -> str | None:
    """Why the PostgreSQL server at ``url`` cannot be used, or None when it answers a query."""
    try:
        engine = create_engine(make_url(url), connect_args={"connect_timeout": timeout_seconds})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # any failure to connect is the answer, whatever the driver raises
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return None


def main() -> int:
    url = os.environ.get("MINHU_TEST_POSTGRES_URL", "")
    if not url:
        if in_ci():
            print("CI=true but MINHU_TEST_POSTGRES_URL is not set: CI runs the suite on PostgreSQL too",
                  file=sys.stderr)
            return 1
        print("MINHU_TEST_POSTGRES_URL not set: the PostgreSQL pass will be skipped")
        return 0
    problem = postgres_problem(url)
    if problem:
        shown = make_url(url).render_as_string(hide_password=True)
        print(f"MINHU_TEST_POSTGRES_URL={shown} does not answer ({problem})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
