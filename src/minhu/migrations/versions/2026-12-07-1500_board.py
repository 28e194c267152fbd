"""board: the public message board's messages and supports

Revision ID: 5d1b7e3f8c24
Revises: 2a8f6c0e9b17
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5d1b7e3f8c24'
down_revision: str | None = '2a8f6c0e9b17'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'board_posts',
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('found', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('hold_reason', sa.String(length=200), nullable=True),
        sa.Column('supports', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], ondelete='CASCADE',
                                name=op.f('fk_board_posts_order_id_work_orders')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_board_posts_decided_by_id_users')),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_board_posts')),
    )
    op.create_index('ix_board_posts_state_created', 'board_posts', ['state', 'created_at'], unique=False)
    op.create_table(
        'board_supports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('supporter', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['board_posts.order_id'], ondelete='CASCADE',
                                name=op.f('fk_board_supports_order_id_board_posts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_board_supports')),
        sa.UniqueConstraint('order_id', 'supporter', name=op.f('uq_board_supports_order_id_supporter')),
    )


def downgrade() -> None:
    op.drop_table('board_supports')
    op.drop_index('ix_board_posts_state_created', table_name='board_posts')
    op.drop_table('board_posts')
