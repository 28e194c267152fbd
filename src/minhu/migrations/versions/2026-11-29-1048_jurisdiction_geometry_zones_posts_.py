"""jurisdiction: geometry, zones, posts, gazetteer

Revision ID: 04ab953a20b4
Revises: 356963075618
Create Date: 2026-11-29 10:48:49.572427
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '04ab953a20b4'
down_revision: str | None = '356963075618'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('map_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_revision'))
    )
    op.create_table('zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('geometry', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=True),
    sa.Column('buffer_m', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zones')),
    sa.UniqueConstraint('code', name=op.f('uq_zones_code'))
    )
    op.create_table('places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('aliases', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
    sa.Column('geometry', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_places_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_places'))
    )
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_places_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_places_unit_id'), ['unit_id'], unique=False)

    op.create_table('unit_lineage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_unit_id', sa.Integer(), nullable=False),
    sa.Column('to_unit_id', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=32), nullable=False),
    sa.Column('share', sa.Float(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['from_unit_id'], ['units.id'], name=op.f('fk_unit_lineage_from_unit_id_units')),
    sa.ForeignKeyConstraint(['to_unit_id'], ['units.id'], name=op.f('fk_unit_lineage_to_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_lineage'))
    )
    with op.batch_alter_table('unit_lineage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_lineage_from_unit_id'), ['from_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_lineage_to_unit_id'), ['to_unit_id'], unique=False)

    op.create_table('zone_members',
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_zone_members_unit_id_units')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_zone_members_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('zone_id', 'unit_id', name=op.f('pk_zone_members'))
    )
    with op.batch_alter_table('zone_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zone_members_unit_id'), ['unit_id'], unique=False)

    op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('person', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_posts_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_posts_user_id_users')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_posts_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posts_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_zone_id'), ['zone_id'], unique=False)

    # Plain ADD COLUMN, not batch mode: on SQLite a batch rebuild would drop and recreate work_orders,
    # which the attachments and the append-only trail reference.
    geometry_type = sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql')
    op.add_column('units', sa.Column('geometry', geometry_type, nullable=True))
    op.add_column('units', sa.Column('households', sa.Integer(), nullable=True))
    op.add_column('units', sa.Column('grid_kind', sa.String(length=32), nullable=True))
    op.add_column('units', sa.Column('staff_posts', sa.Integer(), nullable=True))
    op.add_column('units', sa.Column('staff_filled', sa.Integer(), nullable=True))
    op.add_column('units', sa.Column('valid_from', sa.Date(), nullable=True))
    op.add_column('units', sa.Column('valid_to', sa.Date(), nullable=True))

    sqlite = op.get_bind().dialect.name == 'sqlite'
    for column in ('street_id', 'community_id', 'grid_id', 'place_unit_id'):
        if sqlite:
            # SQLite cannot add a constraint to a table, but it takes REFERENCES on a new nullable column.
            op.execute(f'ALTER TABLE work_orders ADD COLUMN {column} INTEGER '
                       f'CONSTRAINT fk_work_orders_{column}_units REFERENCES units (id)')
        else:
            op.add_column('work_orders', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(f'fk_work_orders_{column}_units', 'work_orders', 'units', [column], ['id'])
        op.create_index(f'ix_work_orders_{column}', 'work_orders', [column], unique=False)
    op.add_column('work_orders', sa.Column('location_source', sa.String(length=32), nullable=True))
    op.add_column('work_orders', sa.Column('location_confidence', sa.Float(), nullable=True))



def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        for column in ('street_id', 'community_id', 'grid_id', 'place_unit_id'):
            batch_op.drop_index(f'ix_work_orders_{column}')
            if not sqlite:  # on SQLite the constraint lives in the column and goes with it
                batch_op.drop_constraint(f'fk_work_orders_{column}_units', type_='foreignkey')
            batch_op.drop_column(column)
        batch_op.drop_column('location_confidence')
        batch_op.drop_column('location_source')

    with op.batch_alter_table('units', schema=None) as batch_op:
        for column in ('valid_to', 'valid_from', 'staff_filled', 'staff_posts', 'grid_kind', 'households', 'geometry'):
            batch_op.drop_column(column)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_zone_id'))
        batch_op.drop_index(batch_op.f('ix_posts_user_id'))
        batch_op.drop_index(batch_op.f('ix_posts_unit_id'))

    op.drop_table('posts')
    with op.batch_alter_table('zone_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zone_members_unit_id'))

    op.drop_table('zone_members')
    with op.batch_alter_table('unit_lineage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_lineage_to_unit_id'))
        batch_op.drop_index(batch_op.f('ix_unit_lineage_from_unit_id'))

    op.drop_table('unit_lineage')
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_places_unit_id'))
        batch_op.drop_index(batch_op.f('ix_places_name'))

    op.drop_table('places')
    op.drop_table('zones')
    op.drop_table('map_revision')
