"""Writing the knowledge base: articles and their versions, superseding, guiding cases promoted from solved
orders, and the archive of past cases similar-case search reads.

Every save of an article keeps the whole article as a new version, so what a clerk answered by last spring can
be read as it stood then. Services flush; the caller commits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.board.masking import mask
from minhu.core import clock
from minhu.core.errors import Conflict, InvalidInput, NotFound, field_error
from minhu.knowledge import permissions
from minhu.knowledge.imports import ReadArticle, read_file
from minhu.knowledge.models import (
    ARTICLE_KIND_LABELS,
    Article,
    ArticleKind,
    ArticleState,
    ArticleVersion,
    CaseSource,
    PastCase,
)
from minhu.knowledge.schemas import ArticleCreate, ArticleUpdate, CasePromotion
from minhu.knowledge.terms import document_terms
from minhu.orders.enums import Resolution, Satisfaction
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status
from minhu.org.models import User
from minhu.routing.categories import find_category
from minhu.web.errors import validation_details

# What makes an order a case worth following: solved, and its citizen said so (or could not be asked).
WELL_SOLVED = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY})
FIELDS = ("kind", "title", "body", "summary", "source", "issuing_body", "document_number", "effective_from",
          "expires_on", "category_codes")


def today() -> date:
    return clock.city_now().date()


def standing(article: Article, on: date | None = None) -> str:
    """Where the article stands on ``on`` (today): 有效, 未生效, 已失效, 已被替代, 草稿 or 已废止."""
    on = on or today()
    if article.state is ArticleState.DRAFT:
        return "草稿"
    if article.state is ArticleState.WITHDRAWN:
        return "已废止"
    if article.superseded_by_id is not None:
        return "已被替代"
    if article.effective_from is not None and article.effective_from > on:
        return "未生效"
    if article.expires_on is not None and article.expires_on < on:
        return "已失效"
    return "有效"


def index_article(article: Article) -> None:
    """Cut the article into the words search reads (after any change of its text)."""
    terms = document_terms(article.title, article.summary, article.body, article.issuing_body,
                           article.document_number)
    article.search_terms = " ".join(terms)
    article.term_count = len(terms)


def _check_categories(session: Session, codes: list[str]) -> list[str]:
    kept: list[str] = []
    for index, code in enumerate(codes):
        if find_category(session, code) is None:
            raise field_error(f"category_codes.{index}", f"分类代码 {code} 不存在")
        if code not in kept:
            kept.append(code)
    return kept


def _snapshot(article: Article) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(article, name)
        values[name] = value.isoformat() if isinstance(value, date) else (
            value.value if isinstance(value, ArticleKind) else value)
    values["state"] = article.state.value
    return values


def _keep_version(session: Session, article: Article, actor: User | None, note: str, at: datetime) -> None:
    session.add(ArticleVersion(article_id=article.id, version=article.version, fields=_snapshot(article),
                               note=note[:200], saved_by_id=actor.id if actor else None, saved_at=at))


def get_article(session: Session, article_id: int, *, for_update: bool = False) -> Article:
    """The article; ``for_update`` locks its row, so two editors saving at once make versions one after the
    other."""
    article = session.get(Article, article_id, with_for_update=for_update)
    if article is None:
        raise NotFound(f"知识条目 {article_id} 不存在", code="article_not_found")
    return article


def create_article(session: Session, data: ArticleCreate, *, actor: User | None, case_order: WorkOrder | None = None,
                   note: str = "新建") -> Article:
    """A new article (published unless ``data.publish`` is false); with ``supersedes_id`` the article it replaces
    is marked superseded in the same transaction, and is never suggested again."""
    if actor is not None:
        permissions.check_editor(actor)
    if data.supersedes_id is not None and not data.publish:
        # A draft would take the article it replaces out of service before anyone approved the new one.
        raise field_error("supersedes_id", "草稿不能替代现行条目：请勾选“立即发布”，或先存草稿、发布后再替代")
    at = clock.now()
    values = data.model_dump(include=set(FIELDS))
    values["category_codes"] = _check_categories(session, data.category_codes)
    article = Article(**values, state=ArticleState.PUBLISHED if data.publish else ArticleState.DRAFT, version=1,
                      case_order_id=case_order.id if case_order else None,
                      created_by_id=actor.id if actor else None, created_at=at,
                      updated_by_id=actor.id if actor else None, updated_at=at)
    index_article(article)
    session.add(article)
    session.flush()
    _keep_version(session, article, actor, note, at)
    if data.supersedes_id is not None:
        supersede(session, data.supersedes_id, by=article, actor=actor)
    return article


def update_article(session: Session, article_id: int, data: ArticleUpdate, *, actor: User) -> Article:
    """The article as edited, as its next version (nothing changed: no new version)."""
    permissions.check_editor(actor)
    article = get_article(session, article_id, for_update=True)
    values = data.model_dump(include=set(FIELDS))
    values["category_codes"] = _check_categories(session, data.category_codes)
    if all(getattr(article, name) == value for name, value in values.items()):
        return article
    for name, value in values.items():
        setattr(article, name, value)
    index_article(article)
    return _next_version(session, article, actor, data.note or "修改")


def _next_version(session: Session, article: Article, actor: User | None, note: str) -> Article:
    at = clock.now()
    article.version += 1
    article.updated_at = at
    article.updated_by_id = actor.id if actor else None
    session.flush()
    _keep_version(session, article, actor, note, at)
    return article


def set_state(session: Session, article_id: int, state: ArticleState, *, actor: User) -> Article:
    """Publish a draft, withdraw (废止) an article, or restore a withdrawn one."""
    permissions.check_editor(actor)
    article = get_article(session, article_id, for_update=True)
    if article.state is state:
        return article
    article.state = state
    notes = {ArticleState.PUBLISHED: "发布", ArticleState.WITHDRAWN: "废止", ArticleState.DRAFT: "退回草稿"}
    return _next_version(session, article, actor, notes[state])


def supersede(session: Session, old_id: int, *, by: Article, actor: User | None) -> Article:
    """Mark ``old_id`` as replaced by ``by`` (a new regulation, a revised standard answer)."""
    old = get_article(session, old_id, for_update=True)
    if old.id == by.id:
        raise field_error("supersedes_id", "条目不能替代它自己")
    if old.superseded_by_id is not None:
        raise Conflict(f"条目 {old.id} 已被条目 {old.superseded_by_id} 替代", code="already_superseded")
    old.superseded_by_id = by.id
    return _next_version(session, old, actor, f"被条目 {by.id} 替代")


def promote_case(session: Session, order: WorkOrder, data: CasePromotion, *, actor: User) -> Article:
    """A well-solved order made a guiding case (指导案例) in one step: the summary the editor writes, the matter as
    the citizen put it (personal data masked) and how it was settled, under the order's category."""
    permissions.check_editor(actor)
    if order.status not in (Status.CALLED_BACK, Status.ARCHIVED) or order.resolution is not Resolution.RESOLVED:
        raise Conflict("只有已解决并完成回访的工单可以设为指导案例", code="case_not_solved")
    if order.satisfaction not in WELL_SOLVED:
        raise Conflict("市民评价为满意或基本满意的工单才能设为指导案例", code="case_not_satisfied")
    if order.confidential:
        raise Conflict("要求保密的工单不能设为指导案例", code="case_confidential")
    existing = session.scalar(select(Article.id).where(Article.case_order_id == order.id,
                                                       Article.state != ArticleState.WITHDRAWN))
    if existing is not None:
        raise Conflict(f"工单 {order.number} 已是指导案例（条目 {existing}）", code="case_exists")
    data_in = ArticleCreate(kind=ArticleKind.CASE, title=data.title or masked(order.title, name=order.citizen_name),
                            body=case_body(order), summary=data.summary, source="本区已办结工单",
                            issuing_body=order.owner_unit.name,
                            category_codes=[order.category_code] if order.category_code else [])
    return create_article(session, data_in, actor=actor, case_order=order, note=f"由工单 {order.number} 设为指导案例")


