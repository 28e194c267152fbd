"""scheduling: leaders' weekly scheduling meetings (调度会) and their instructions (批示) to units and orders

Revision ID: f7b0d4a5c286
Revises: d5f8b2e3a964
Create Date: 2026-12-09 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f7b0d4a5c286'
down_revision: str | None = 'd5f8b2e3a964'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('scheduling_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('chair', sa.String(length=100), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_scheduling_meetings_created_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_scheduling_meetings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduling_meetings'))
    )
    op.create_index('ix_scheduling_meetings_week', 'scheduling_meetings', ['week'], unique=False)
    op.create_table('instructions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_instructions_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_instructions_created_by_id_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['scheduling_meetings.id'], name=op.f('fk_instructions_meeting_id_scheduling_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_instructions_order_id_work_orders')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_instructions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instructions'))
    )
    op.create_index(op.f('ix_instructions_meeting_id'), 'instructions', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_instructions_order_id'), 'instructions', ['order_id'], unique=False)
    op.create_index('ix_instructions_unit', 'instructions', ['unit_id', 'acknowledged_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_instructions_unit', table_name='instructions')
    op.drop_index(op.f('ix_instructions_order_id'), table_name='instructions')
    op.drop_index(op.f('ix_instructions_meeting_id'), table_name='instructions')
    op.drop_table('instructions')
    op.drop_index('ix_scheduling_meetings_week', table_name='scheduling_meetings')
    op.drop_table('scheduling_meetings')
