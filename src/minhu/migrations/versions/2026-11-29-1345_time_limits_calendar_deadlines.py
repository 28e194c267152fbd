"""time limits: calendar, policy, order deadlines

Revision ID: a1d3c7e9f2b4
Revises: 5c2e81a0d4f7
Create Date: 2026-11-29 13:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a1d3c7e9f2b4'
down_revision: str | None = '5c2e81a0d4f7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEADLINE_COLUMNS = ('accept_warn_at', 'sign_due_at', 'sign_warn_at', 'respond_due_at', 'respond_warn_at',
                    'responded_at', 'finish_warn_at', 'callback_due_at', 'callback_warn_at')


def upgrade() -> None:
    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('workday', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years'))
    )
    op.create_table('time_limit_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('warn_share', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_limit_policies')),
    sa.UniqueConstraint('version', name=op.f('uq_time_limit_policies_version'))
    )
    op.create_table('time_limit_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('limit', sa.String(length=32), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=True),
    sa.Column('urgency', sa.String(length=20), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('limit_class', sa.String(length=20), nullable=True),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('warn_hours', sa.Float(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['time_limit_policies.id'],
                            name=op.f('fk_time_limit_rules_policy_id_time_limit_policies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_limit_rules'))
    )
    with op.batch_alter_table('time_limit_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_limit_rules_policy_id'), ['policy_id'], unique=False)
    # Plain ADD COLUMN (no batch copy on SQLite): work_orders carries the trail's foreign keys.
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot add a constraint to a table, but it takes REFERENCES on a new nullable column.
        op.execute('ALTER TABLE work_orders ADD COLUMN policy_id INTEGER '
                   'CONSTRAINT fk_work_orders_policy_id_time_limit_policies REFERENCES time_limit_policies (id)')
    else:
        op.add_column('work_orders', sa.Column('policy_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_work_orders_policy_id_time_limit_policies', 'work_orders',
                              'time_limit_policies', ['policy_id'], ['id'])
    op.add_column('work_orders', sa.Column('deadlines_provisional', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    for column in DEADLINE_COLUMNS:
        op.add_column('work_orders', sa.Column(column, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        for column in (*DEADLINE_COLUMNS, 'deadlines_provisional'):
            batch_op.drop_column(column)
        batch_op.drop_constraint('fk_work_orders_policy_id_time_limit_policies', type_='foreignkey')
        batch_op.drop_column('policy_id')
    with op.batch_alter_table('time_limit_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_time_limit_rules_policy_id'))
    op.drop_table('time_limit_rules')
    op.drop_table('time_limit_policies')
    op.drop_table('calendar_years')
    op.drop_table('calendar_days')
