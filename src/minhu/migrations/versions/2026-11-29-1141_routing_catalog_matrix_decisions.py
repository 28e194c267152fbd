"""routing: catalog, matrix, decisions

Revision ID: 9d79d751b9a6
Revises: 04ab953a20b4
Create Date: 2026-11-29 11:41:18.103817
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9d79d751b9a6'
down_revision: str | None = '04ab953a20b4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('categories',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=16), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=32), nullable=False),
    sa.Column('owner_kind', sa.String(length=32), nullable=False),
    sa.Column('limit_class', sa.String(length=32), nullable=False),
    sa.Column('keywords', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('catalog_version', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['categories.code'], name=op.f('fk_categories_parent_code_categories')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_categories'))
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_categories_parent_code'), ['parent_code'], unique=False)

    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_code', sa.String(length=16), nullable=True),
    sa.Column('place_unit_id', sa.Integer(), nullable=True),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('co_handler_ids', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'], name=op.f('fk_routing_rules_category_code_categories')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_routing_rules_owner_unit_id_units')),
    sa.ForeignKeyConstraint(['place_unit_id'], ['units.id'], name=op.f('fk_routing_rules_place_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules'))
    )
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rules_category_code'), ['category_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_rules_place_unit_id'), ['place_unit_id'], unique=False)

    op.create_table('routing_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=True),
    sa.Column('suggestions', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
    sa.Column('suggested_category', sa.String(length=16), nullable=True),
    sa.Column('suggested_grade', sa.String(length=32), nullable=True),
    sa.Column('grade_reasons', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
    sa.Column('suggested_owner_id', sa.Integer(), nullable=True),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('owner_reason', sa.Text(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('auto_dispatched', sa.Boolean(), nullable=False),
    sa.Column('chosen_category', sa.String(length=16), nullable=True),
    sa.Column('chosen_owner_id', sa.Integer(), nullable=True),
    sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['chosen_owner_id'], ['units.id'], name=op.f('fk_routing_decisions_chosen_owner_id_units')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_routing_decisions_order_id_work_orders')),
    sa.ForeignKeyConstraint(['rule_id'], ['routing_rules.id'], name=op.f('fk_routing_decisions_rule_id_routing_rules')),
    sa.ForeignKeyConstraint(['suggested_owner_id'], ['units.id'], name=op.f('fk_routing_decisions_suggested_owner_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_decisions')),
    sa.UniqueConstraint('order_id', name=op.f('uq_routing_decisions_order_id'))
    )


def downgrade() -> None:
    op.drop_table('routing_decisions')
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rules_place_unit_id'))
        batch_op.drop_index(batch_op.f('ix_routing_rules_category_code'))

    op.drop_table('routing_rules')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_categories_parent_code'))

    op.drop_table('categories')
