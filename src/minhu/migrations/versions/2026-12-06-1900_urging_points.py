"""deadlines: an urging point per policy line and per order (3天办结、5天催办)

Revision ID: f3a8c2d71e94
Revises: b5d1e8a3c6f2
Create Date: 2026-12-06 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f3a8c2d71e94'
down_revision: str | None = 'b5d1e8a3c6f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

URGED = ('sign', 'respond', 'finish')


def upgrade() -> None:
    # Nullable columns without constraints: a plain ALTER TABLE on both databases. Existing rules and orders
    # keep NULL, which means what they meant before: urge when the light turns yellow.
    op.add_column('time_limit_rules', sa.Column('urge_offset', sa.Float(), nullable=True))
    for limit in URGED:
        op.add_column('work_orders', sa.Column(f'{limit}_urge_at', sa.DateTime(timezone=True), nullable=True))
        op.create_index(f'ix_work_orders_{limit}_urge', 'work_orders', ['status', f'{limit}_urge_at'], unique=False)


def downgrade() -> None:
    for limit in reversed(URGED):
        op.drop_index(f'ix_work_orders_{limit}_urge', table_name='work_orders')
        with op.batch_alter_table('work_orders') as batch:
            batch.drop_column(f'{limit}_urge_at')
    with op.batch_alter_table('time_limit_rules') as batch:
        batch.drop_column('urge_offset')
