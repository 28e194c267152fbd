"""evaluation: threads of one citizen's repeats on one matter, their standard replies, and the indexes the
thread suggestions (orders by phone and time) and the dissatisfied ledger (events by action and time) read

Revision ID: b5d17e3a9c40
Revises: b7e4c2a9d15f
Create Date: 2026-11-29 16:31:39
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b5d17e3a9c40'
down_revision: str | None = 'b7e4c2a9d15f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # New tables and indexes only: no column changes, so SQLite copies no table.
    op.create_table('order_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('main_order_id', sa.Integer(), nullable=False),
    sa.Column('citizen_phone', sa.String(length=32), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_order_threads_created_by_id_users')),
    sa.ForeignKeyConstraint(['main_order_id'], ['work_orders.id'], name=op.f('fk_order_threads_main_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_threads')),
    sa.UniqueConstraint('main_order_id', name=op.f('uq_order_threads_main_order_id'))
    )
    op.create_index(op.f('ix_order_threads_citizen_phone'), 'order_threads', ['citizen_phone'], unique=False)
    op.create_table('order_thread_members',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_order_thread_members_linked_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_thread_members_order_id_work_orders')),
    sa.ForeignKeyConstraint(['thread_id'], ['order_threads.id'], name=op.f('fk_order_thread_members_thread_id_order_threads')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_thread_members'))
    )
    op.create_index(op.f('ix_order_thread_members_thread_id'), 'order_thread_members', ['thread_id'], unique=False)
    op.create_table('thread_standard_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=True),
    sa.Column('written_by_name', sa.String(length=100), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['order_threads.id'], name=op.f('fk_thread_standard_replies_thread_id_order_threads')),
    sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_thread_standard_replies_written_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_thread_standard_replies'))
    )
    op.create_index('ix_thread_standard_replies_thread', 'thread_standard_replies', ['thread_id', 'id'], unique=False)
    op.create_index('ix_work_orders_phone_created', 'work_orders', ['citizen_phone', 'created_at'], unique=False)
    op.create_index('ix_order_events_action_at', 'order_events', ['action', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_order_events_action_at', table_name='order_events')
    op.drop_index('ix_work_orders_phone_created', table_name='work_orders')
    op.drop_index('ix_thread_standard_replies_thread', table_name='thread_standard_replies')
    op.drop_table('thread_standard_replies')
    op.drop_index(op.f('ix_order_thread_members_thread_id'), table_name='order_thread_members')
    op.drop_table('order_thread_members')
    op.drop_index(op.f('ix_order_threads_citizen_phone'), table_name='order_threads')
    op.drop_table('order_threads')
