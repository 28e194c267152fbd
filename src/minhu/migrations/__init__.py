"""Alembic migrations; run by ``minhu db upgrade`` and on ``minhu serve``."""
