"""dashboard_counts: the dashboard's daily counts by place and breakdown, filled from the orders already there;
the rates' covering index also holds the category and the place; the duplicates' index only the duplicates

Revision ID: a9c3e5f7b142
Revises: f7b0d4a5c286
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from minhu.dashboard.rollup import rebuild

revision: str = 'a9c3e5f7b142'
down_revision: str | None = 'f7b0d4a5c286'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RATES_INDEX_COLUMNS = ['status', 'closed_at', 'owner_unit_id', 'type', 'channel', 'responded_at', 'respond_due_at',
                       'finish_due_at', 'replied_at', 'resolution', 'satisfaction', 'callback_reached', 'unreachable',
                       'duplicate_of_id', 'ruling']
PLACE_COLUMNS = ['category_code', 'street_id', 'community_id', 'grid_id']


def upgrade() -> None:
    op.create_table('dashboard_counts',
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('place_id', 'dimension', 'day', 'value', name=op.f('pk_dashboard_counts')),
    sqlite_with_rowid=False
    )
    # The orders registered before the counts were kept, counted as the dashboard counts them.
    rebuild(op.get_bind())
    op.drop_index('ix_work_orders_rates', table_name='work_orders')
    op.create_index('ix_work_orders_rates', 'work_orders', [*RATES_INDEX_COLUMNS, *PLACE_COLUMNS], unique=False)
    op.drop_index(op.f('ix_work_orders_duplicate_of_id'), table_name='work_orders')
    op.create_index(op.f('ix_work_orders_duplicate_of_id'), 'work_orders', ['duplicate_of_id'], unique=False,
                    sqlite_where=sa.text('duplicate_of_id IS NOT NULL'),
                    postgresql_where=sa.text('duplicate_of_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index(op.f('ix_work_orders_duplicate_of_id'), table_name='work_orders')
    op.create_index(op.f('ix_work_orders_duplicate_of_id'), 'work_orders', ['duplicate_of_id'], unique=False)
    op.drop_index('ix_work_orders_rates', table_name='work_orders')
    op.create_index('ix_work_orders_rates', 'work_orders', RATES_INDEX_COLUMNS, unique=False)
    op.drop_table('dashboard_counts')