def case_body(order: WorkOrder) -> str:
    """A guiding case's text: the matter as the citizen put it and how it was settled, personal data masked."""
    name = order.citizen_name
    return (f"【诉求】{masked(order.content, name=name)}\n\n【办理与答复】{masked(order.reply_text, name=name)}\n\n"
            f"【承办单位】{order.owner_unit.name}")


def forget_citizen_in_cases(session: Session, order: WorkOrder, *, name: str | None) -> None:
    """After ``order`` was anonymised: its guiding case, and every version kept of it, masks the citizen's name
    too, and its past case is written again from the anonymised words."""
    remember_order(session, order)
    for article in session.scalars(select(Article).where(Article.case_order_id == order.id)):
        article.title = masked(article.title, name=name)[:200]
        article.body = masked(article.body, name=name)
        article.summary = masked(article.summary, name=name)
        index_article(article)
        for version in session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)):
            version.fields = {**version.fields, **{key: masked(str(version.fields.get(key) or ""), name=name)
                                                   for key in ("title", "body", "summary")}}
    session.flush()


# --- the archive of past cases -----------------------------------------------------------------------------

def index_case(case: PastCase) -> None:
    """Cut the case into the words similar-case search reads."""
    terms = document_terms(case.title, case.content)
    case.search_terms = " ".join(terms)
    case.term_count = len(terms)


def is_past_case(order: WorkOrder) -> bool:
    """An order that is a settled matter of its own: called back or archived with its reply, not a report joined
    to another (that one's matter is the main order's), and not confidential (its words are for its handlers
    only)."""
    return order.status in (Status.CALLED_BACK, Status.ARCHIVED) and bool(order.reply_text) \
        and order.duplicate_of_id is None and not order.confidential


def masked(text: str | None, *, name: str | None) -> str:
    """``text`` as a case may show it to anyone who handles orders: phone, ID and plate numbers and door numbers
    masked (``board.masking``), and the citizen's own name (王小红 → 王**)."""
    out = mask(text or "").text
    name = (name or "").strip()
    if len(name) >= 2:
        out = out.replace(name, name[0] + "*" * (len(name) - 1))
    return out


