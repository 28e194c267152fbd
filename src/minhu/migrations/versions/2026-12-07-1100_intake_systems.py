"""forwarding: systems that forward orders, each order's sender id, and webhooks bound to a system

Revision ID: 4b7d2e9a61c3
Revises: 9c1e5a7b3d20
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4b7d2e9a61c3'
down_revision: str | None = '9c1e5a7b3d20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'intake_systems',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('key_digest', sa.String(length=64), nullable=False),
        sa.Column('key_hint', sa.String(length=8), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('key_issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_systems')),
        sa.UniqueConstraint('code', name=op.f('uq_intake_systems_code')),
        sa.UniqueConstraint('key_digest', name=op.f('uq_intake_systems_key_digest')),
    )
    op.create_table(
        'forwarded_orders',
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('system_id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=100), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], ondelete='CASCADE',
                                name=op.f('fk_forwarded_orders_order_id_work_orders')),
        sa.ForeignKeyConstraint(['system_id'], ['intake_systems.id'],
                                name=op.f('fk_forwarded_orders_system_id_intake_systems')),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_forwarded_orders')),
        sa.UniqueConstraint('system_id', 'external_id', name=op.f('uq_forwarded_orders_system_id_external_id')),
    )
    # Plain ADD COLUMN (no batch copy on SQLite, where outbox messages refer to the subscriptions), and so no
    # foreign key: SQLite cannot add one to a table in place. Systems are disabled, never deleted.
    op.add_column('webhook_subscriptions', sa.Column('system_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.drop_column('system_id')
    op.drop_table('forwarded_orders')
    op.drop_table('intake_systems')
