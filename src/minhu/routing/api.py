"""JSON routes of the catalog, the streets' item lists and the responsibility matrix under /api/v1.

Everyone signed in reads the catalog; administrators change it. The matrix and the lists are read by
administrators and dispatchers. A file sent in is checked whole: one bad line and nothing is written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile
from fastapi.responses import PlainTextResponse

from minhu.core.types import MAX_ROW_ID
from minhu.org.auth import ApiUser
from minhu.routing import catalog as catalog_files
from minhu.routing import categories, permissions, present, rules, views
from minhu.routing.schemas import (
    CATEGORY_CODE,
    VIEW_CODE,
    CatalogLoadRead,
    CategoryCreate,
    CategoryNode,
    CategoryRead,
    CategoryUpdate,
    RuleRead,
    RuleUpdate,
    RuleWrite,
    ShadowedRead,
    TrialRead,
    ViewRead,
    ViewsLoadRead,
)
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["分类目录与责任矩阵"], route_class=FormRoute)

Code = Annotated[str, Path(pattern=CATEGORY_CODE, description="分类编码，如 090203")]
ViewCode = Annotated[str, Path(pattern=VIEW_CODE, description="清单编码，如 SGH-A")]
RuleId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
CSV = {"content": {"text/csv": {}}, "description": "CSV（UTF-8）"}


# --- the catalog -------------------------------------------------------------------------------------


@router.get("/catalog", response_model=list[CategoryNode], responses=ERRORS(401, 422))
def read_catalog(user: ApiUser, db: DB, include_retired: bool = False) -> list[CategoryNode]:
    """The category tree: first levels, each with its children."""
    with db.read() as session:
        return [present.category_node(n) for n in categories.category_tree(session, include_retired=include_retired)]


@router.post("/catalog", response_model=CategoryRead, status_code=201, responses=ERRORS(401, 403, 422))
def create_category(body: CategoryCreate, user: ApiUser, db: DB) -> CategoryRead:
    """Add a category under ``parent`` (none: a first level); it gets the parent's next free code."""
    permissions.ensure_editor(user)
    with db.transaction() as session:
        return present.category_read(categories.add_category(session, body, actor=user))


@router.get("/catalog/export", response_class=PlainTextResponse, responses={200: CSV, **ERRORS(401)})
def export_catalog(user: ApiUser, db: DB) -> PlainTextResponse:
    """The active catalog in the file format ``minhu catalog load`` reads."""
    with db.read() as session:
        text = catalog_files.export_catalog(session)
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8")


@router.post("/catalog/import", response_model=CatalogLoadRead, responses=ERRORS(401, 403, 413, 422))
def import_catalog(file: Annotated[UploadFile, File(description="目录 CSV")], user: ApiUser, db: DB) -> CatalogLoadRead:
    """Load a whole catalog file: codes upserted, codes it drops retired. One bad line and nothing is written
    (422, every bad line in ``details``)."""
    permissions.ensure_editor(user)
    raw = file.file.read()
    with db.transaction() as session:
        result = categories.import_catalog(session, raw, actor=user)
    return CatalogLoadRead(added=result.added, updated=result.updated, retired=result.retired, version=result.version)


@router.get("/catalog/views", response_model=list[ViewRead], responses=ERRORS(401, 403))
def list_views(user: ApiUser, db: DB) -> list[ViewRead]:
    """The streets' item lists, with their items."""
    permissions.ensure_reader(user)
    with db.read() as session:
        paths = categories.category_paths(session)
        return [present.view_read(v, paths) for v in views.list_views(session)]


@router.get("/catalog/views/export", response_class=PlainTextResponse, responses={200: CSV, **ERRORS(401, 403)})
def export_views(user: ApiUser, db: DB) -> PlainTextResponse:
    """The active lists in the file format ``minhu catalog views load`` reads."""
    permissions.ensure_reader(user)
    with db.read() as session:
        text = views.export_views(session)
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8")


@router.post("/catalog/views/import", response_model=ViewsLoadRead, responses=ERRORS(401, 403, 413, 422))
def import_views(file: Annotated[UploadFile, File(description="清单 CSV")], user: ApiUser, db: DB) -> ViewsLoadRead:
    """Load a lists file: each list it names gets exactly its items. One bad line and nothing is written."""
    permissions.ensure_editor(user)
    raw = file.file.read()
    with db.transaction() as session:
        result = views.load_views(session, views.parse_views(session, raw), actor=user)
    return ViewsLoadRead(views=result.views, items=result.items, version=result.version)


@router.get("/catalog/views/{code}", response_model=ViewRead, responses=ERRORS(401, 403, 404, 422))
def read_view(code: ViewCode, user: ApiUser, db: DB) -> ViewRead:
    permissions.ensure_reader(user)
    with db.read() as session:
        return present.view_read(views.get_view(session, code), categories.category_paths(session))


