"""Upgrading keeps every row: a database made at the first revision and filled, then brought to head one
revision at a time — with rows added at each revision to the tables it creates or widens — still holds every
row it was given, value for value, on the database the suite runs on (a SQLite file, or a scratch PostgreSQL
database beside the test database).

The rows come from the schema reflected at each revision, not from the models (which describe head only):
every column of a type we use gets a value that round-trips exactly (Chinese text and an emoji, microseconds,
binary-exact floats, nested JSON), unique by a running number; foreign keys point at rows already planted;
nullable columns are left NULL in one row of three.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.interfaces import ReflectedColumn, ReflectedForeignKeyConstraint

from minhu.core import migrate
from minhu.core.db import Database
from minhu.knowledge.fulltext import is_index_object

ROWS = 3
START = datetime(2026, 11, 23, 8, 30, 15, 123456, tzinfo=UTC)

# Columns a migration changes on purpose, by table, each with the revision and the reason. Only these may differ
# after the upgrade; every other value must come back as it went in. None so far: every migration up to head
# adds tables and columns (new NOT NULL columns arrive with a server default) and changes no existing value.
TRANSFORMED: dict[str, dict[str, str]] = {}


def revisions() -> list[str]:
    """The revisions from the first to head, in order (the history is one line)."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    return [r.revision for r in reversed(list(script.walk_revisions()))]


@dataclass
class Shape:
    """One table as reflected at one revision."""

    name: str
    columns: dict[str, ReflectedColumn]
    primary_key: list[str]
    foreign_keys: list[ReflectedForeignKeyConstraint]

    def table(self) -> sa.Table:
        return sa.Table(self.name, sa.MetaData(),
                        *(sa.Column(name, _portable(c["type"]), primary_key=name in self.primary_key)
                          for name, c in self.columns.items()))


def _portable(type_: Any) -> Any:
    # NULL in a JSON column is SQL NULL (how the models store it), not the JSON text 'null'.
    return sa.JSON(none_as_null=True) if isinstance(type_, sa.JSON) else type_


def reflect(connection: Connection) -> dict[str, Shape]:
    inspector = inspect(connection)
    columns = inspector.get_multi_columns()
    keys = inspector.get_multi_pk_constraint()
    foreign = inspector.get_multi_foreign_keys()
    return {name: Shape(name, {c["name"]: c for c in columns[(schema, name)]},
                        list(keys[(schema, name)]["constrained_columns"]), list(foreign[(schema, name)]))
            for schema, name in columns if name != "alembic_version" and not is_index_object(name)}


@dataclass
class Planted:
    table: str
    revision: str
    values: dict[str, Any]


@dataclass
class Planter:
    """Makes rows for the reflected tables and remembers each one."""

    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    rows: dict[str, list[Planted]] = field(default_factory=dict)

    def value(self, column: ReflectedColumn, n: int) -> Any:
        type_ = column["type"]
        if isinstance(type_, sa.Boolean):
            return n % 2 == 0
        if isinstance(type_, sa.Integer):
            return n
        if isinstance(type_, sa.Float):
            return n + 0.375
        if isinstance(type_, sa.DateTime):
            return START + timedelta(hours=n, microseconds=n)
        if isinstance(type_, sa.Date):
            return date(2026, 11, 1) + timedelta(days=n)
        if isinstance(type_, sa.JSON):
            return {"编号": n, "items": ["武昌区", 1.5, None, True], "nested": {"k": [n]}}
        if isinstance(type_, sa.LargeBinary):
            return bytes([n % 256, 0, 255]) + "积玉桥".encode()
        if isinstance(type_, sa.Text):
            return f"第{n}条：积玉桥路灯不亮😀\n'单引号' \"双引号\" \\ 反斜杠 %s %% ;--"
        if isinstance(type_, sa.String):
            # The running number first, so a short column still gets a unique value.
            text_ = f"{n}号·积玉桥街道 “引号” 'x'"
            return text_[:type_.length] if type_.length else text_
        raise AssertionError(f"no value for {column['name']} of type {type_!r}: teach Planter.value")

    def row(self, shape: Shape, revision: str, index: int) -> dict[str, Any]:
        values: dict[str, Any] = {}
        serial = len(self.rows.get(shape.name, ()))
        for fk in shape.foreign_keys:
            targets = self.rows.get(fk["referred_table"], [])
            local, remote = fk["constrained_columns"], fk["referred_columns"]
            nullable = all(shape.columns[c]["nullable"] for c in local)
            if nullable and (index % 3 == 2 or not targets):
                values.update(dict.fromkeys(local, None))
                continue
            assert targets, f"{shape.name}.{local} needs a row of {fk['referred_table']} first"
            # The table's own running count picks the target, so one-to-one tables never pick one twice.
            target = targets[serial % len(targets)].values
            values.update({c: target[r] for c, r in zip(local, remote, strict=True)})
        for name, column in shape.columns.items():
            if name in values or column.get("computed"):  # a generated column is the database's to fill
                continue
            if column["nullable"] and index % 3 == 2 and name not in shape.primary_key:
                values[name] = None
            else:
                values[name] = self.value(column, next(self.numbers))
        return values

    def keep_derived(self, connection: Connection, shapes: dict[str, Shape], names: set[str], revision: str) -> None:
        """Rows a revision wrote into the tables it creates, derived from rows already there (the dashboard's
        daily counts, counted from the orders): kept like planted ones, so they too must reach head unchanged."""
        for name in sorted(names):
            for values in connection.execute(sa.select(shapes[name].table())).mappings():
                self.rows.setdefault(name, []).append(Planted(name, revision, dict(values)))

    def plant(self, connection: Connection, shapes: dict[str, Shape], names: set[str], revision: str) -> None:
        for name in dependency_order(shapes, names):
            shape = shapes[name]
            table = shape.table()
            for index in range(ROWS):
                values = self.row(shape, revision, index)
                connection.execute(table.insert().values(values))
                self.rows.setdefault(name, []).append(Planted(name, revision, values))


