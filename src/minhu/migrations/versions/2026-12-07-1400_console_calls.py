"""intake: the calls operators take at the console, for their figures of the day

Revision ID: 2a8f6c0e9b17
Revises: 7e3c9b1d4a52
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '2a8f6c0e9b17'
down_revision: str | None = '7e3c9b1d4a52'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'console_calls',
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], ondelete='CASCADE',
                                name=op.f('fk_console_calls_order_id_work_orders')),
        sa.ForeignKeyConstraint(['operator_id'], ['users.id'], name=op.f('fk_console_calls_operator_id_users')),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_console_calls')),
    )
    op.create_index('ix_console_calls_operator_ended', 'console_calls', ['operator_id', 'ended_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_console_calls_operator_ended', table_name='console_calls')
    op.drop_table('console_calls')
