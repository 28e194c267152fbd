"""people: grid workers' patrols and household visits

Revision ID: b5d1e8a3c6f2
Revises: c4b7a1e0d9f3
Create Date: 2026-11-29 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b5d1e8a3c6f2'
down_revision: str | None = 'c4b7a1e0d9f3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'grid_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['grid_id'], ['units.id'], name=op.f('fk_grid_rounds_grid_id_units')),
        sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_grid_rounds_worker_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_rounds')),
    )
    op.create_index('ix_grid_rounds_grid_at', 'grid_rounds', ['grid_id', 'at'], unique=False)
    op.create_index('ix_grid_rounds_worker_at', 'grid_rounds', ['worker_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_grid_rounds_worker_at', table_name='grid_rounds')
    op.drop_index('ix_grid_rounds_grid_at', table_name='grid_rounds')
    op.drop_table('grid_rounds')
