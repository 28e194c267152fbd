"""chief duty lists: each zone's and grid's duty list (四长责任清单) and the chiefs named on orders

Revision ID: d5f8b2e3a964
Revises: c4e7a1d2f853
Create Date: 2026-12-09 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd5f8b2e3a964'
down_revision: str | None = 'c4e7a1d2f853'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('duty_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['grid_id'], ['units.id'], name=op.f('fk_duty_lists_grid_id_units')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_duty_lists_updated_by_id_users')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_duty_lists_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_lists')),
    sa.UniqueConstraint('grid_id', name=op.f('uq_duty_lists_grid_id')),
    sa.UniqueConstraint('zone_id', name=op.f('uq_duty_lists_zone_id'))
    )
    op.create_table('duty_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('category_code', sa.String(length=16), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'],
                            name=op.f('fk_duty_items_category_code_categories')),
    sa.ForeignKeyConstraint(['list_id'], ['duty_lists.id'], name=op.f('fk_duty_items_list_id_duty_lists'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_items')),
    sa.UniqueConstraint('list_id', 'category_code', name=op.f('uq_duty_items_list_id_category_code'))
    )
    op.create_index(op.f('ix_duty_items_list_id'), 'duty_items', ['list_id'], unique=False)
    op.create_table('order_chiefs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('category_code', sa.String(length=32), nullable=False),
    sa.Column('named_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('alerted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['units.id'], name=op.f('fk_order_chiefs_grid_id_units')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_chiefs_order_id_work_orders'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_order_chiefs_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_order_chiefs_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_chiefs')),
    sa.UniqueConstraint('order_id', 'post_id', name=op.f('uq_order_chiefs_order_id_post_id'))
    )
    op.create_index('ix_order_chiefs_grid', 'order_chiefs', ['grid_id'], unique=False)
    op.create_index(op.f('ix_order_chiefs_order_id'), 'order_chiefs', ['order_id'], unique=False)
    op.create_index('ix_order_chiefs_post', 'order_chiefs', ['post_id', 'named_at'], unique=False)
    op.create_index('ix_order_chiefs_zone', 'order_chiefs', ['zone_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_order_chiefs_zone', table_name='order_chiefs')
    op.drop_index('ix_order_chiefs_post', table_name='order_chiefs')
    op.drop_index(op.f('ix_order_chiefs_order_id'), table_name='order_chiefs')
    op.drop_index('ix_order_chiefs_grid', table_name='order_chiefs')
    op.drop_table('order_chiefs')
    op.drop_index(op.f('ix_duty_items_list_id'), table_name='duty_items')
    op.drop_table('duty_items')
    op.drop_table('duty_lists')
