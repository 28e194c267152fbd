"""The console's pages of the catalog (administrators) and of the streets' item lists (administrators edit,
dispatchers read). The matrix's pages are in ``matrix_pages`` and served by the same router.

A form that does not pass is shown again with its fields and the reason, and nothing is written; one that
passes redirects to the page it changed, with a message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from minhu.core.db import Database
from minhu.core.errors import InvalidInput
from minhu.core.types import MAX_ROW_ID
from minhu.org.auth import CsrfProtected, PageUser
from minhu.org.models import User
from minhu.routing import catalog as catalog_files
from minhu.routing import categories, forms, matrix_pages, permissions, views
from minhu.routing.console import done, form_of, page, trouble, write
from minhu.routing.schemas import CATEGORY_CODE, VIEW_CODE
from minhu.web.deps import DB
from minhu.web.flash import flash
from minhu.web.formdata import FormRoute
from minhu.web.forms import BOOL_TRUE

router = APIRouter(include_in_schema=False, route_class=FormRoute)

Code = Annotated[str, Path(pattern=CATEGORY_CODE)]
ViewCode = Annotated[str, Path(pattern=VIEW_CODE)]
ItemId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
# --- the catalog -------------------------------------------------------------------------------------


def _catalog(request: Request, user: User, db: Database, status_code: int = 200, **context: Any) -> Response:
    with db.read() as session:
        tree = categories.category_tree(session)
    return page(request, "routing/catalog.html", user, status_code, tree=tree, **context)


@router.get("/admin/catalog")
def catalog_page(request: Request, user: PageUser, db: DB) -> Response:
    permissions.ensure_editor(user)
    return _catalog(request, user, db, form={}, errors={})


@router.get("/admin/catalog/export")
def export_catalog(user: PageUser, db: DB) -> Response:
    """The active catalog as ``minhu catalog export`` writes it, to commit and compare."""
    permissions.ensure_editor(user)
    with db.read() as session:
        text = catalog_files.export_catalog(session)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="catalog.csv"'})


@router.post("/admin/catalog/import", dependencies=[CsrfProtected])
def import_catalog(request: Request, user: PageUser, db: DB, file: Annotated[UploadFile, File()]) -> Response:
    permissions.ensure_editor(user)
    try:
        with db.transaction() as session:
            result = categories.import_catalog(session, file.file.read(), actor=user)
    except InvalidInput as exc:
        return _catalog(request, user, db, 422, form={}, errors={}, import_trouble=trouble(exc))
    return done(request, "/admin/catalog", f"分类目录已导入（版本 {result.version}）：新增 {result.added}，"
                                            f"更新 {result.updated}，停用 {result.retired}")


@router.post("/admin/catalog/add", dependencies=[CsrfProtected])
async def add_category(request: Request, user: PageUser, db: DB) -> Response:
    """A new category under the form's ``parent`` (empty: a first level)."""
    permissions.ensure_editor(user)
    form = await form_of(request)
    try:
        data = forms.category_create(form)
        code = await run_in_threadpool(write, db, lambda s: categories.add_category(s, data, actor=user).code)
    except InvalidInput as exc:
        if parent := form.get("parent"):
            return await run_in_threadpool(_category, request, user, db, parent, 422, child_form=form,
                                           child_trouble=trouble(exc))
        return await run_in_threadpool(_catalog, request, user, db, 422, form=form, **trouble(exc))
    return done(request, f"/admin/catalog/{code}", f"已新增分类 {code}“{form.get('name', '').strip()}”")


# --- the streets' item lists -------------------------------------------------------------------------


def _views(request: Request, user: User, db: Database, status_code: int = 200, **context: Any) -> Response:
    with db.read() as session:
        found = views.list_views(session)
        streets = views.street_choices(session)
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return page(request, "routing/views.html", user, status_code, views=found, streets=streets,
                sections_of=views.sections, **context)


@router.get("/admin/catalog/views")
def views_page(request: Request, user: PageUser, db: DB) -> Response:
    permissions.ensure_reader(user)
    return _views(request, user, db)


@router.get("/admin/catalog/views/export")
def export_views(user: PageUser, db: DB) -> Response:
    permissions.ensure_reader(user)
    with db.read() as session:
        text = views.export_views(session)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="catalog-views.csv"'})


@router.post("/admin/catalog/views/import", dependencies=[CsrfProtected])
def import_views(request: Request, user: PageUser, db: DB, file: Annotated[UploadFile, File()]) -> Response:
    permissions.ensure_editor(user)
    try:
        with db.transaction() as session:
            result = views.load_views(session, views.parse_views(session, file.file.read()), actor=user)
    except InvalidInput as exc:
        return _views(request, user, db, 422, import_trouble=trouble(exc))
    return done(request, "/admin/catalog/views",
                 f"清单已导入（版本 {result.version}）：{result.views} 份清单，{result.items} 个事项")


@router.post("/admin/catalog/views", dependencies=[CsrfProtected])
async def create_view(request: Request, user: PageUser, db: DB) -> Response:
    permissions.ensure_editor(user)
    form = await form_of(request)
    try:
        data = forms.view_create(form)
        await run_in_threadpool(write, db, lambda s: views.create_view(s, data, actor=user))
    except InvalidInput as exc:
        return await run_in_threadpool(_views, request, user, db, 422, form=form, **trouble(exc))
    return done(request, f"/admin/catalog/views/{data.code}", f"已新建清单 {data.code}")


