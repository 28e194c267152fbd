"""privacy: the retention rule's index, and the one change the trail allows — masking an anonymised order's entries

Of an order marked anonymised, an entry's note may change, and so may the name of an actor who is not a staff
account (a citizen, an Open311 reporter as the client named them). The trail stays append-only for everything
else: any other column, any entry of an order still holding its citizen's data, and every delete are refused by
the database, as before.

Revision ID: d5f1b8e3a217
Revises: c4e8a1d6f293
Create Date: 2026-12-12 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd5f1b8e3a217'
down_revision: str | None = 'c4e8a1d6f293'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column of order_events but the note and the actor's name: an update must leave each as it was.
_KEPT = ("id", "order_id", "action", "from_status", "to_status", "actor_id", "actor_role", "actor_unit_id",
         "actor_unit_name", "payload", "at")
_ANONYMISED = "(SELECT anonymised_at FROM work_orders WHERE work_orders.id = OLD.order_id) IS NOT NULL"
_NOT_STAFF_NAME = "(NEW.actor_name IS NOT DISTINCT FROM OLD.actor_name OR OLD.actor_id IS NULL)"

_SQLITE_NO_UPDATE = (
    "CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events "
    f"WHEN NOT ({' AND '.join(f'NEW.{c} IS OLD.{c}' for c in _KEPT)} "
    f"AND {_NOT_STAFF_NAME.replace('IS NOT DISTINCT FROM', 'IS')} AND {_ANONYMISED}) "
    "BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END")
_SQLITE_OLD_NO_UPDATE = (
    "CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events "
    "BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END")

_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'note' - 'actor_name') = (to_jsonb(OLD) - 'note' - 'actor_name') "
    f"AND {_NOT_STAFF_NAME} AND {_ANONYMISED} THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION 'order_events is append-only'; END $$")
_PG_OLD_FUNCTION = (
    "CREATE OR REPLACE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'order_events is append-only'; END $$")


def upgrade() -> None:
    op.create_index('ix_work_orders_retention', 'work_orders', ['closed_at'], unique=False,
                    sqlite_where=sa.text('anonymised_at IS NULL'), postgresql_where=sa.text('anonymised_at IS NULL'))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
    else:
        op.execute("DROP TRIGGER order_events_no_update")
        op.execute(_SQLITE_NO_UPDATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_OLD_FUNCTION)
    else:
        op.execute("DROP TRIGGER order_events_no_update")
        op.execute(_SQLITE_OLD_NO_UPDATE)
    op.drop_index('ix_work_orders_retention', table_name='work_orders')
