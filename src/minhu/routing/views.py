"""A street's own item lists (catalog views): the A and B lists in which a street words, classes and grades
the matters it handles itself, each item on a catalog category.

An item's grade replaces the category's default for orders standing in that street (routing reads the
lists with its other tables). Lists are data, kept in a versioned CSV file:

``view_code,view_name,street_code,source,section,item,category_code,grade`` — one line per item; the
view's name, street and source repeat on each of its lines. A file is checked whole (every bad line
named) and written whole: each view it lists gets exactly the file's items and is made active; views it
does not list are left as they are.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core.errors import InvalidInput, NotFound
from minhu.org import queries as org_queries
from minhu.org.models import Unit, User
from minhu.org.roles import UnitKind
from minhu.routing import service
from minhu.routing.catalog import csv_lines, line_problem
from minhu.routing.models import CatalogView, CatalogViewItem, Category
from minhu.routing.schemas import ViewCreate, ViewItemWrite, ViewUpdate
from minhu.web.errors import validation_details

log = logging.getLogger("minhu.routing")

VIEW_COLUMNS = ("view_code", "view_name", "street_code", "source", "section", "item", "category_code", "grade")


@dataclass
class ParsedView:
    code: str
    name: str
    street_code: str
    source: str
    first_line: int
    items: list[ViewItemWrite] = field(default_factory=list)


@dataclass(frozen=True)
class ViewsFile:
    views: list[ParsedView]
    version: str


@dataclass(frozen=True)
class ViewsLoadResult:
    views: int
    items: int
    version: str


def _category_problem(category: Category | None, code: str) -> str | None:
    if category is None:
        return f"分类 {code} 不存在"
    if not category.active:
        return f"分类 {code}“{category.name}”已停用"
    return None


def _street_problem(unit: Unit | None, code: str) -> str | None:
    if unit is None:
        return f"街道 {code} 不存在"
    if unit.kind is not UnitKind.STREET:
        return f"单位 {code}“{unit.name}”不是街道"
    if not unit.active:
        return f"街道 {code}“{unit.name}”已撤销"
    return None


def parse_views(session: Session, raw: bytes, *, encoding: str | None = None) -> ViewsFile:
    """Check a views file whole against the catalog and the map. Raises InvalidInput naming every bad line
    (an unknown category or street, a grade other than A–D, an item listed twice in a view, a view whose
    name or street changes between its lines) — or the file's encoding."""
    categories = {c.code: c for c in session.scalars(select(Category))}
    streets: dict[str, Unit | None] = {}
    views: dict[str, ParsedView] = {}
    items_seen: dict[tuple[str, str], int] = {}
    problems: list[dict[str, str]] = []
    for line, values in csv_lines(raw, VIEW_COLUMNS, source="清单文件", code="views_invalid", encoding=encoding):
        if values is None:
            problems.append(line_problem(line, f"列数多于表头的 {len(VIEW_COLUMNS)} 列（含逗号的值须加引号）"))
            continue
        try:
            view_data: ViewCreate | None = ViewCreate.model_validate({
                "code": values["view_code"], "name": values["view_name"], "street_code": values["street_code"],
                "source": values["source"]})
        except ValidationError as exc:
            view_data = None
            problems.extend(line_problem(line, _row_message(d)) for d in validation_details(exc.errors()))
        try:
            item: ViewItemWrite | None = ViewItemWrite.model_validate(
                {k: values[k] for k in ("section", "item", "category_code", "grade")})
        except ValidationError as exc:
            item = None
            problems.extend(line_problem(line, _row_message(d)) for d in validation_details(exc.errors()))
        if view_data is None or item is None:
            continue
        view = views.get(view_data.code)
        if view is None:
            view = views[view_data.code] = ParsedView(view_data.code, view_data.name, view_data.street_code,
                                                      view_data.source, line)
            if view.street_code not in streets:
                streets[view.street_code] = org_queries.find_unit_by_code(session, view.street_code)
            street_problem = _street_problem(streets[view.street_code], view.street_code)
            if street_problem:
                problems.append(line_problem(line, street_problem))
        elif (view_data.name, view_data.street_code, view_data.source) != (view.name, view.street_code, view.source):
            problems.append(line_problem(line, f"清单 {view.code} 的名称、街道或来源与第 {view.first_line} 行不一致"))
        category_problem = _category_problem(categories.get(item.category_code), item.category_code)
        if category_problem:
            problems.append(line_problem(line, category_problem))
        earlier = items_seen.get((view.code, item.item))
        if earlier is not None:
            problems.append(line_problem(line, f"事项“{item.item}”在清单 {view.code} 中重复（第 {earlier} 行）"))
        items_seen.setdefault((view.code, item.item), line)
        view.items.append(item)
    if problems:
        raise InvalidInput(f"清单文件有 {len(problems)} 处问题，未载入任何内容", details=problems, code="views_invalid")
    return ViewsFile(list(views.values()), hashlib.sha256(raw).hexdigest()[:12])


