"""people: a patrol's start, end and points on the way, and the household a visit went to

Revision ID: b7d2f4a6c813
Revises: a9c3e5f7b142
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7d2f4a6c813'
down_revision: str | None = 'a9c3e5f7b142'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN with defaults: the rows recorded before were whole rounds (a patrol ended as it was written).
    op.add_column('grid_rounds', sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('grid_rounds', sa.Column('household', sa.String(length=200), nullable=False, server_default=''))
    op.execute('UPDATE grid_rounds SET ended_at = at')
    op.create_table(
        'grid_round_points',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('latitude', sa.Float(), nullable=False),
        sa.Column('longitude', sa.Float(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['grid_rounds.id'], name=op.f('fk_grid_round_points_round_id_grid_rounds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_round_points')),
    )
    op.create_index('ix_grid_round_points_round_id', 'grid_round_points', ['round_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_grid_round_points_round_id', table_name='grid_round_points')
    op.drop_table('grid_round_points')
    with op.batch_alter_table('grid_rounds', schema=None) as batch_op:
        batch_op.drop_column('household')
        batch_op.drop_column('ended_at')
