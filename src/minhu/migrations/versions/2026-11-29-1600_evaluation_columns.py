"""evaluation: callback outcome, duplicates and rulings on the work order, the rates index

Revision ID: e7a2c9d41b58
Revises: 9d3f0b6c2a71
Create Date: 2026-11-29 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = 'e7a2c9d41b58'
down_revision: str | None = '9d3f0b6c2a71'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RATES_INDEX_COLUMNS = ['status', 'closed_at', 'owner_unit_id', 'type', 'channel', 'responded_at', 'respond_due_at',
                       'finish_due_at', 'replied_at', 'resolution', 'satisfaction', 'callback_reached', 'unreachable',
                       'duplicate_of_id', 'ruling']


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # Plain ADD COLUMN, not batch mode: a batch rebuild drops work_orders, which SQLite refuses (foreign
        # key constraint failed) as soon as one order has an event or an attachment. SQLite cannot add a
        # constraint to a table, but it takes REFERENCES on a new nullable column. Same columns, same order.
        for column in _columns()[:4]:
            op.add_column('work_orders', column)
        op.execute('ALTER TABLE work_orders ADD COLUMN duplicate_of_id INTEGER '
                   'CONSTRAINT fk_work_orders_duplicate_of_id_work_orders REFERENCES work_orders (id)')
        for column in _columns()[5:]:
            op.add_column('work_orders', column)
    else:
        with op.batch_alter_table('work_orders') as batch:
            for column in _columns():
                batch.add_column(column)
            batch.create_foreign_key(op.f('fk_work_orders_duplicate_of_id_work_orders'), 'work_orders',
                                     ['duplicate_of_id'], ['id'])
    op.create_index(op.f('ix_work_orders_duplicate_of_id'), 'work_orders', ['duplicate_of_id'], unique=False)
    op.create_index('ix_work_orders_rates', 'work_orders', RATES_INDEX_COLUMNS, unique=False)


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column('callback_method', sa.String(length=32), nullable=True),
        sa.Column('callback_reached', sa.Boolean(), nullable=True),
        sa.Column('callback_attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('unreachable', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
        sa.Column('ruling', sa.String(length=32), nullable=True),
        sa.Column('ruling_reason', sa.Text(), nullable=True),
    ]


def downgrade() -> None:
    op.drop_index('ix_work_orders_rates', table_name='work_orders')
    op.drop_index(op.f('ix_work_orders_duplicate_of_id'), table_name='work_orders')
    with op.batch_alter_table('work_orders') as batch:
        for column in ('ruling_reason', 'ruling', 'duplicate_of_id', 'unreachable', 'callback_attempts',
                       'callback_reached', 'callback_method'):
            batch.drop_column(column)