# The file's column names, as people filling it in know them.
_COLUMN_OF_FIELD = {"code": "view_code", "name": "view_name"}


def _row_message(detail: dict[str, str]) -> str:
    column = _COLUMN_OF_FIELD.get(detail["field"], detail["field"])
    if column == "grade":
        return "grade：等级须为 A、B、C 或 D"
    return f"{column}：{detail['message']}"


def load_views(session: Session, parsed: ViewsFile, *, actor: User | None = None) -> ViewsLoadResult:
    """Write the views of a checked file in the caller's transaction: each gets exactly the file's items."""
    existing = {v.code: v for v in session.scalars(select(CatalogView))}
    count = 0
    for parsed_view in parsed.views:
        street = org_queries.find_unit_by_code(session, parsed_view.street_code)
        assert street is not None  # parse_views checked it
        view = existing.get(parsed_view.code)
        if view is None:
            view = CatalogView(code=parsed_view.code)
            session.add(view)
        view.name, view.unit_id, view.source, view.active = (parsed_view.name, street.id, parsed_view.source,
                                                             True)
        view.items.clear()
        # The old items go before the new ones come: an unchanged (category, item) pair is unique per view.
        session.flush()
        view.items.extend(CatalogViewItem(section=i.section, item=i.item, category_code=i.category_code, grade=i.grade)
                          for i in parsed_view.items)
        count += len(parsed_view.items)
    session.flush()
    service.forget_routing(session)
    log.info("%s loaded %s item lists (%s items), version %s", actor.username if actor else "the command line",
             len(parsed.views), count, parsed.version)
    return ViewsLoadResult(len(parsed.views), count, parsed.version)


def export_views(session: Session) -> str:
    """The active views in the format ``load_views`` reads, by view code, items in their lists' order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(VIEW_COLUMNS)
    for view in session.scalars(select(CatalogView).where(CatalogView.active.is_(True)).order_by(CatalogView.code)):
        street_code = view.unit.code if view.unit is not None else ""
        for item in view.items:
            writer.writerow([view.code, view.name, street_code, view.source, item.section, item.item,
                             item.category_code, item.grade.value])
    return out.getvalue()


# --- reads and edits in the console ------------------------------------------------------------------


def list_views(session: Session) -> list[CatalogView]:
    return list(session.scalars(select(CatalogView).order_by(CatalogView.code)))


def get_view(session: Session, code: str) -> CatalogView:
    """Raises NotFound."""
    view = session.scalars(select(CatalogView).where(CatalogView.code == code)).first() \
        if "\x00" not in code else None
    if view is None:
        raise NotFound(f"清单 {code} 不存在", code="view_not_found")
    return view


def street_choices(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.kind == UnitKind.STREET.value, Unit.active.is_(True))
                                .order_by(Unit.path)))


def sections(view: CatalogView) -> list[tuple[str, list[CatalogViewItem]]]:
    """The view's items by section, sections in the order the list first names them."""
    grouped: dict[str, list[CatalogViewItem]] = {}
    for item in view.items:
        grouped.setdefault(item.section, []).append(item)
    return list(grouped.items())


