"""orders: the finish-deadline index also holds the archive and reply instants (the rates' overdue open orders)

Revision ID: c4e8a1d6f293
Revises: b7d2f4a6c813
Create Date: 2026-12-11 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'c4e8a1d6f293'
down_revision: str | None = 'b7d2f4a6c813'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_work_orders_finish_due', table_name='work_orders')
    op.create_index('ix_work_orders_finish_due', 'work_orders', ['status', 'finish_due_at', 'closed_at', 'replied_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_work_orders_finish_due', table_name='work_orders')
    op.create_index('ix_work_orders_finish_due', 'work_orders', ['status', 'finish_due_at'], unique=False)