def _view(request: Request, user: User, db: Database, code: str, status_code: int = 200, **context: Any) -> Response:
    with db.read() as session:
        view = views.get_view(session, code)
        choices = categories.active_choices(session)
        paths = categories.category_paths(session)
    for key in ("form", "errors", "item_form", "item_errors"):
        context.setdefault(key, {})
    return page(request, "routing/view.html", user, status_code, view=view, sections=views.sections(view),
                category_choices=choices, paths=paths, **context)


@router.get("/admin/catalog/views/{code}")
def view_page(request: Request, code: ViewCode, user: PageUser, db: DB) -> Response:
    permissions.ensure_reader(user)
    return _view(request, user, db, code)


@router.post("/admin/catalog/views/{code}", dependencies=[CsrfProtected])
async def update_view(request: Request, code: ViewCode, user: PageUser, db: DB) -> Response:
    permissions.ensure_editor(user)
    form = await form_of(request)
    try:
        changes = forms.view_update(form)
        await run_in_threadpool(write, db, lambda s: views.update_view(s, code, changes, actor=user))
    except InvalidInput as exc:
        return await run_in_threadpool(_view, request, user, db, code, 422, form=form, **trouble(exc))
    return done(request, f"/admin/catalog/views/{code}", "已保存清单")


@router.post("/admin/catalog/views/{code}/items", dependencies=[CsrfProtected])
async def add_item(request: Request, code: ViewCode, user: PageUser, db: DB) -> Response:
    permissions.ensure_editor(user)
    form = await form_of(request)
    try:
        data = forms.view_item(form)
        await run_in_threadpool(write, db, lambda s: views.add_item(s, code, data, actor=user))
    except InvalidInput as exc:
        problem = trouble(exc)
        return await run_in_threadpool(_view, request, user, db, code, 422, item_form=form,
                                       item_errors=problem["errors"], item_message=problem["message"])
    return done(request, f"/admin/catalog/views/{code}", f"已加入事项“{data.item}”")


@router.post("/admin/catalog/views/{code}/items/{item_id}", dependencies=[CsrfProtected])
async def update_item(request: Request, code: ViewCode, item_id: ItemId, user: PageUser, db: DB) -> Response:
    permissions.ensure_editor(user)
    form = await form_of(request)
    try:
        if form.get("remove") in BOOL_TRUE:
            await run_in_threadpool(write, db, lambda s: views.remove_item(s, code, item_id, actor=user))
            return done(request, f"/admin/catalog/views/{code}", "已从清单移除该事项")
        data = forms.view_item(form)
        await run_in_threadpool(write, db, lambda s: views.update_item(s, code, item_id, data, actor=user))
    except InvalidInput as exc:
        return await run_in_threadpool(_view, request, user, db, code, 422, item_id=item_id,
                                       row_message=exc.message)
    return done(request, f"/admin/catalog/views/{code}#item-{item_id}", f"已保存事项“{data.item}”")


# --- one category (declared after the lists: /admin/catalog/views is no category code) -------------


def _category(request: Request, user: User, db: Database, code: str, status_code: int = 200,
              **context: Any) -> Response:
    with db.read() as session:
        category = categories.get_category(session, code)
        children = categories.children_of(session, code)
        path = categories.category_paths(session)[code]
        next_code = categories.next_child_code(session, category) if category.level < categories.MAX_LEVEL else None
    for key in ("form", "errors", "child_form"):
        context.setdefault(key, {})
    return page(request, "routing/category.html", user, status_code, category=category, path=path,
                children=children, next_code=next_code, **context)


@router.get("/admin/catalog/{code}")
def category_page(request: Request, code: Code, user: PageUser, db: DB) -> Response:
    permissions.ensure_editor(user)
    return _category(request, user, db, code)


@router.post("/admin/catalog/{code}", dependencies=[CsrfProtected])
async def update_category(request: Request, code: Code, user: PageUser, db: DB) -> Response:
    permissions.ensure_editor(user)
    form = await form_of(request)
    try:
        changes = forms.category_update(form)
        await run_in_threadpool(write, db, lambda s: categories.update_category(s, code, changes, actor=user))
    except InvalidInput as exc:
        return await run_in_threadpool(_category, request, user, db, code, 422, form=form, **trouble(exc))
    return done(request, f"/admin/catalog/{code}", "已保存：新的诉求即按此分类")


@router.post("/admin/catalog/{code}/retire", dependencies=[CsrfProtected])
def retire_category(request: Request, code: Code, user: PageUser, db: DB) -> Response:
    permissions.ensure_editor(user)
    with db.transaction() as session:
        retired = categories.retire_category(session, code, actor=user)
    return done(request, f"/admin/catalog/{code}",
                 f"已停用 {len(retired)} 个分类（{'、'.join(retired)}）；编码保留，已有工单不受影响")


@router.post("/admin/catalog/{code}/restore", dependencies=[CsrfProtected])
async def restore_category(request: Request, code: Code, user: PageUser, db: DB) -> Response:
    permissions.ensure_editor(user)
    form = await form_of(request)
    try:
        restored = await run_in_threadpool(write, db, lambda s: categories.restore_category(
            s, code, actor=user, with_children=form.get("with_children") in BOOL_TRUE))
    except InvalidInput as exc:
        flash(request, exc.message, "error")
        return RedirectResponse(f"/admin/catalog/{code}", status_code=303)
    return done(request, f"/admin/catalog/{code}", f"已恢复 {len(restored)} 个分类（{'、'.join(restored)}）")


router.include_router(matrix_pages.router)
