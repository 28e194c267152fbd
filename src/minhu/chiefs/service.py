"""The writer of the chiefs' duty lists (责任清单): an administrator sets a chief's list, from the street's A and B
lists or the catalog. A list is checked whole and written whole; services flush, the caller commits."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from minhu.chiefs import naming, permissions
from minhu.chiefs.models import DutyItem, DutyList
from minhu.chiefs.schemas import DutyItemWrite
from minhu.core import clock
from minhu.core.errors import InvalidInput, NotFound
from minhu.geo.models import Post, PostKind
from minhu.org.models import User
from minhu.routing.models import Category

log = logging.getLogger("minhu.chiefs")

CHIEF_KINDS = frozenset({PostKind.AREA_CHIEF, PostKind.RIVER_CHIEF, PostKind.ROAD_CHIEF, PostKind.GRID_CHIEF})


def get_chief(session: Session, post_id: int) -> Post:
    """A chief's post (片区长、河湖长、路段长、网格长). Raises NotFound for another post or none."""
    post = session.get(Post, post_id)
    if post is None or post.kind not in CHIEF_KINDS:
        raise NotFound(f"四长职务 {post_id} 不存在", code="chief_not_found")
    return post


def find_list(session: Session, post: Post) -> DutyList | None:
    """The duty list of the post's ground (its zone, or its grid)."""
    if post.zone_id is not None:
        return session.scalars(select(DutyList).where(DutyList.zone_id == post.zone_id)).first()
    if post.unit_id is not None:
        return session.scalars(select(DutyList).where(DutyList.grid_id == post.unit_id)).first()
    return None


def _problems(items: list[DutyItemWrite], categories: dict[str, Category]) -> tuple[list[dict[str, str]], bool]:
    """Every bad line of a duty list, and whether one names a retired category."""
    problems: list[dict[str, str]] = []
    retired = False
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        field = f"items.{index}.category_code"
        category = categories.get(item.category_code)
        if category is None:
            problems.append({"field": field, "message": f"分类 {item.category_code} 不存在"})
        elif not category.active:
            retired = True
            message = f"分类 {category.code}“{category.name}”已停用，不能列入责任清单"
            problems.append({"field": field, "message": message})
        if item.category_code in seen:
            message = f"分类 {item.category_code} 与第 {seen[item.category_code] + 1} 项重复"
            problems.append({"field": field, "message": message})
        seen.setdefault(item.category_code, index)
    return problems, retired


def set_duties(session: Session, post_id: int, items: list[DutyItemWrite], *, actor: User) -> DutyList:
    """Replace the duty list of the chief's ground with ``items``. Raises Forbidden (not an administrator),
    NotFound, InvalidInput naming every bad item — an unknown, repeated or retired (code ``category_retired``)
    category — before anything is written."""
    permissions.check_editor(actor)
    post = get_chief(session, post_id)
    codes = {item.category_code for item in items}
    categories = {c.code: c for c in session.scalars(select(Category).where(Category.code.in_(codes)))} \
        if codes else {}
    problems, retired = _problems(items, categories)
    if problems:
        shown = "；".join(p["message"] for p in problems[:5])
        more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
        raise InvalidInput(f"责任清单有 {len(problems)} 处问题，未作任何修改：{shown}{more}", details=problems,
                           code="category_retired" if retired else "duty_list_invalid")
    duty_list = find_list(session, post)
    if duty_list is None:
        duty_list = DutyList(zone_id=post.zone_id, grid_id=post.unit_id if post.zone_id is None else None)
        session.add(duty_list)
        session.flush()
    else:
        # Deleted before the new items go in: a category kept in the list must not meet its old row.
        session.execute(delete(DutyItem).where(DutyItem.list_id == duty_list.id))
        session.expire(duty_list, ["items"])
    for item in items:
        category = categories[item.category_code]
        session.add(DutyItem(list_id=duty_list.id, category_code=category.code, item=item.item.strip() or category.name,
                             source=item.source.strip()))
    duty_list.updated_at, duty_list.updated_by_id = clock.now(), actor.id
    session.flush()
    session.expire(duty_list, ["items"])
    naming.forget_duties(session)
    log.info("%s set the duty list of %s %s: %s", actor.username, post.kind.value, post_id, sorted(codes))
    return duty_list
