"""The responsibility matrix: who owns an order of this category at this place, and why.

The most specific rule wins — a rule for the order's grid beats one for its street, which beats a
district-wide one; at equal places a rule for the order's third-level category beats one for its
first level. With no rule, the grade decides the level: A → the community, B → the street (or its
enforcement centre, for what the catalog gives to it), C and D → the command centre's dispatcher, who
knows the departments and the city.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.org.models import Unit
from minhu.org.roles import UnitKind
from minhu.routing.models import Category, Grade, OwnerKind, RoutingRule


@dataclass(frozen=True)
class OwnerChoice:
    unit: Unit | None
    rule: RoutingRule | None
    reason: str
    co_handler_ids: tuple[int, ...] = ()


def _depth(unit: Unit | None) -> int:
    return 0 if unit is None else unit.path.count("/")


def rank(rule: RoutingRule) -> tuple[int, int, int]:
    """How a rule ranks against others that apply to the same order: the deeper place first, then the
    finer category, then the older rule."""
    return _depth(rule.place_unit), len(rule.category_code or ""), -rule.id


def rule_applies(rule: RoutingRule, category: Category | None, place: Unit | None) -> bool:
    if rule.category_code is not None and (category is None or not category.code.startswith(rule.category_code)):
        return False
    return rule.place_unit is None or (place is not None and place.is_within(rule.place_unit))


def describe_rule(rule: RoutingRule) -> str:
    what = rule.category.name if rule.category is not None else "所有分类"
    where = rule.place_unit.name if rule.place_unit is not None else "全辖区"
    source = f"（依据：{rule.source}）" if rule.source else ""
    return f"规则 #{rule.id}：{what} @ {where} → {rule.owner_unit.name}{source}"


def choose_owner(session: Session, rules: Sequence[RoutingRule], category: Category | None, grade: Grade, *,
                 street: Unit | None, community: Unit | None, place: Unit | None,
                 sub_centre: bool = False) -> OwnerChoice:
    """The owner by the most specific of the active ``rules`` that applies, else by the grade. A street that runs
    a sub-centre (``sub_centre``) takes its A and B orders itself and dispatches them inside."""
    rules = [r for r in rules if rule_applies(r, category, place)]
    if rules:
        best = max(rules, key=rank)
        return OwnerChoice(best.owner_unit, best, describe_rule(best), tuple(best.co_handler_ids))
    if sub_centre and street is not None and grade in (Grade.A, Grade.B):
        return OwnerChoice(street, None, f"{grade.value} 级事项派所在街道分中心，由街道内派：{street.name}")
    return _by_grade(session, category, grade, street=street, community=community)


def _by_grade(session: Session, category: Category | None, grade: Grade, *, street: Unit | None,
              community: Unit | None) -> OwnerChoice:
    if grade is Grade.A and community is not None:
        return OwnerChoice(community, None, f"A 级事项由所在社区办理：{community.name}")
    if grade in (Grade.A, Grade.B) and street is not None:
        if category is not None and category.owner_kind is OwnerKind.ENFORCEMENT:
            enforcement = session.scalars(select(Unit).where(Unit.parent_id == street.id,
                                                             Unit.kind == UnitKind.ENFORCEMENT.value,
                                                             Unit.active.is_(True))).first()
            if enforcement is not None:
                return OwnerChoice(enforcement, None,
                                   f"{grade.value} 级执法类事项“外呼”街道综合执法中心：{enforcement.name}")
        return OwnerChoice(street, None, f"{grade.value} 级事项由所在街道办理（内呼）：{street.name}")
    if grade is Grade.D:
        return OwnerChoice(None, None, "D 级事项需报市级，由派单员处理")
    return OwnerChoice(None, None, "没有匹配的责任规则，由派单员指定承办部门" if grade is Grade.C
                       else "无法确定所在街道，由派单员指定承办单位")