@router.get("/catalog/{code}", response_model=CategoryRead, responses=ERRORS(401, 404, 422))
def read_category(code: Code, user: ApiUser, db: DB) -> CategoryRead:
    with db.read() as session:
        return present.category_read(categories.get_category(session, code))


@router.patch("/catalog/{code}", response_model=CategoryRead, responses=ERRORS(401, 403, 404, 422))
def update_category(code: Code, body: CategoryUpdate, user: ApiUser, db: DB) -> CategoryRead:
    """Change a category. ``active: false`` retires it and everything below it (codes are never deleted)."""
    permissions.ensure_editor(user)
    with db.transaction() as session:
        return present.category_read(categories.update_category(session, code, body, actor=user))


# --- the responsibility matrix -----------------------------------------------------------------------


@router.get("/routing/rules", response_model=list[RuleRead], responses=ERRORS(401, 403, 422))
def list_rules(
    user: ApiUser, db: DB,
    category: Annotated[str | None, Query(pattern=CATEGORY_CODE, description="此分类及其下级的规则")] = None,
    place_unit_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="此地点及其下级的规则")] = None,
    active: bool | None = None,
) -> list[RuleRead]:
    """The matrix, in category order, filtered."""
    permissions.ensure_reader(user)
    with db.read() as session:
        place = rules.get_place(session, place_unit_id) if place_unit_id is not None else None
        found = rules.list_rules(session, category_code=category, place=place, active=active)
        units, paths = rules.units_of(session, found), categories.category_paths(session)
        return [present.rule_read(r, units, paths) for r in found]


@router.post("/routing/rules", response_model=RuleRead, status_code=201, responses=ERRORS(401, 403, 422))
def create_rule(body: RuleWrite, user: ApiUser, db: DB) -> RuleRead:
    """Add a rule. Refused (422, the rule it meets named in ``details``) when an active rule has the same
    category and place (``rule_conflict`` with another owner, ``rule_duplicate`` with the same); refused
    (``rule_invalid``) for a category that does not exist, an owner or co-handler that cannot receive orders,
    the owner listed again as co-handler."""
    permissions.ensure_editor(user)
    with db.transaction() as session:
        rule = rules.add_rule(session, body, actor=user)
        return present.rule_read(rule, rules.units_of(session, [rule]), categories.category_paths(session))


@router.get("/routing/rules/check", response_model=list[ShadowedRead], responses=ERRORS(401, 403))
def check_rules(user: ApiUser, db: DB) -> list[ShadowedRead]:
    """Active rules that never decide an order, and why: a rule ranking above them covers all they cover,
    or nothing can reach them any more."""
    permissions.ensure_reader(user)
    with db.read() as session:
        found = rules.shadowed_rules(session)
        involved = [r for s in found for r in (s.rule, s.by) if r is not None]
        units, paths = rules.units_of(session, involved), categories.category_paths(session)
        return [present.shadowed_read(s, units, paths) for s in found]


@router.get("/routing/rules/{rule_id}", response_model=RuleRead, responses=ERRORS(401, 403, 404, 422))
def read_rule(rule_id: RuleId, user: ApiUser, db: DB) -> RuleRead:
    permissions.ensure_reader(user)
    with db.read() as session:
        rule = rules.get_rule(session, rule_id)
        return present.rule_read(rule, rules.units_of(session, [rule]), categories.category_paths(session))


@router.patch("/routing/rules/{rule_id}", response_model=RuleRead, responses=ERRORS(401, 403, 404, 422))
def update_rule(rule_id: RuleId, body: RuleUpdate, user: ApiUser, db: DB) -> RuleRead:
    """Change a rule (``active: false`` deactivates it; rules are never deleted, decisions name them). The
    result is checked like a new rule."""
    permissions.ensure_editor(user)
    with db.transaction() as session:
        rule = rules.update_rule(session, rule_id, body, actor=user)
        return present.rule_read(rule, rules.units_of(session, [rule]), categories.category_paths(session))


@router.get("/routing/try", response_model=TrialRead, responses=ERRORS(401, 403, 422))
def try_rules(
    user: ApiUser, db: DB,
    category: Annotated[str | None, Query(pattern=CATEGORY_CODE, description="分类编码")] = None,
    place_unit_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="区、街道、社区或网格")] = None,
) -> TrialRead:
    """试算: the grade and the owner routing would give an order of this category standing at this place,
    the rule that decides and the others that apply."""
    permissions.ensure_reader(user)
    with db.read() as session:
        trial = rules.try_rules(session, category_code=category, place_unit_id=place_unit_id)
        units = rules.units_of(session, trial.applicable)
        return present.trial_read(trial, units, categories.category_paths(session))
