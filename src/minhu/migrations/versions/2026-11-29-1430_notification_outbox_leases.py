"""notification outbox, templates, duty roster, webhooks, leases

Revision ID: 9d3f0b6c2a71
Revises: c4e8b2d6f1a9
Create Date: 2026-11-29 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9d3f0b6c2a71'
down_revision: str | None = 'c4e8b2d6f1a9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # New tables only: nothing existing is altered, so SQLite copies no table.
    op.create_table('leases',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    op.create_table('webhook_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('events', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions'))
    )
    op.create_table('duty_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_duty_shifts_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_duty_shifts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_shifts'))
    )
    op.create_index('ix_duty_shifts_span', 'duty_shifts', ['starts_at', 'ends_at'], unique=False)
    op.create_index(op.f('ix_duty_shifts_user_id'), 'duty_shifts', ['user_id'], unique=False)
    op.create_table('notify_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sms', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_notify_templates_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_templates')),
    sa.UniqueConstraint('key', name=op.f('uq_notify_templates_key'))
    )
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('recipient', sa.String(length=500), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('template_key', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_outbox_messages_order_id_work_orders')),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscriptions.id'], name=op.f('fk_outbox_messages_subscription_id_webhook_subscriptions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_messages_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('channel', 'recipient', 'dedupe_key', name=op.f('uq_outbox_messages_channel_recipient_dedupe_key')),
    sa.UniqueConstraint('uid', name=op.f('uq_outbox_messages_uid'))
    )
    op.create_index('ix_outbox_messages_due', 'outbox_messages', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_outbox_messages_inbox', 'outbox_messages', ['user_id', 'channel', 'status'], unique=False)
    op.create_index(op.f('ix_outbox_messages_order_id'), 'outbox_messages', ['order_id'], unique=False)
    op.create_table('outbox_resends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('previous_status', sa.String(length=32), nullable=False),
    sa.Column('previous_attempts', sa.Integer(), nullable=False),
    sa.Column('previous_error', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_outbox_resends_actor_id_users')),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'], name=op.f('fk_outbox_resends_message_id_outbox_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_resends'))
    )
    op.create_index(op.f('ix_outbox_resends_message_id'), 'outbox_resends', ['message_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outbox_resends_message_id'), table_name='outbox_resends')
    op.drop_table('outbox_resends')
    op.drop_index(op.f('ix_outbox_messages_order_id'), table_name='outbox_messages')
    op.drop_index('ix_outbox_messages_inbox', table_name='outbox_messages')
    op.drop_index('ix_outbox_messages_due', table_name='outbox_messages')
    op.drop_table('outbox_messages')
    op.drop_table('notify_templates')
    op.drop_index(op.f('ix_duty_shifts_user_id'), table_name='duty_shifts')
    op.drop_index('ix_duty_shifts_span', table_name='duty_shifts')
    op.drop_table('duty_shifts')
    op.drop_table('webhook_subscriptions')
    op.drop_table('leases')
