"""JSON routes of the knowledge base: search, articles, and an order's articles and similar cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.knowledge import permissions, queries, service
from minhu.knowledge.models import ARTICLE_KIND_LABELS, Article, ArticleKind
from minhu.knowledge.schemas import (
    ArticleCreate,
    ArticleHit,
    ArticleRead,
    ArticleSearchPage,
    ArticleUpdate,
    CasePromotion,
    OrderKnowledge,
    SimilarCase,
)
from minhu.orders import queries as order_queries
from minhu.orders.models import WorkOrder
from minhu.orders.permissions import visible_clause
from minhu.org.auth import ApiUser
from minhu.org.models import User
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["知识库"], route_class=FormRoute)
ArticleId = Annotated[int, Path(ge=1, le=2_147_483_647)]
OrderNumber = Annotated[str, Path(max_length=32)]


def _hit(found: queries.FoundArticle) -> ArticleHit:
    a = found.article
    return ArticleHit(id=a.id, kind=a.kind, kind_label=ARTICLE_KIND_LABELS[a.kind], title=a.title,
                      standing=found.standing, in_force=found.standing == "有效", snippet=found.snippet,
                      score=found.score)


def _read(article: Article, case_number: str | None) -> ArticleRead:
    standing = service.standing(article)
    return ArticleRead(id=article.id, kind=article.kind, kind_label=ARTICLE_KIND_LABELS[article.kind],
                       state=article.state, standing=standing, in_force=standing == "有效", title=article.title,
                       summary=article.summary, body=article.body, source=article.source,
                       issuing_body=article.issuing_body, document_number=article.document_number,
                       effective_from=article.effective_from, expires_on=article.expires_on,
                       category_codes=list(article.category_codes or []), superseded_by_id=article.superseded_by_id,
                       case_order_number=case_number, version=article.version, updated_at=article.updated_at)


def _case_number(session: Session, article: Article, viewer: User) -> str | None:
    """The number of the order a guiding case was made of, for a viewer who may see that order."""
    if article.case_order_id is None:
        return None
    return session.scalar(select(WorkOrder.number).where(WorkOrder.id == article.case_order_id,
                                                         visible_clause(viewer)))


@router.get("/knowledge/search", response_model=ArticleSearchPage, responses=ERRORS(401, 403, 422))
def search(user: ApiUser, db: DB, q: Annotated[str, Query(max_length=5_000, description="要查的事，中文按词检索")] = "",
           kind: ArticleKind | None = None,
           category: Annotated[str | None, Query(pattern=r"^\d{2,12}$", description="适用的分类代码")] = None,
           include_all: Annotated[bool, Query(alias="all", description="含已失效、被替代、废止和草稿")] = False,
           limit: Annotated[int, Query(ge=1, le=100)] = 20) -> ArticleSearchPage:
    """Articles that best answer ``q`` (synonyms and a typo forgiven); only those in force unless ``all``."""
    permissions.check_reader(user)
    with db.read() as session:
        found = queries.search_articles(session, q.replace("\x00", ""), kind=kind, category=category,
                                        in_force_only=not include_all, limit=limit)
    return ArticleSearchPage(query=q, total=len(found), items=[_hit(f) for f in found])


@router.get("/knowledge/articles/{article_id}", response_model=ArticleRead, responses=ERRORS(401, 403, 404, 422))
def get_article(article_id: ArticleId, user: ApiUser, db: DB) -> ArticleRead:
    permissions.check_reader(user)
    with db.read() as session:
        article = service.get_article(session, article_id)
        return _read(article, _case_number(session, article, user))


@router.post("/knowledge/articles", response_model=ArticleRead, status_code=201,
             responses=ERRORS(401, 403, 404, 409, 422))
def create_article(body: ArticleCreate, user: ApiUser, db: DB) -> ArticleRead:
    """A new article (published unless ``publish`` is false); ``supersedes_id`` marks the one it replaces."""
    with db.transaction() as session:
        return _read(service.create_article(session, body, actor=user), None)


@router.put("/knowledge/articles/{article_id}", response_model=ArticleRead, responses=ERRORS(401, 403, 404, 409, 422))
def update_article(article_id: ArticleId, body: ArticleUpdate, user: ApiUser, db: DB) -> ArticleRead:
    """The article as edited, kept as its next version."""
    with db.transaction() as session:
        article = service.update_article(session, article_id, body, actor=user)
        return _read(article, _case_number(session, article, user))


@router.get("/orders/{number}/knowledge", response_model=OrderKnowledge, responses=ERRORS(401, 403, 404, 422))
def order_knowledge(number: OrderNumber, user: ApiUser, db: DB) -> OrderKnowledge:
    """The articles in force the order calls for, and the five settled cases most like it."""
    permissions.check_reader(user)
    with db.read() as session:
        order = order_queries.get_visible(session, number, viewer=user)
        articles = queries.suggest_for(session, title=order.title, content=order.content,
                                       category_code=order.category_code, prefer=queries.kind_for(order.type))
        cases = queries.similar_cases(session, order, viewer=user)
    return OrderKnowledge(articles=[_hit(f) for f in articles], similar_cases=[
        SimilarCase(source=f.case.source.value, number=f.number, title=f.case.title, content=f.case.content,
                    reply=f.case.reply, resolution=f.case.resolution, satisfaction=f.case.satisfaction,
                    closed_at=f.case.closed_at, score=f.score) for f in cases])


@router.post("/orders/{number}/guiding-case", response_model=ArticleRead, status_code=201,
             responses=ERRORS(401, 403, 404, 409, 422))
def promote_case(number: OrderNumber, body: CasePromotion, user: ApiUser, db: DB) -> ArticleRead:
    """Make a solved order, rated satisfied, a guiding case (指导案例) with the summary given."""
    with db.transaction() as session:
        order = order_queries.get_for_update(session, number, viewer=user)  # one promotion at a time
        return _read(service.promote_case(session, order, body, actor=user), order.number)
