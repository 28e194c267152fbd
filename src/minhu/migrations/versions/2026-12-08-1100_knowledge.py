"""knowledge: the knowledge base's articles and versions, the archive of past cases, their search indexes

Revision ID: 8c5e2f7a9d13
Revises: 6f2d9a4c81e7
Create Date: 2026-12-08 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from minhu.knowledge.fulltext import create_index_sql, drop_index_sql

revision: str = '8c5e2f7a9d13'
down_revision: str | None = '6f2d9a4c81e7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = ('knowledge_articles', 'past_cases')


def upgrade() -> None:
    op.create_table('knowledge_articles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('issuing_body', sa.String(length=200), nullable=False),
        sa.Column('document_number', sa.String(length=100), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=True),
        sa.Column('expires_on', sa.Date(), nullable=True),
        sa.Column('category_codes', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
        sa.Column('superseded_by_id', sa.Integer(), nullable=True),
        sa.Column('case_order_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('search_terms', sa.Text(), nullable=False),
        sa.Column('term_count', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_order_id'], ['work_orders.id'], name=op.f('fk_knowledge_articles_case_order_id_work_orders')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_knowledge_articles_created_by_id_users')),
        sa.ForeignKeyConstraint(['superseded_by_id'], ['knowledge_articles.id'], name=op.f('fk_knowledge_articles_superseded_by_id_knowledge_articles')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_knowledge_articles_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_articles'))
        )
    op.create_index('ix_knowledge_articles_kind_state', 'knowledge_articles', ['kind', 'state'], unique=False)
    op.create_table('past_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('external_id', sa.String(length=64), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('reply', sa.Text(), nullable=False),
        sa.Column('category_code', sa.String(length=32), nullable=True),
        sa.Column('resolution', sa.String(length=16), nullable=True),
        sa.Column('satisfaction', sa.String(length=16), nullable=True),
        sa.Column('asked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('search_terms', sa.Text(), nullable=False),
        sa.Column('term_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_past_cases_order_id_work_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_past_cases')),
        sa.UniqueConstraint('order_id', name=op.f('uq_past_cases_order_id')),
        sa.UniqueConstraint('source', 'external_id', name=op.f('uq_past_cases_source_external_id'))
        )
    op.create_table('knowledge_article_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('fields', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('saved_by_id', sa.Integer(), nullable=True),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['knowledge_articles.id'], name=op.f('fk_knowledge_article_versions_article_id_knowledge_articles'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['saved_by_id'], ['users.id'], name=op.f('fk_knowledge_article_versions_saved_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_article_versions')),
        sa.UniqueConstraint('article_id', 'version', name=op.f('uq_knowledge_article_versions_article_id_version'))
        )
    dialect = op.get_bind().dialect.name
    for table in SEARCHED:
        for statement in create_index_sql(table, dialect):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in SEARCHED:
        for statement in drop_index_sql(table, dialect):
            op.execute(statement)
    op.drop_table('knowledge_article_versions')
    op.drop_table('past_cases')
    op.drop_index('ix_knowledge_articles_kind_state', table_name='knowledge_articles')
    op.drop_table('knowledge_articles')
