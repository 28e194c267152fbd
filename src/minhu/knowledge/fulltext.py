"""Full-text search over ``search_terms`` columns, on SQLite (FTS5) and PostgreSQL (``tsvector``) alike.

Each database finds the candidates — rows holding any of the search's terms, the ones holding most first — and
minhu ranks them itself with BM25, weighing each term by how rare the word is in jieba's general corpus. The
ranking is therefore the same on both databases (a test holds them to it), and does not move as articles are
added: a clerk who searched yesterday finds the same order today.

The index is the database's own: on SQLite an external-content FTS5 table per searched table, kept by
triggers; on PostgreSQL a generated ``tsvector`` column with a GIN index (built from the space-separated words
directly, so no text-search parser reinterprets them). The migration that creates the tables creates both;
the models do not describe them (schema comparison leaves them out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, FromClause, Integer, Select, select, text
from sqlalchemy.orm import Session

from minhu.knowledge.terms import Query

# Rows the database hands over for ranking: enough that the best by BM25 are among them.
CANDIDATES = 100
# BM25's usual constants: how fast repeats stop counting, and how much a long text is discounted.
K1, B = 1.2, 0.75
# PostgreSQL's generated column of a searched table: its words as a tsvector, kept by the database itself.
VECTOR = "search_vector"
# The typical document's length in terms, for the length discount (an article or a case runs to a few hundred).
TYPICAL_LENGTH = 200.0


def fts_table(table: FromClause) -> str:
    return f"{_name(table)}_fts"


def _name(table: FromClause) -> str:
    return str(getattr(table, "name", table))


def is_index_object(name: str | None) -> bool:
    """Whether ``name`` is one of the search indexes the migrations create outside the models (FTS5's tables and
    their shadows, PostgreSQL's GIN indexes): schema comparison leaves them out."""
    return name is not None and ("_fts" in name or name.endswith("_search_terms") or name == VECTOR)


def create_index_sql(table: str, dialect: str) -> list[str]:
    """The statements that create ``table``'s search index on ``dialect`` (used by the migration)."""
    if dialect == "postgresql":
        return [f"ALTER TABLE {table} ADD COLUMN {VECTOR} tsvector GENERATED ALWAYS AS "
                f"(array_to_tsvector(string_to_array(search_terms, ' '))) STORED",
                f"CREATE INDEX ix_{table}_search_terms ON {table} USING gin ({VECTOR})"]
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_terms, content='{table}', content_rowid='id', "
        "tokenize='unicode61')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_terms) VALUES (new.id, new.search_terms); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_terms) VALUES ('delete', old.id, old.search_terms); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_terms ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_terms) VALUES ('delete', old.id, old.search_terms); "
        f"INSERT INTO {fts}(rowid, search_terms) VALUES (new.id, new.search_terms); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def drop_index_sql(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS ix_{table}_search_terms", f"ALTER TABLE {table} DROP COLUMN IF EXISTS {VECTOR}"]
    fts = f"{table}_fts"
    return [f"DROP TRIGGER IF EXISTS {fts}_{what}" for what in ("insert", "delete", "update")] + \
        [f"DROP TABLE IF EXISTS {fts}"]


@dataclass(frozen=True)
class Hit:
    id: int
    score: float


def _candidates(session: Session, table: FromClause, query: Query) -> Select[Any]:
    """Rows holding any of the terms, those the database's own index ranks best first. The terms are made of
    letters and digits only (``terms.words``), so nothing a user typed reaches the index as its syntax."""
    columns = (table.c.id, table.c.search_terms, table.c.term_count)
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " | ".join("'{}'".format(t.replace("'", "''")) for t in query.rarest)
        vector = f"{_name(table)}.{VECTOR}"
        return (select(*columns)
                .where(text(f"{vector} @@ CAST(:tsq AS tsquery)").bindparams(tsq=tsquery))
                .order_by(text(f"ts_rank({vector}, CAST(:tsq AS tsquery)) DESC").bindparams(tsq=tsquery)))
    fts = fts_table(table)
    match = " OR ".join('"{}"'.format(t.replace('"', '""')) for t in query.rarest)
    found = (text(f"SELECT rowid AS id, rank FROM {fts} WHERE {fts} MATCH :match").bindparams(match=match)
             .columns(id=Integer, rank=Float).subquery("found"))
    return select(*columns).join(found, found.c.id == table.c.id).order_by(found.c.rank)


def search(session: Session, table: FromClause, query: Query, *, where: Sequence[ColumnElement[bool]] = (),
           limit: int = 10, exclude: Sequence[int] = ()) -> list[Hit]:
    """The ``limit`` best rows of ``table`` for ``query`` that satisfy ``where``, best first (ties: older row
    first)."""
    if not query:
        return []
    statement = _candidates(session, table, query).where(*where).limit(CANDIDATES)
    if exclude:
        statement = statement.where(table.c.id.not_in(list(exclude)))
    hits = [Hit(row.id, score(query, row.search_terms, row.term_count)) for row in session.execute(statement)]
    hits = [h for h in hits if h.score > 0]
    hits.sort(key=lambda h: (-h.score, h.id))
    return hits[:limit]


def score(query: Query, search_terms: str, length: int) -> float:
    """BM25 of one document for ``query``: each term's weight, more for repeats (saturating), less in a long
    document."""
    # Each term between its own two spaces, so that a term is counted whole (" 物业 " is not inside " 物业费 ")
    # and repeats side by side are each counted.
    padded = " " + search_terms.replace(" ", "  ") + " "
    discount = K1 * (1 - B + B * max(length, 1) / TYPICAL_LENGTH)
    total = 0.0
    for term, weight in query.weights.items():
        tf = padded.count(f" {term} ")
        if tf:
            total += weight * tf * (K1 + 1) / (tf + discount)
    return round(total, 6)
