"""joint handling: order calls

Revision ID: bedf196adc27
Revises: 9d79d751b9a6
Create Date: 2026-11-29 12:00:07.119332
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'bedf196adc27'
down_revision: str | None = '9d79d751b9a6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('order_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('called_by_id', sa.Integer(), nullable=True),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('report_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['called_by_id'], ['users.id'], name=op.f('fk_order_calls_called_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_calls_order_id_work_orders')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_order_calls_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_calls'))
    )
    with op.batch_alter_table('order_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_calls_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_calls_unit_id'), ['unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('order_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_calls_unit_id'))
        batch_op.drop_index(batch_op.f('ix_order_calls_order_id'))

    op.drop_table('order_calls')