def create_view(session: Session, data: ViewCreate, *, actor: User) -> CatalogView:
    """Raises InvalidInput (the code is taken, the street is unknown)."""
    if session.scalars(select(CatalogView.id).where(CatalogView.code == data.code)).first() is not None:
        raise InvalidInput(f"清单编码 {data.code} 已存在", details=[{"field": "code", "message": "编码已存在"}])
    street = org_queries.find_unit_by_code(session, data.street_code)
    problem = _street_problem(street, data.street_code)
    if problem or street is None:
        raise InvalidInput(problem or "", details=[{"field": "street_code", "message": problem or ""}])
    view = CatalogView(code=data.code, name=data.name, unit_id=street.id, source=data.source, active=True)
    session.add(view)
    session.flush()
    service.forget_routing(session)
    log.info("%s created item list %s", actor.username, data.code)
    return view


def update_view(session: Session, code: str, changes: ViewUpdate, *, actor: User) -> CatalogView:
    """Rename, re-source, deactivate or reactivate a view. Raises NotFound."""
    view = get_view(session, code)
    given = changes.model_dump(exclude_unset=True, exclude_none=True)
    for name, value in given.items():
        setattr(view, name, value)
    session.flush()
    service.forget_routing(session)
    log.info("%s changed item list %s: %s", actor.username, code, sorted(given))
    return view


def _check_item(session: Session, view: CatalogView, data: ViewItemWrite, *, item_id: int | None) -> None:
    problem = _category_problem(session.get(Category, data.category_code), data.category_code)
    if problem:
        raise InvalidInput(problem, details=[{"field": "category_code", "message": problem}])
    twin = next((i for i in view.items if i.item == data.item and i.id != item_id), None)
    if twin is not None:
        message = f"清单中已有事项“{data.item}”（{twin.section}）"
        raise InvalidInput(message, details=[{"field": "item", "message": message}])


def _get_item(view: CatalogView, item_id: int) -> CatalogViewItem:
    item = next((i for i in view.items if i.id == item_id), None)
    if item is None:
        raise NotFound(f"清单 {view.code} 中没有事项 #{item_id}", code="view_item_not_found")
    return item


def add_item(session: Session, code: str, data: ViewItemWrite, *, actor: User) -> CatalogViewItem:
    """Raises NotFound, InvalidInput (an unknown or retired category, the item already listed)."""
    view = get_view(session, code)
    _check_item(session, view, data, item_id=None)
    item = CatalogViewItem(section=data.section, item=data.item, category_code=data.category_code, grade=data.grade)
    view.items.append(item)
    session.flush()
    service.forget_routing(session)
    log.info("%s added item %r to list %s", actor.username, data.item, code)
    return item


def update_item(session: Session, code: str, item_id: int, data: ViewItemWrite, *, actor: User) -> CatalogViewItem:
    """Raises NotFound, InvalidInput."""
    view = get_view(session, code)
    item = _get_item(view, item_id)
    _check_item(session, view, data, item_id=item_id)
    item.section, item.item, item.category_code, item.grade = data.section, data.item, data.category_code, data.grade
    session.flush()
    service.forget_routing(session)
    log.info("%s changed item #%s of list %s", actor.username, item_id, code)
    return item


def remove_item(session: Session, code: str, item_id: int, *, actor: User) -> None:
    """An item is a line of the street's list, not a code: removing it takes it off the list. Raises NotFound."""
    view = get_view(session, code)
    view.items.remove(_get_item(view, item_id))
    session.flush()
    service.forget_routing(session)
    log.info("%s removed item #%s from list %s", actor.username, item_id, code)
