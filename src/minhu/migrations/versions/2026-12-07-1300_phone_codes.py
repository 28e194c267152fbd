"""intake: one-time codes that prove a resident's phone

Revision ID: 7e3c9b1d4a52
Revises: 4b7d2e9a61c3
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7e3c9b1d4a52'
down_revision: str | None = '4b7d2e9a61c3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'phone_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('code_digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_codes')),
    )
    op.create_index('ix_phone_codes_phone', 'phone_codes', ['phone', 'created_at'], unique=False)
    op.create_index('ix_phone_codes_client', 'phone_codes', ['client', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_phone_codes_client', table_name='phone_codes')
    op.drop_index('ix_phone_codes_phone', table_name='phone_codes')
    op.drop_table('phone_codes')
