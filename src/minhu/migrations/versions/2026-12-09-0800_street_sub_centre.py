"""street sub-centres: the street that dispatched an order inside (内派) and each street's settings

Revision ID: c4e7a1d2f853
Revises: b3d8f1c6e942
Create Date: 2026-12-09 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c4e7a1d2f853'
down_revision: str | None = 'b3d8f1c6e942'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: a batch rebuild of work_orders on SQLite would drop the table the
    # trail and the attachments reference. SQLite takes REFERENCES on a new nullable column.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE work_orders ADD COLUMN sub_centre_id INTEGER '
                   'CONSTRAINT fk_work_orders_sub_centre_id_units REFERENCES units (id)')
    else:
        op.add_column('work_orders', sa.Column('sub_centre_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_work_orders_sub_centre_id_units', 'work_orders', 'units', ['sub_centre_id'],
                              ['id'])
    op.create_index('ix_work_orders_sub_centre_id', 'work_orders', ['sub_centre_id'], unique=False)
    op.create_table('street_settings',
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('sub_centre', sa.Boolean(), nullable=False),
    sa.Column('review_inner_replies', sa.Boolean(), nullable=False),
    sa.Column('a_level_straight', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['street_id'], ['units.id'], name=op.f('fk_street_settings_street_id_units')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_street_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('street_id', name=op.f('pk_street_settings'))
    )


def downgrade() -> None:
    op.drop_table('street_settings')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_work_orders_sub_centre_id')
        if not sqlite:  # on SQLite the constraint lives in the column and goes with it
            batch_op.drop_constraint('fk_work_orders_sub_centre_id_units', type_='foreignkey')
        batch_op.drop_column('sub_centre_id')