def dependency_order(shapes: dict[str, Shape], names: set[str]) -> list[str]:
    """``names`` with every table after the tables it references (among ``names``)."""
    ordered: list[str] = []
    waiting = set(names)
    while waiting:
        ready = sorted(n for n in waiting
                       if not {fk["referred_table"] for fk in shapes[n].foreign_keys} & (waiting - {n}))
        assert ready, f"foreign keys go round in a circle among {sorted(waiting)}"
        ordered += ready
        waiting -= set(ready)
    return ordered


def same(expected: Any, found: Any) -> bool:
    if isinstance(expected, datetime) and isinstance(found, datetime):
        # SQLite hands back the UTC instant without its zone.
        return expected == (found.replace(tzinfo=UTC) if found.tzinfo is None else found)
    if isinstance(expected, bool) or isinstance(found, bool):
        return type(expected) is type(found) and expected == found
    return bool(expected == found)


def differences(connection: Connection, shapes: dict[str, Shape], planter: Planter) -> list[str]:
    found: list[str] = []
    for name, planted in planter.rows.items():
        assert name in shapes, f"table {name} is gone at head with its {len(planted)} rows"
        shape = shapes[name]
        table = shape.table()
        count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        if count != len(planted):
            found.append(f"{name}: {count} rows at head, {len(planted)} planted")
        for row in planted:
            key = {c: row.values[c] for c in shape.primary_key}
            match = connection.execute(
                sa.select(table).where(*(table.c[c] == v for c, v in key.items()))).mappings().all()
            if len(match) != 1:
                found.append(f"{name} {key} (planted at {row.revision}): {len(match)} rows at head")
                continue
            for column, value in row.values.items():
                if column in TRANSFORMED.get(name, {}):
                    continue
                if column not in match[0]:
                    found.append(f"{name}.{column} (planted at {row.revision}) is gone at head")
                elif not same(value, match[0][column]):
                    found.append(f"{name} {key}.{column} (planted at {row.revision}): "
                                 f"{value!r} became {match[0][column]!r}")
    return found


@pytest.fixture
def scratch_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind the suite runs on: a new SQLite file, or a PostgreSQL database made
    beside the test database and dropped afterwards."""
    if not database_template.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    server = make_url(database_template)
    name = f"minhu_upgrade_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrading_from_the_first_revision_keeps_every_row(scratch_url):
    db = Database(scratch_url)
    planter = Planter()
    before: dict[str, Shape] = {}
    try:
        for revision in revisions():
            migrate.upgrade(db, revision)
            with db.write_engine.begin() as connection:
                shapes = reflect(connection)
                # Tables this revision creates, or gives columns they did not have.
                changed = {n for n, s in shapes.items() if n not in before or set(s.columns) - set(before[n].columns)}
                planter.keep_derived(connection, shapes, {n for n in changed if n not in before}, revision)
                planter.plant(connection, shapes, changed, revision)
            before = shapes
        assert migrate.current(db) == revisions()[-1]
        assert set(planter.rows) == set(before), "every table at head has planted rows"
        with db.read_engine.connect() as connection:
            assert differences(connection, reflect(connection), planter) == []
    finally:
        db.dispose()
