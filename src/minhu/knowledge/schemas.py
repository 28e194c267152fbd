"""What a client sends to the knowledge base and what it gets back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from minhu.core.schemas import InputModel
from minhu.core.text import StorableText
from minhu.knowledge.models import ArticleKind, ArticleState

CategoryCode = Annotated[str, Field(pattern=r"^\d{2,12}$", max_length=12)]


class ArticleFields(InputModel):
    """An article as its editor writes it (a page's form or the API's body)."""

    kind: ArticleKind
    title: Annotated[StorableText, Field(min_length=1, max_length=200)]
    body: Annotated[StorableText, Field(min_length=1, max_length=200_000)]
    summary: Annotated[StorableText, Field(max_length=2_000)] = ""
    source: Annotated[StorableText, Field(max_length=300)] = ""
    issuing_body: Annotated[StorableText, Field(max_length=200)] = ""
    document_number: Annotated[StorableText, Field(max_length=100)] = ""
    effective_from: date | None = None
    expires_on: date | None = None
    category_codes: list[CategoryCode] = Field(default_factory=list, max_length=500)  # a duty list spans many

    @model_validator(mode="after")
    def _in_force_after_it_begins(self) -> ArticleFields:
        if self.effective_from and self.expires_on and self.expires_on < self.effective_from:
            raise ValueError("失效日期不能早于生效日期")
        return self


class ArticleCreate(ArticleFields):
    publish: bool = True
    supersedes_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class ArticleUpdate(ArticleFields):
    note: Annotated[StorableText, Field(max_length=200)] = ""


class CasePromotion(InputModel):
    summary: Annotated[StorableText, Field(min_length=5, max_length=2_000)]
    title: Annotated[StorableText, Field(max_length=200)] = ""


class ArticleRead(BaseModel):
    id: int
    kind: ArticleKind
    kind_label: str
    state: ArticleState
    standing: str  # 有效 / 未生效 / 已失效 / 已被替代 / 草稿 / 已废止
    in_force: bool
    title: str
    summary: str
    body: str
    source: str
    issuing_body: str
    document_number: str
    effective_from: date | None
    expires_on: date | None
    category_codes: list[str]
    superseded_by_id: int | None
    case_order_number: str | None
    version: int
    updated_at: datetime


class ArticleHit(BaseModel):
    id: int
    kind: ArticleKind
    kind_label: str
    title: str
    standing: str
    in_force: bool
    snippet: str  # plain text around the first place a searched word occurs
    score: float


class ArticleSearchPage(BaseModel):
    query: str
    total: int
    items: list[ArticleHit]


class SimilarCase(BaseModel):
    source: str
    number: str | None  # the order's number when the case is an order of this city
    title: str
    content: str
    reply: str
    resolution: str | None
    satisfaction: str | None
    closed_at: datetime | None
    score: float


class OrderKnowledge(BaseModel):
    articles: list[ArticleHit]
    similar_cases: list[SimilarCase]
