"""The category catalog as administrators edit it in the console: the tree, a category's fields, a new
child under the next free code, retiring and restoring, and whole files in and out.

Codes are stable: a new category takes a code never used under its parent, and nothing is ever deleted —
a retired category keeps its code and name, so the orders filed under it keep their meaning. Every change
makes routing forget its cached tables, so the next order is routed by the catalog as it now stands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core.errors import InvalidInput, NotFound
from minhu.org.models import User
from minhu.routing import catalog as catalog_files
from minhu.routing import classifier, service
from minhu.routing.catalog import CatalogLoadResult
from minhu.routing.models import Category
from minhu.routing.schemas import CategoryCreate, CategoryUpdate

log = logging.getLogger("minhu.routing")

# ``catalog_version`` of a row last written in the console rather than by a catalog file.
EDITED_IN_CONSOLE = "console"
MAX_LEVEL = 3
# 99 is kept for the catch-all at each level (其他诉求): new categories are numbered before it.
CATCH_ALL = 99


@dataclass
class CategoryNode:
    category: Category
    children: list[CategoryNode] = field(default_factory=list)


def category_tree(session: Session, *, include_retired: bool = True) -> list[CategoryNode]:
    """The first levels, each with its children in code order."""
    nodes: dict[str, CategoryNode] = {}
    roots: list[CategoryNode] = []
    query = select(Category).order_by(Category.code)
    if not include_retired:
        query = query.where(Category.active.is_(True))
    for category in session.scalars(query):
        node = nodes[category.code] = CategoryNode(category)
        parent = nodes.get(category.parent_code) if category.parent_code else None
        if parent is not None:
            parent.children.append(node)
        elif category.parent_code is None:
            roots.append(node)
    return roots


def category_paths(session: Session) -> dict[str, str]:
    """Every category's path of names (城市管理 › 市容环卫 › 占道经营), retired ones included."""
    names: dict[str, str] = dict(session.execute(select(Category.code, Category.name)).all())
    return {code: " › ".join(names[code[:n]] for n in range(2, len(code) + 1, 2) if code[:n] in names)
            for code in names}


def children_of(session: Session, code: str) -> list[Category]:
    return list(session.scalars(select(Category).where(Category.parent_code == code).order_by(Category.code)))


def active_choices(session: Session) -> list[tuple[str, str]]:
    """(code, path) of every active category, in code order: what forms offer."""
    paths = category_paths(session)
    return [(code, paths[code]) for code in session.scalars(select(Category.code).where(Category.active.is_(True))
                                                            .order_by(Category.code))]


def find_category(session: Session, code: str) -> Category | None:
    return session.get(Category, code) if code.isascii() and code.isdecimal() else None


def get_category(session: Session, code: str) -> Category:
    """Raises NotFound."""
    category = find_category(session, code)
    if category is None:
        raise NotFound(f"分类 {code} 不存在", code="category_not_found")
    return category


def next_child_code(session: Session, parent: Category | None) -> str:
    """The code a new child of ``parent`` gets: after the highest used (retired ones count — codes are
    never reused), before the catch-all 99; failing that, the lowest never used. Raises InvalidInput."""
    prefix = parent.code if parent is not None else ""
    level = len(prefix) // 2 + 1
    used = {int(code[len(prefix):]) for code in session.scalars(select(Category.code).where(
        Category.code.startswith(prefix), Category.level == level))}
    after = max(used - {CATCH_ALL}, default=0) + 1
    if after < CATCH_ALL:
        return f"{prefix}{after:02d}"
    free = [n for n in range(1, CATCH_ALL) if n not in used]
    if not free:
        where = f"“{parent.name}”下" if parent is not None else "一级"
        raise InvalidInput(f"{where}的分类编码已用尽（01–98）", details=[{"field": "parent", "message": "编码已用尽"}])
    return f"{prefix}{free[0]:02d}"


def _sibling_named(session: Session, parent_code: str | None, name: str, *, besides: str | None) -> Category | None:
    query = select(Category).where(Category.name == name, Category.active.is_(True),
                                   Category.parent_code.is_(None) if parent_code is None
                                   else Category.parent_code == parent_code)
    return next((c for c in session.scalars(query) if c.code != besides), None)


def _clean_keywords(keywords: list[str]) -> list[str]:
    return list(dict.fromkeys(k.strip() for k in keywords if k.strip()))


