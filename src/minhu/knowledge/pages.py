"""The knowledge base's pages: search and list, an article with its versions, writing and importing, and the
order page's section of articles and similar cases (loaded after the page, so the page stays quick)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from minhu.core.errors import DomainError, InvalidInput
from minhu.knowledge import permissions, queries, service
from minhu.knowledge.models import (
    ARTICLE_KIND_LABELS,
    ARTICLE_STATE_LABELS,
    Article,
    ArticleKind,
    ArticleState,
    ArticleVersion,
)
from minhu.knowledge.schemas import ArticleCreate, ArticleUpdate, CasePromotion
from minhu.orders import queries as order_queries
from minhu.orders.enums import RESOLUTION_LABELS, SATISFACTION_LABELS, Resolution, Satisfaction
from minhu.orders.models import WorkOrder
from minhu.orders.permissions import visible_clause
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.routing.categories import active_choices, category_paths
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.forms import max_lengths, validated
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
ArticleId = Annotated[int, Path(ge=1, le=2_147_483_647)]
MAX_FILES = 20
LISTED = 30


def _labels() -> dict[str, Any]:
    return {"kind_labels": ARTICLE_KIND_LABELS, "state_labels": ARTICLE_STATE_LABELS,
            "resolution_labels": {r.value: label for r, label in RESOLUTION_LABELS.items()},
            "satisfaction_labels": {s.value: label for s, label in SATISFACTION_LABELS.items()}}


@router.get("/knowledge")
def knowledge_page(request: Request, user: PageUser, db: DB, q: Annotated[str, Query(max_length=5_000)] = "",
                   kind: Annotated[str, Query(max_length=16)] = "",
                   category: Annotated[str, Query(max_length=12)] = "",
                   all: Annotated[str, Query(max_length=2)] = "") -> Response:
    """Search as the clerk types (Chinese words, synonyms, a typo forgiven); without words, the newest."""
    permissions.check_reader(user)
    chosen_kind = ArticleKind(kind) if kind in ArticleKind.__members__.values() else None
    with db.read() as session:
        found = queries.search_articles(session, q.replace("\x00", ""), kind=chosen_kind, category=category or None,
                                        in_force_only=not all, limit=LISTED)
        counts = queries.counts_by_kind(session)
        choices = active_choices(session)
    template = "knowledge/_results.html" if request.headers.get("hx-request") else "knowledge/list.html"
    return render(request, template, user=user, csrf=csrf_token(request), found=found, q=q, kind=kind,
                  category=category, all=all, counts=counts, categories=choices,
                  may_edit=permissions.may_edit(user), flashes=pop_flashes(request), **_labels())


def _form_values(form: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {key: form.get(key, "") for key in ("kind", "title", "body", "summary", "source",
                                                                  "issuing_body", "document_number")}
    for day in ("effective_from", "expires_on"):
        values[day] = form.get(day) or None
    values["category_codes"] = form.get("category_codes", "").replace("，", " ").replace(",", " ").split()
    return values


def _editor(request: Request, user: User, db: DB, *, article: Article | None, form: dict[str, str],
            error: str = "", status_code: int = 200) -> Response:
    with db.read() as session:
        choices = active_choices(session)
    return render(request, "knowledge/edit.html", status_code=status_code, user=user, csrf=csrf_token(request),
                  article=article, form=form, error=error, categories=choices,
                  limits=max_lengths(ArticleCreate)["ArticleCreate"], **_labels())


@router.get("/knowledge/new")
def new_article(request: Request, user: PageUser, db: DB,
                kind: Annotated[str, Query(max_length=16)] = "answer") -> Response:
    permissions.check_editor(user)
    return _editor(request, user, db, article=None, form={"kind": kind, "publish": "on"})


@router.post("/knowledge", dependencies=[CsrfProtected])
async def create_article(request: Request, user: PageUser, db: DB) -> Response:
    permissions.check_editor(user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    values = _form_values(form)
    values["publish"] = form.get("publish") == "on"
    if form.get("supersedes_id"):
        values["supersedes_id"] = form["supersedes_id"]
    try:
        data = validated(ArticleCreate, values, service.FIELD_LABELS)
        with db.transaction() as session:
            article = service.create_article(session, data, actor=user)
            article_id = article.id
    except DomainError as exc:
        if exc.status not in (404, 409, 422):
            raise
        return _editor(request, user, db, article=None, form=form, error=exc.message, status_code=exc.status)
    flash(request, "知识条目已保存" + ("并发布" if data.publish else "为草稿"))
    return RedirectResponse(f"/knowledge/{article_id}", status_code=303)


@router.get("/knowledge/import")
def import_page(request: Request, user: PageUser, db: DB) -> Response:
    permissions.check_editor(user)
    return render(request, "knowledge/import.html", user=user, csrf=csrf_token(request), error="", form={},
                  **_labels())


@router.post("/knowledge/import", dependencies=[CsrfProtected])
async def import_files(request: Request, user: PageUser, db: DB) -> Response:
    """Word and Markdown files, each an article; any bad file refuses the whole import, naming it."""
    permissions.check_editor(user)
    form = await request.form()
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    defaults: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and k in (
        "kind", "source", "issuing_body", "effective_from", "expires_on")}
    if form.get("publish") != "on":
        defaults["publish"] = False
    try:
        if len(uploads) > MAX_FILES:
            raise InvalidInput(f"一次最多导入 {MAX_FILES} 个文件", code="import_invalid")
        files = [(f.filename or "文件", await f.read()) for f in uploads]
        with db.transaction() as session:
            created = service.import_articles(session, files, defaults, actor=user)
            count = len(created)
    except DomainError as exc:
        if exc.status not in (404, 409, 413, 422):
            raise
        return render(request, "knowledge/import.html", status_code=exc.status, user=user, csrf=csrf_token(request),
                      error=exc.message, form=defaults, **_labels())
    flash(request, f"已导入 {count} 个知识条目")
    return RedirectResponse("/knowledge?all=1", status_code=303)


@router.get("/knowledge/{article_id}")
def article_page(request: Request, user: PageUser, db: DB, article_id: ArticleId) -> Response:
    permissions.check_reader(user)
    with db.read() as session:
        article = service.get_article(session, article_id)
        versions = list(session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                                        .order_by(ArticleVersion.version.desc())))
        paths = category_paths(session)
        replaced_by = session.get(Article, article.superseded_by_id) if article.superseded_by_id else None
        replaces = list(session.scalars(select(Article).where(Article.superseded_by_id == article.id)))
        case_number = None
        if article.case_order_id is not None:  # named only to those who may see the order
            case_number = session.scalar(select(WorkOrder.number).where(WorkOrder.id == article.case_order_id,
                                                                        visible_clause(user)))
    return render(request, "knowledge/article.html", user=user, csrf=csrf_token(request), article=article,
                  standing=service.standing(article), versions=versions, paths=paths, replaced_by=replaced_by,
                  replaces=replaces, case_number=case_number, may_edit=permissions.may_edit(user),
                  flashes=pop_flashes(request), **_labels())


@router.get("/knowledge/{article_id}/edit")
def edit_article(request: Request, user: PageUser, db: DB, article_id: ArticleId) -> Response:
    permissions.check_editor(user)
    with db.read() as session:
        article = service.get_article(session, article_id)
    form = {name: getattr(article, name) or "" for name in ("kind", "title", "body", "summary", "source",
                                                            "issuing_body", "document_number")}
    form["kind"] = article.kind.value
    form["effective_from"] = article.effective_from.isoformat() if article.effective_from else ""
    form["expires_on"] = article.expires_on.isoformat() if article.expires_on else ""
    form["category_codes"] = " ".join(article.category_codes or [])
    return _editor(request, user, db, article=article, form=form)


@router.post("/knowledge/{article_id}", dependencies=[CsrfProtected])
async def update_article(request: Request, user: PageUser, db: DB, article_id: ArticleId) -> Response:
    permissions.check_editor(user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    values = _form_values(form)
    values["note"] = form.get("note", "")
    try:
        data = validated(ArticleUpdate, values, service.FIELD_LABELS)
        with db.transaction() as session:
            article = service.update_article(session, article_id, data, actor=user)
            version = article.version
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        with db.read() as session:
            article = service.get_article(session, article_id)
        return _editor(request, user, db, article=article, form=form, error=exc.message, status_code=exc.status)
    flash(request, f"已保存为第 {version} 版")
    return RedirectResponse(f"/knowledge/{article_id}", status_code=303)


@router.post("/knowledge/{article_id}/state", dependencies=[CsrfProtected])
async def change_state(request: Request, user: PageUser, db: DB, article_id: ArticleId) -> Response:
    permissions.check_editor(user)
    wanted = str((await request.form()).get("state", ""))
    if wanted not in ArticleState.__members__.values():
        raise InvalidInput("请选择发布、废止或退回草稿", details=[{"field": "state", "message": "取值无效"}])
    with db.transaction() as session:
        service.set_state(session, article_id, ArticleState(wanted), actor=user)
    flash(request, f"条目已{ {'published': '发布', 'withdrawn': '废止', 'draft': '退回草稿'}[wanted] }")
    return RedirectResponse(f"/knowledge/{article_id}", status_code=303)


@router.get("/orders/{number}/knowledge")
def order_knowledge(request: Request, user: PageUser, db: DB,
                    number: Annotated[str, Path(max_length=32)]) -> Response:
    """The order page's section: the articles in force the order calls for, the settled cases most like it,
    and for an editor on a well-solved order the step that makes it a guiding case."""
    permissions.check_reader(user)
    with db.read() as session:
        order = order_queries.get_visible(session, number, viewer=user)
        articles = queries.suggest_for(session, title=order.title, content=order.content,
                                       category_code=order.category_code, prefer=queries.kind_for(order.type))
        cases = queries.similar_cases(session, order, viewer=user)
        existing_case = session.scalar(select(Article.id).where(Article.case_order_id == order.id,
                                                                Article.state != ArticleState.WITHDRAWN))
    promotable = (permissions.may_edit(user) and existing_case is None and order.resolution is Resolution.RESOLVED
                  and order.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASICALLY)
                  and service.is_past_case(order))
    return render(request, "knowledge/_order_section.html", user=user, csrf=csrf_token(request), order=order,
                  articles=articles, cases=cases, existing_case=existing_case, promotable=promotable, **_labels())


@router.post("/orders/{number}/guiding-case", dependencies=[CsrfProtected])
async def promote_case(request: Request, user: PageUser, db: DB,
                       number: Annotated[str, Path(max_length=32)]) -> Response:
    permissions.check_editor(user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        data = validated(CasePromotion, {"summary": form.get("summary", ""), "title": form.get("title", "")},
                         {"summary": "案例摘要", "title": "标题"})
        with db.transaction() as session:
            order = order_queries.get_for_update(session, number, viewer=user)  # one promotion at a time
            article = service.promote_case(session, order, data, actor=user)
            article_id = article.id
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        flash(request, exc.message, "error")
        return RedirectResponse(f"/orders/{number}", status_code=303)
    flash(request, f"工单 {number} 已设为指导案例")
    return RedirectResponse(f"/knowledge/{article_id}", status_code=303)
