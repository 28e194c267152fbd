"""Keeps the documentation and the schema honest: the lifecycle guide's diagram is the transition table, and
the migrations build exactly the schema the models describe. tests/test_docs.py keeps the rest of the docs."""

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from minhu.core.db import Base
from minhu.migrations.env_names import schema_object
from minhu.orders.states import mermaid

ROOT = Path(__file__).resolve().parent.parent


def test_lifecycle_state_diagram_is_the_transition_table():
    guide = (ROOT / "docs" / "lifecycle.md").read_text("utf-8")
    blocks = re.findall(r"```mermaid\n(.*?)```", guide, flags=re.S)
    assert blocks, "docs/lifecycle.md has no mermaid block"
    assert blocks[0].strip() == mermaid().strip()


def test_migrations_match_the_models(db):
    with db.write_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False, "include_name": schema_object})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_quick_start_is_the_two_commands():
    readme = (ROOT / "README.md").read_text("utf-8")
    quick = readme.split("## 快速开始", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(make \S+)", quick, flags=re.M)
    assert commands == ["make run", "make test"]
