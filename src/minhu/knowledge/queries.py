"""Reading the knowledge base: search as a clerk types it, the articles an order calls for, and the settled
cases most like it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from minhu.core.words import runs
from minhu.knowledge import fulltext
from minhu.knowledge.models import Article, ArticleKind, ArticleState, PastCase
from minhu.knowledge.service import standing, today
from minhu.knowledge.terms import Query, query_of, words
from minhu.orders.enums import OrderType
from minhu.orders.models import WorkOrder
from minhu.orders.permissions import visible_clause
from minhu.org.models import User
from minhu.routing.categories import category_paths

# What a search reads at most: a pasted page is enough to find its articles.
MAX_SEARCH_CHARS = 5_000
SUGGESTED = 5
SIMILAR = 5
SNIPPET_CHARS = 60
# An article that serves the order's category ranks as if it matched this much better.
CATEGORY_BONUS = 1.5
# And one of the kind the order calls for (a standard answer for a consultation) as if this much better.
KIND_BONUS = 1.5


@dataclass(frozen=True)
class FoundArticle:
    article: Article
    score: float
    standing: str
    snippet: str
    snippet_html: Markup


@dataclass(frozen=True)
class FoundCase:
    case: PastCase
    number: str | None
    score: float


def in_force(on: date) -> list[ColumnElement[bool]]:
    """Published, not superseded, begun and not expired on ``on``: what may be suggested."""
    return [Article.state == ArticleState.PUBLISHED, Article.superseded_by_id.is_(None),
            or_(Article.effective_from.is_(None), Article.effective_from <= on),
            or_(Article.expires_on.is_(None), Article.expires_on >= on)]


def serves(article: Article, category_code: str | None) -> bool:
    """Whether the article serves ``category_code`` (an article of a first level serves all below it)."""
    return bool(category_code) and any(category_code.startswith(code) for code in article.category_codes or [])  # type: ignore[union-attr]


def _snippet(body: str, query: Query) -> tuple[str, Markup]:
    """Some sixty characters of ``body`` around the first place one of the searched words occurs, as plain text
    and with the words marked."""
    flat = " ".join(body.split())
    lowered = flat.lower()
    words = sorted((t for t in query.weights if len(t) > 1), key=lambda t: -query.weights[t])
    at = min((i for i in (lowered.find(w) for w in words) if i >= 0), default=0)
    start = max(0, at - SNIPPET_CHARS // 3)
    piece = flat[start:start + SNIPPET_CHARS]
    text = ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(flat) else "")
    if not words:
        return text, Markup(escape(text))
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    parts: list[str] = []
    last = 0
    for found in pattern.finditer(text):
        parts.append(str(escape(text[last:found.start()])))
        parts.append(f"<mark>{escape(found.group())}</mark>")
        last = found.end()
    parts.append(str(escape(text[last:])))
    return text, Markup("".join(parts))


def _found(article: Article, score: float, query: Query, on: date) -> FoundArticle:
    snippet, html = _snippet(article.summary or article.body, query) if query else _snippet(article.body, query)
    return FoundArticle(article, score, standing(article, on), snippet, html)


def search_articles(session: Session, text: str, *, kind: ArticleKind | None = None, category: str | None = None,
                    in_force_only: bool = False, limit: int = 20) -> list[FoundArticle]:
    """The articles that best answer ``text`` (all of them, newest first, when ``text`` is empty), of ``kind``
    and serving ``category`` when given."""
    on = today()
    where: list[ColumnElement[bool]] = list(in_force(on)) if in_force_only else []
    if kind is not None:
        where.append(Article.kind == kind)
    text = text[:MAX_SEARCH_CHARS]
    query = query_of(text)
    if not query:
        return _listed(session, text, where, category, limit, on)
    # A category filter reads the article's list of categories, so it looks at more to keep ``limit``.
    hits = fulltext.search(session, Article.__table__, query, where=where,
                           limit=fulltext.CANDIDATES if category else limit)
    articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_([h.id for h in hits])))}
    kept = [h for h in hits if category is None or serves(articles[h.id], category)][:limit]
    return [_found(articles[h.id], h.score, query, on) for h in kept]


def _listed(session: Session, text: str, where: list[ColumnElement[bool]], category: str | None, limit: int,
            on: date) -> list[FoundArticle]:
    """No word to search by (nothing typed, or one character): the articles whose title or text holds what was
    typed, newest first."""
    typed = "".join(runs(text))
    if typed:
        like = f"%{typed}%"
        where = [*where, or_(Article.title.like(like), Article.body.like(like))]
    statement = select(Article).where(and_(true(), *where)).order_by(Article.updated_at.desc(),
                                                                                  Article.id.desc())
    rows = session.scalars(statement.limit(limit * 5 if category else limit)).all()
    query = Query({typed: 1.0}) if typed else Query({})
    return [_found(a, 0.0, query, on) for a in rows if category is None or serves(a, category)][:limit]


def suggest_for(session: Session, *, title: str, content: str, category_code: str | None,
                prefer: ArticleKind | None = None, limit: int = SUGGESTED) -> list[FoundArticle]:
    """The articles in force an order (or a call being typed) calls for: its words, its category's name, and a
    bonus for the articles that serve its category and for those of the kind ``prefer`` (a consultation is
    answered from a standard answer before a duty list). Never one expired, superseded, withdrawn or a draft."""
    on = today()
    extra: list[str] = []
    if category_code:
        extra = words(category_paths(session).get(category_code, ""))
    query = query_of(f"{title} {content}"[:MAX_SEARCH_CHARS], extra=extra)
    if not query:
        return []
    hits = fulltext.search(session, Article.__table__, query, where=in_force(on), limit=fulltext.CANDIDATES)
    articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_([h.id for h in hits])))}
    def weighed(hit: fulltext.Hit) -> float:
        article = articles[hit.id]
        return hit.score * (CATEGORY_BONUS if serves(article, category_code) else 1.0) \
            * (KIND_BONUS if article.kind is prefer else 1.0)

    ranked = sorted(((weighed(h), h.id) for h in hits), key=lambda pair: (-pair[0], pair[1]))
    return [_found(articles[i], score, query, on) for score, i in ranked[:limit]]


def kind_for(order_type: OrderType) -> ArticleKind | None:
    """The kind of article an order of ``order_type`` is answered from first: a consultation, a standard answer."""
    return ArticleKind.ANSWER if order_type is OrderType.CONSULTATION else None


def similar_cases(session: Session, order: WorkOrder, *, viewer: User | None = None,
                  limit: int = SIMILAR) -> list[FoundCase]:
    """The settled cases most like ``order`` (its own left out), best first. A case is shown to anyone who reads
    the order (its words are masked: that is what cases are for), but its order's number only to a ``viewer``
    who may see that order."""
    query = query_of(f"{order.title} {order.content}"[:MAX_SEARCH_CHARS])
    own = list(session.scalars(select(PastCase.id).where(PastCase.order_id == order.id)))
    hits = fulltext.search(session, PastCase.__table__, query, limit=limit, exclude=own)
    if not hits:
        return []
    number = WorkOrder.number if viewer is None else case((visible_clause(viewer), WorkOrder.number), else_=None)
    rows = session.execute(select(PastCase, number).outerjoin(WorkOrder, WorkOrder.id == PastCase.order_id)
                           .where(PastCase.id.in_([h.id for h in hits]))).all()
    by_id = {past.id: (past, number) for past, number in rows}
    return [FoundCase(by_id[h.id][0], by_id[h.id][1], h.score) for h in hits]


def counts_by_kind(session: Session) -> dict[ArticleKind, int]:
    counts: dict[ArticleKind, int] = {}
    for kind, count in session.execute(select(Article.kind, func.count()).group_by(Article.kind)):
        counts[kind] = count
    return counts
