"""open311: published services and their questions, client keys, the requests and updates clients sent

Revision ID: 9c4e2a7f1b36
Revises: 5d1b7e3f8c24
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9c4e2a7f1b36'
down_revision: str | None = '5d1b7e3f8c24'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql')


def upgrade() -> None:
    op.create_table('open311_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('key_hint', sa.String(length=8), nullable=False),
    sa.Column('per_minute', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_keys')),
    sa.UniqueConstraint('key_digest', name=op.f('uq_open311_keys_key_digest'))
    )
    op.create_table('open311_services',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('category_code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('group', sa.String(length=100), nullable=False),
    sa.Column('keywords', _JSON, nullable=False),
    sa.Column('notice', sa.Text(), nullable=False),
    sa.Column('order_type', sa.String(length=32), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'], name=op.f('fk_open311_services_category_code_categories')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_open311_services')),
    sa.UniqueConstraint('category_code', name=op.f('uq_open311_services_category_code'))
    )
    op.create_table('open311_attributes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_code', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('variable', sa.Boolean(), nullable=False),
    sa.Column('datatype', sa.String(length=32), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('datatype_description', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('values', _JSON, nullable=False),
    sa.ForeignKeyConstraint(['service_code'], ['open311_services.code'], name=op.f('fk_open311_attributes_service_code_open311_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_attributes')),
    sa.UniqueConstraint('service_code', 'code', name=op.f('uq_open311_attributes_service_code_code'))
    )
    op.create_table('open311_requests',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('service_code', sa.String(length=40), nullable=False),
    sa.Column('answers', _JSON, nullable=False),
    sa.Column('media_url', sa.String(length=1000), nullable=True),
    sa.Column('address_id', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('device_id', sa.String(length=200), nullable=True),
    sa.Column('account_id', sa.String(length=200), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['open311_keys.id'], name=op.f('fk_open311_requests_key_id_open311_keys')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_open311_requests_order_id_work_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_code'], ['open311_services.code'], name=op.f('fk_open311_requests_service_code_open311_services')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_open311_requests')),
    sa.UniqueConstraint('token', name=op.f('uq_open311_requests_token'))
    )
    op.create_index('ix_open311_requests_key_id', 'open311_requests', ['key_id'], unique=False)
    op.create_index('ix_open311_requests_received', 'open311_requests', ['received_at'], unique=False)
    op.create_index('ix_open311_requests_service_code', 'open311_requests', ['service_code'], unique=False)

    op.create_table('open311_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('client_update_id', sa.String(length=100), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('media_url', sa.String(length=1000), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['order_events.id'], name=op.f('fk_open311_updates_event_id_order_events')),
    sa.ForeignKeyConstraint(['key_id'], ['open311_keys.id'], name=op.f('fk_open311_updates_key_id_open311_keys')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_open311_updates_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_updates')),
    sa.UniqueConstraint('key_id', 'client_update_id', name=op.f('uq_open311_updates_key_id_client_update_id'))
    )
    op.create_index('ix_open311_updates_order_id', 'open311_updates', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_table('open311_updates')
    op.drop_table('open311_requests')
    op.drop_table('open311_attributes')
    op.drop_table('open311_services')
    op.drop_table('open311_keys')
