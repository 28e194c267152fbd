"""Which database objects the models describe, for comparing the migrated schema with them."""

from __future__ import annotations

from minhu.knowledge.fulltext import is_index_object


def schema_object(name: str | None, type_: str, parent_names: object) -> bool:
    """False for the full-text indexes the migrations create beside the models (FTS5 tables and their shadows,
    PostgreSQL's GIN indexes over words): no model describes them, and autogenerate must not drop them."""
    return not is_index_object(name)
