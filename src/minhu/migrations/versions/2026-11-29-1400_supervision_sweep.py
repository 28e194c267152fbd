"""supervision: the sweep's actions and marks, 督办, indexes on warning instants

Revision ID: c4e8b2d6f1a9
Revises: a1d3c7e9f2b4
Create Date: 2026-11-29 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c4e8b2d6f1a9'
down_revision: str | None = 'a1d3c7e9f2b4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Lights: the orders past a warning instant with what counting them needs; deadlines for the sweep.
WARN_INDEXES = (
    *((f'ix_work_orders_{limit}_warn', ['status', f'{limit}_warn_at', f'{limit}_due_at', 'owner_unit_id',
                                        *(['responded_at'] if limit == 'respond' else [])])
      for limit in ('sign', 'respond', 'finish', 'callback')),
    *((f'ix_work_orders_{limit}_due', ['status', f'{limit}_due_at']) for limit in ('sign', 'respond', 'finish')),
)


def upgrade() -> None:
    op.create_table('clock_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('limit', sa.String(length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_clock_actions_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_actions')),
    sa.UniqueConstraint('order_id', 'action', 'limit', 'due_at',
                        name=op.f('uq_clock_actions_order_id_action_limit_due_at'))
    )
    op.create_table('sweep_marks',
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('swept_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('rule', name=op.f('pk_sweep_marks'))
    )
    op.create_table('order_supervisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_order_supervisions_opened_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'],
                            name=op.f('fk_order_supervisions_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_supervisions'))
    )
    with op.batch_alter_table('order_supervisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_supervisions_order_id'), ['order_id'], unique=False)
    for name, columns in WARN_INDEXES:
        op.create_index(name, 'work_orders', columns, unique=False)
    op.add_column('work_orders', sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('work_orders', sa.Column('finish_left_minutes', sa.Float(), nullable=True))
    op.create_table('order_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('old_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('new_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved', sa.Boolean(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_order_extensions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_extensions_order_id_work_orders')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                            name=op.f('fk_order_extensions_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_extensions'))
    )
    with op.batch_alter_table('order_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_extensions_order_id'), ['order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('order_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_extensions_order_id'))
    op.drop_table('order_extensions')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_column('finish_left_minutes')
        batch_op.drop_column('suspended_at')
    for name, _columns in WARN_INDEXES:
        op.drop_index(name, table_name='work_orders')
    with op.batch_alter_table('order_supervisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_supervisions_order_id'))
    op.drop_table('order_supervisions')
    op.drop_table('sweep_marks')
    op.drop_table('clock_actions')