def remember_order(session: Session, order: WorkOrder) -> PastCase | None:
    """Write (or refresh) the past case of a settled order; an order that is not one (any more: reopened,
    merged, made confidential) has none, and its old case goes."""
    case = session.scalar(select(PastCase).where(PastCase.order_id == order.id))
    if not is_past_case(order):
        if case is not None:
            session.delete(case)
            session.flush()
        return None
    if case is None:
        case = PastCase(source=CaseSource.ORDER, external_id=order.number, order_id=order.id)
        session.add(case)
    name = order.citizen_name
    case.title = masked(order.title, name=name)[:200]
    case.content = masked(order.content, name=name)
    case.reply = masked(order.reply_text, name=name)
    case.category_code = order.category_code
    case.resolution = order.resolution.value if order.resolution else None
    case.satisfaction = order.satisfaction.value if order.satisfaction else None
    case.asked_at = order.created_at
    case.closed_at = order.closed_at or order.replied_at
    index_case(case)
    session.flush()
    return case


def remember_imported(session: Session, *, external_id: str, title: str, content: str, reply: str,
                      asked_at: datetime | None, closed_at: datetime | None) -> bool:
    """Add one message and its official reply from another archive; False when that id is already there."""
    exists = session.scalar(select(PastCase.id).where(PastCase.source == CaseSource.IMPORT,
                                                      PastCase.external_id == external_id))
    if exists is not None:
        return False
    case = PastCase(source=CaseSource.IMPORT, external_id=external_id, title=mask(title).text[:200],
                    content=mask(content).text, reply=mask(reply).text, asked_at=asked_at, closed_at=closed_at)
    index_case(case)
    session.add(case)
    return True


# --- importing files ---------------------------------------------------------------------------------------

KIND_BY_NAME = {**{kind.value: kind for kind in ArticleKind},
                **{label: kind for kind, label in ARTICLE_KIND_LABELS.items()}}


def article_from_file(read: ReadArticle, defaults: dict[str, Any]) -> ArticleCreate:
    """The article a read file makes: its own front matter first, then ``defaults`` (the importer's choices).
    Raises InvalidInput naming the file and the field."""
    values: dict[str, Any] = {key: value for key, value in defaults.items() if value not in (None, "")}
    own = dict(read.fields)
    if "kind" in own:
        kind = KIND_BY_NAME.get(own.pop("kind").strip())
        if kind is None:
            raise field_error("kind", f"{read.filename}：类别应为{'、'.join(ARTICLE_KIND_LABELS.values())}之一")
        values["kind"] = kind
    if "categories" in own:
        values["category_codes"] = own.pop("categories").replace("，", " ").replace(",", " ").split()
    values.update({key: value for key, value in own.items() if value})
    values.update(title=read.title, body=read.body)
    values.setdefault("kind", ArticleKind.POLICY)
    try:
        return ArticleCreate.model_validate(values)
    except ValidationError as exc:
        details = validation_details(exc.errors())
        message = "；".join(f"{FIELD_LABELS.get(d['field'], d['field'])}：{d['message']}" for d in details)
        raise InvalidInput(f"{read.filename}：{message}", details=details, code="import_invalid") from exc


def import_articles(session: Session, files: list[tuple[str, bytes]], defaults: dict[str, Any], *,
                    actor: User | None) -> list[Article]:
    """Every file read and checked first; any problem refuses the whole import (naming the file), so nothing
    is half imported. Then one article per file."""
    if actor is not None:
        permissions.check_editor(actor)
    if not files:
        raise field_error("file", "请选择要导入的文件")
    articles = [(name, article_from_file(read_file(name, raw), defaults)) for name, raw in files]
    made = []
    for name, data in articles:
        try:
            made.append(create_article(session, data, actor=actor, note="从文件导入"))
        except InvalidInput as exc:  # an unknown category, a draft that would supersede: named with its file
            raise InvalidInput(f"{name}：{exc.message}", details=exc.details, code="import_invalid") from exc
    return made


FIELD_LABELS = {"kind": "类别", "title": "标题", "body": "正文", "summary": "摘要", "source": "来源",
                "issuing_body": "发布机关", "document_number": "文号", "effective_from": "生效日期",
                "expires_on": "失效日期", "category_codes": "适用分类", "supersedes_id": "替代条目"}


def remember_settled_orders(session: Session) -> int:
    """Write the past case of every settled order that has none (after a load that moved orders without the
    signals, or on a database older than the archive). Returns how many were written."""
    known = select(PastCase.order_id).where(PastCase.order_id.is_not(None))
    orders = session.scalars(select(WorkOrder).where(WorkOrder.status.in_([Status.CALLED_BACK, Status.ARCHIVED]),
                                                     WorkOrder.id.not_in(known)).order_by(WorkOrder.id))
    return sum(1 for order in orders if remember_order(session, order) is not None)
