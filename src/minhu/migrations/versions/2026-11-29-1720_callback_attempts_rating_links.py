"""callbacks: every callback try (回访) and the online rating link (网上直评) of an order

Revision ID: c4b7a1e0d9f3
Revises: b5d17e3a9c40
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c4b7a1e0d9f3'
down_revision: str | None = 'b5d17e3a9c40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'callback_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('method', sa.String(length=32), nullable=False),
        sa.Column('reached', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_callback_attempts_actor_id_users')),
        sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'],
                                name=op.f('fk_callback_attempts_order_id_work_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_attempts')),
    )
    op.create_index('ix_callback_attempts_order_at', 'callback_attempts', ['order_id', 'at'], unique=False)
    op.create_table(
        'rating_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolution', sa.String(length=32), nullable=True),
        sa.Column('satisfaction', sa.String(length=32), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_rating_links_order_id_work_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_links')),
        sa.UniqueConstraint('order_id', name=op.f('uq_rating_links_order_id')),
        sa.UniqueConstraint('token_digest', name=op.f('uq_rating_links_token_digest')),
    )


def downgrade() -> None:
    op.drop_table('rating_links')
    op.drop_index('ix_callback_attempts_order_at', table_name='callback_attempts')
    op.drop_table('callback_attempts')