def add_category(session: Session, data: CategoryCreate, *, actor: User) -> Category:
    """Add a category under ``data.parent`` with the next free code. Raises InvalidInput (the parent does not
    exist, is retired or is already a third level; an active sibling has the name)."""
    parent = None
    if data.parent is not None:
        parent = find_category(session, data.parent)
        problem = (f"上级分类 {data.parent} 不存在" if parent is None
                   else f"上级分类 {parent.code}“{parent.name}”已停用" if not parent.active
                   else f"分类最多 {MAX_LEVEL} 级，{parent.code} 已是第 {parent.level} 级" if parent.level >= MAX_LEVEL
                   else None)
        if problem:
            raise InvalidInput(problem, details=[{"field": "parent", "message": problem}])
    twin = _sibling_named(session, data.parent, data.name, besides=None)
    if twin is not None:
        message = f"同一上级下已有分类“{data.name}”（{twin.code}）"
        raise InvalidInput(message, details=[{"field": "name", "message": message}])
    code = next_child_code(session, parent)
    category = Category(code=code, parent_code=data.parent, name=data.name, level=len(code) // 2, grade=data.grade,
                        owner_kind=data.owner, limit_class=data.limit_class, keywords=_clean_keywords(data.keywords),
                        active=True, catalog_version=EDITED_IN_CONSOLE)
    session.add(category)
    session.flush()
    service.forget_routing(session)
    log.info("%s added category %s %s", actor.username, code, data.name)
    return category


def _model_labels() -> list[str]:
    try:
        model = classifier.current(service.config().models_dir)
    except Exception:  # a broken model file is routing's to report, not the catalog editor's
        return []
    return list(model.labels) if model is not None else []


def update_category(session: Session, code: str, changes: CategoryUpdate, *, actor: User) -> Category:
    """Change a category's fields; ``active`` retires it with everything below it, or restores it alone.

    Raises NotFound, InvalidInput (an active sibling has the name; a first level's name is a label of the
    classifier in use; the parent of a category to restore is retired).
    """
    category = get_category(session, code)
    given = changes.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in given and given["name"] != category.name:
        twin = _sibling_named(session, category.parent_code, given["name"], besides=category.code)
        if twin is not None:
            message = f"同一上级下已有分类“{given['name']}”（{twin.code}）"
            raise InvalidInput(message, details=[{"field": "name", "message": message}])
        if category.level == 1 and category.name in _model_labels():
            message = (f"“{category.name}”是分类模型的类别名：改名后模型将无法再建议此类。"
                       "请先用新名称标注训练数据、重新训练模型，再改名")
            raise InvalidInput(message, details=[{"field": "name", "message": message}])
        category.name = given["name"]
    if "grade" in given:
        category.grade = given["grade"]
    if "owner" in given:
        category.owner_kind = given["owner"]
    if "limit_class" in given:
        category.limit_class = given["limit_class"]
    if "keywords" in given:
        category.keywords = _clean_keywords(given["keywords"])
    category.catalog_version = EDITED_IN_CONSOLE
    if given.get("active") is False and category.active:
        _retire(session, category)
    elif given.get("active") is True and not category.active:
        _restore(session, category, with_children=False)
    session.flush()
    service.forget_routing(session)
    log.info("%s changed category %s: %s", actor.username, code, sorted(given))
    return category


def _retire(session: Session, category: Category) -> list[str]:
    below = list(session.scalars(select(Category).where(Category.code.startswith(category.code),
                                                        Category.active.is_(True))))
    for each in below:
        each.active = False
        each.catalog_version = EDITED_IN_CONSOLE
    return [each.code for each in below]


def _restore(session: Session, category: Category, *, with_children: bool) -> list[str]:
    if category.parent is not None and not category.parent.active:
        message = f"上级分类 {category.parent.code}“{category.parent.name}”已停用，请先恢复上级"
        raise InvalidInput(message, details=[{"field": "active", "message": message}])
    targets = list(session.scalars(select(Category).where(Category.code.startswith(category.code),
                                                          Category.active.is_(False)))) if with_children \
        else [category]
    for each in targets:
        each.active = True
        each.catalog_version = EDITED_IN_CONSOLE
    return [each.code for each in targets]


def retire_category(session: Session, code: str, *, actor: User) -> list[str]:
    """Retire a category and everything below it (never deleted: old orders keep their meaning); returns
    the codes retired. Raises NotFound."""
    retired = _retire(session, get_category(session, code))
    session.flush()
    service.forget_routing(session)
    log.info("%s retired categories %s", actor.username, retired)
    return retired


def restore_category(session: Session, code: str, *, actor: User, with_children: bool = False) -> list[str]:
    """Restore a retired category (and, if asked, everything retired below it); returns the codes restored.
    Raises NotFound, InvalidInput when its parent is retired."""
    restored = _restore(session, get_category(session, code), with_children=with_children)
    session.flush()
    service.forget_routing(session)
    log.info("%s restored categories %s", actor.username, restored)
    return restored


def import_catalog(session: Session, raw: bytes, *, actor: User) -> CatalogLoadResult:
    """Load a whole catalog file (the format ``minhu catalog export`` writes): checked whole first, so a bad
    line writes nothing. Raises InvalidInput naming every bad line."""
    parsed = catalog_files.parse_catalog(raw)
    result = catalog_files.load_catalog(session, parsed)
    service.forget_routing(session)
    log.info("%s loaded catalog version %s: %s added, %s updated, %s retired", actor.username, result.version,
             result.added, result.updated, result.retired)
    return result
