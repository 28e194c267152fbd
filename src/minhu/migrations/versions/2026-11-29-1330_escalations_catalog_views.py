"""escalations, return limits, catalog views

Revision ID: 5c2e81a0d4f7
Revises: bedf196adc27
Create Date: 2026-11-29 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5c2e81a0d4f7'
down_revision: str | None = 'bedf196adc27'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy on SQLite): work_orders carries the trail's foreign keys.
    op.add_column('work_orders', sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('work_orders', sa.Column('return_due_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('order_escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('from_grade', sa.String(length=1), nullable=True),
    sa.Column('to_grade', sa.String(length=1), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_unit_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted', sa.Boolean(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_escalations_order_id_work_orders')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                            name=op.f('fk_order_escalations_requested_by_id_users')),
    sa.ForeignKeyConstraint(['requested_unit_id'], ['units.id'],
                            name=op.f('fk_order_escalations_requested_unit_id_units')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_order_escalations_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_escalations'))
    )
    with op.batch_alter_table('order_escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_escalations_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_escalations_requested_unit_id'), ['requested_unit_id'],
                              unique=False)
    op.create_table('catalog_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_catalog_views_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_views')),
    sa.UniqueConstraint('code', name=op.f('uq_catalog_views_code'))
    )
    with op.batch_alter_table('catalog_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_views_unit_id'), ['unit_id'], unique=False)
    op.create_table('catalog_view_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('view_id', sa.Integer(), nullable=False),
    sa.Column('category_code', sa.String(length=16), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=False),
    sa.Column('section', sa.String(length=100), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'],
                            name=op.f('fk_catalog_view_items_category_code_categories')),
    sa.ForeignKeyConstraint(['view_id'], ['catalog_views.id'], name=op.f('fk_catalog_view_items_view_id_catalog_views')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_view_items')),
    sa.UniqueConstraint('view_id', 'category_code', 'item',
                        name=op.f('uq_catalog_view_items_view_id_category_code_item'))
    )
    with op.batch_alter_table('catalog_view_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_view_items_view_id'), ['view_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('catalog_view_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_view_items_view_id'))
    op.drop_table('catalog_view_items')
    with op.batch_alter_table('catalog_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_views_unit_id'))
    op.drop_table('catalog_views')
    with op.batch_alter_table('order_escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_escalations_requested_unit_id'))
        batch_op.drop_index(batch_op.f('ix_order_escalations_order_id'))
    op.drop_table('order_escalations')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_column('return_due_at')
        batch_op.drop_column('dispatched_at')
