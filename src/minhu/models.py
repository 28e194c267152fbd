"""Imports every domain's models so the metadata is complete (for Alembic and the test schema)."""

from __future__ import annotations

import importlib

MODEL_MODULES = ("minhu.core.idempotency", "minhu.core.lease", "minhu.org.models", "minhu.geo.models",
                 "minhu.routing.models", "minhu.deadlines.models", "minhu.orders.models", "minhu.supervision.models",
                 "minhu.notify.models", "minhu.evaluation.models",
                 "minhu.people.models", "minhu.duplicates.models", "minhu.forwarding.models",
                 "minhu.intake.models", "minhu.board.models", "minhu.open311.models", "minhu.guard.models",
                 "minhu.knowledge.models", "minhu.topics.models", "minhu.warning.models",
                 "minhu.chiefs.models", "minhu.dashboard.models",
                 "minhu.scheduling.models")


def load_all() -> None:
    # Imported by name: a table that is never imported is silently missing from the metadata,
    # and Alembic would then propose to drop it.
    for module in MODEL_MODULES:
        importlib.import_module(module)
