"""duplicates: each order's fingerprint for recognising later reports of its matter (一事多办)

Revision ID: 9c1e5a7b3d20
Revises: f3a8c2d71e94
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9c1e5a7b3d20'
down_revision: str | None = 'f3a8c2d71e94'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Orders registered before this table have no fingerprint: later reports are not matched against them.
    op.create_table(
        'order_fingerprints',
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cell', sa.BigInteger(), nullable=True),
        sa.Column('latitude', sa.Float(), nullable=True),
        sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('community_id', sa.Integer(), nullable=True),
        sa.Column('citizen_phone', sa.String(length=32), nullable=True),
        sa.Column('category_code', sa.String(length=32), nullable=True),
        sa.Column('reach', sa.Float(), nullable=True),
        sa.Column('reading', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], ondelete='CASCADE',
                                name=op.f('fk_order_fingerprints_order_id_work_orders')),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_fingerprints')),
    )
    # Covering: each door of the search reads its index alone.
    light = ['created_at', 'order_id', 'latitude', 'longitude', 'category_code']
    op.create_index('ix_order_fingerprints_cell', 'order_fingerprints', ['cell', *light], unique=False)
    op.create_index('ix_order_fingerprints_community', 'order_fingerprints', ['community_id', *light], unique=False)
    op.create_index('ix_order_fingerprints_phone', 'order_fingerprints', ['citizen_phone', *light], unique=False)
    # The wide ring's orders only (categories that reach farther than 200 m).
    op.create_index('ix_order_fingerprints_wide', 'order_fingerprints',
                    ['cell', 'created_at', 'order_id', 'latitude', 'longitude', 'reach'], unique=False,
                    sqlite_where=sa.text('reach > 200'), postgresql_where=sa.text('reach > 200'))


def downgrade() -> None:
    op.drop_index('ix_order_fingerprints_wide', table_name='order_fingerprints')
    op.drop_index('ix_order_fingerprints_phone', table_name='order_fingerprints')
    op.drop_index('ix_order_fingerprints_community', table_name='order_fingerprints')
    op.drop_index('ix_order_fingerprints_cell', table_name='order_fingerprints')
    op.drop_table('order_fingerprints')
