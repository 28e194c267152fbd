"""Imports every domain's models so the metadata is complete (for Alembic and the test schema)."""

from __future__ import annotations


def load_all() -> None:
    pass
