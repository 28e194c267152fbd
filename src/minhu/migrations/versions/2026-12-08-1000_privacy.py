"""privacy: when an order's personal data was anonymised

Revision ID: 6f2d9a4c81e7
Revises: 3b8e61d4a2f0
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '6f2d9a4c81e7'
down_revision: str | None = '3b8e61d4a2f0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('work_orders') as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('work_orders') as batch_op:
        batch_op.drop_column('anonymised_at')
