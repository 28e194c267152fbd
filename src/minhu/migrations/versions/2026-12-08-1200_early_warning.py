"""early warning: break-outs of a community's requests by category and week, and the policy that raises them

Revision ID: a71c3e9b5d20
Revises: 8c5e2f7a9d13
Create Date: 2026-12-08 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a71c3e9b5d20'
down_revision: str | None = '8c5e2f7a9d13'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql')


def upgrade() -> None:
    op.create_table('early_warnings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('street_id', sa.Integer(), nullable=True),
        sa.Column('category_code', sa.String(length=32), nullable=False),
        sa.Column('week_start', sa.Date(), nullable=False),
        sa.Column('observed', sa.Integer(), nullable=False),
        sa.Column('expected', sa.Float(), nullable=False),
        sa.Column('trailing_mean', sa.Float(), nullable=False),
        sa.Column('last_year', sa.Float(), nullable=True),
        sa.Column('p_value', sa.Float(), nullable=False),
        sa.Column('rule', JSON, nullable=False),
        sa.Column('order_ids', JSON, nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('task_unit_id', sa.Integer(), nullable=True),
        sa.Column('task_due_on', sa.Date(), nullable=True),
        sa.Column('task_note', sa.Text(), nullable=False),
        sa.Column('task_by_id', sa.Integer(), nullable=True),
        sa.Column('task_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
        sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dismiss_reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_early_warnings_acknowledged_by_id_users')),
        sa.ForeignKeyConstraint(['community_id'], ['units.id'], name=op.f('fk_early_warnings_community_id_units')),
        sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'], name=op.f('fk_early_warnings_dismissed_by_id_users')),
        sa.ForeignKeyConstraint(['street_id'], ['units.id'], name=op.f('fk_early_warnings_street_id_units')),
        sa.ForeignKeyConstraint(['task_by_id'], ['users.id'], name=op.f('fk_early_warnings_task_by_id_users')),
        sa.ForeignKeyConstraint(['task_unit_id'], ['units.id'], name=op.f('fk_early_warnings_task_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_early_warnings')),
        sa.UniqueConstraint('community_id', 'category_code', 'week_start',
                            name=op.f('uq_early_warnings_community_id_category_code_week_start'))
        )
    op.create_index('ix_early_warnings_state_week', 'early_warnings', ['state', 'week_start'], unique=False)
    op.create_index('ix_early_warnings_street_week', 'early_warnings', ['street_id', 'week_start'], unique=False)
    op.create_table('warning_policies',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('values', JSON, nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_warning_policies_updated_by_id_users')),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_warning_policies'))
        )


def downgrade() -> None:
    op.drop_table('warning_policies')
    op.drop_index('ix_early_warnings_street_week', table_name='early_warnings')
    op.drop_index('ix_early_warnings_state_week', table_name='early_warnings')
    op.drop_table('early_warnings')
