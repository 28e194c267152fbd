"""The knowledge base (知识库): articles a clerk answers and acts by, their versions, and the archive of past
cases (solved orders and imported ones) that similar-case search reads."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict, UTCDateTime


class ArticleKind(StrEnum):
    LAW = "law"  # 法律法规
    POLICY = "policy"  # 政策文件
    ANSWER = "answer"  # 标准答复（问答）
    DUTY = "duty"  # 部门职责清单
    CASE = "case"  # 指导案例


ARTICLE_KIND_LABELS: dict[ArticleKind, str] = {
    ArticleKind.LAW: "法律法规",
    ArticleKind.POLICY: "政策文件",
    ArticleKind.ANSWER: "标准答复",
    ArticleKind.DUTY: "职责清单",
    ArticleKind.CASE: "指导案例",
}


class ArticleState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


ARTICLE_STATE_LABELS: dict[ArticleState, str] = {
    ArticleState.DRAFT: "草稿",
    ArticleState.PUBLISHED: "已发布",
    ArticleState.WITHDRAWN: "已废止",
}


class Article(Base):
    """One article as it reads now. Every saved change is also kept whole in ``article_versions``.

    ``search_terms`` is the article's text cut into words (jieba) and separated by spaces, the title's twice and
    its character pairs once more: what the full-text index of either database reads (FTS5 on SQLite, a
    ``tsvector`` of the ``simple`` configuration on PostgreSQL), since neither has a Chinese tokenizer."""

    __tablename__ = "knowledge_articles"
    __table_args__ = (Index("ix_knowledge_articles_kind_state", "kind", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ArticleKind] = mapped_column(EnumText(ArticleKind))
    state: Mapped[ArticleState] = mapped_column(EnumText(ArticleState), default=ArticleState.DRAFT)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # A guiding case's summary (what was asked, what settled it), shown above its body and in suggestions.
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(300), default="")  # 来源：文件、网址、条款
    issuing_body: Mapped[str] = mapped_column(String(200), default="")  # 发布机关
    document_number: Mapped[str] = mapped_column(String(100), default="")  # 文号
    effective_from: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)  # the last day it is in force
    # The catalog codes the article serves (a first level serves everything below it).
    category_codes: Mapped[list[str]] = mapped_column(JSONDict, default=list)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_articles.id"))
    case_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))  # the order a case is
    version: Mapped[int] = mapped_column(Integer, default=1)
    search_terms: Mapped[str] = mapped_column(Text, default="")
    term_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ArticleVersion(Base):
    """An article as one save left it: who, when, why, and every field."""

    __tablename__ = "knowledge_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, object]] = mapped_column(JSONDict)
    note: Mapped[str] = mapped_column(String(200), default="")
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseSource(StrEnum):
    ORDER = "order"  # an order of this city, archived with its reply
    IMPORT = "import"  # a message and its official reply imported from a file (another board's archive)


class PastCase(Base):
    """A settled matter similar-case search can offer: what was asked, how it was answered and how the citizen
    judged it. Personal data is masked when the case is written; the order itself is not shown from here."""

    __tablename__ = "past_cases"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[CaseSource] = mapped_column(EnumText(CaseSource))
    external_id: Mapped[str] = mapped_column(String(64))  # the order's number, or the file's message id
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str | None] = mapped_column(String(32))
    resolution: Mapped[str | None] = mapped_column(String(16))
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    search_terms: Mapped[str] = mapped_column(Text, default="")
    term_count: Mapped[int] = mapped_column(Integer, default=0)
