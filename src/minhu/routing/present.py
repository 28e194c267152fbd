"""Routing's rows as the API shows them."""

from __future__ import annotations

from collections.abc import Mapping

from minhu.org.models import Unit
from minhu.org.schemas import UnitRead
from minhu.routing.categories import CategoryNode as TreeNode
from minhu.routing.matrix import describe_rule
from minhu.routing.models import CatalogView, Category, RoutingRule
from minhu.routing.rules import Shadowed, Trial
from minhu.routing.schemas import (
    CategoryNode,
    CategoryRead,
    RuleRead,
    ShadowedRead,
    TrialRead,
    ViewItemRead,
    ViewRead,
)


def unit_read(unit: Unit) -> UnitRead:
    return UnitRead(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind, parent_id=unit.parent_id)


def category_read(category: Category) -> CategoryRead:
    return CategoryRead(code=category.code, parent=category.parent_code, name=category.name, level=category.level,
                        grade=category.grade, owner=category.owner_kind, limit_class=category.limit_class,
                        keywords=list(category.keywords), active=category.active)


def category_node(node: TreeNode) -> CategoryNode:
    return CategoryNode(**category_read(node.category).model_dump(),
                        children=[category_node(child) for child in node.children])


def rule_read(rule: RoutingRule, units: Mapping[int, Unit], paths: Mapping[str, str]) -> RuleRead:
    """``units``: the co-handlers by id; ``paths``: category paths by code (see categories.category_paths)."""
    return RuleRead(id=rule.id, category_code=rule.category_code,
                    category_path=paths.get(rule.category_code) if rule.category_code else None,
                    place=unit_read(rule.place_unit) if rule.place_unit is not None else None,
                    owner=unit_read(rule.owner_unit),
                    co_handlers=[unit_read(units[i]) for i in rule.co_handler_ids if i in units],
                    source=rule.source, decided_on=rule.decided_on, note=rule.note, active=rule.active,
                    description=describe_rule(rule))


def shadowed_read(found: Shadowed, units: Mapping[int, Unit], paths: Mapping[str, str]) -> ShadowedRead:
    return ShadowedRead(rule=rule_read(found.rule, units, paths),
                        by=rule_read(found.by, units, paths) if found.by is not None else None, reason=found.reason)


def trial_read(trial: Trial, units: Mapping[int, Unit], paths: Mapping[str, str]) -> TrialRead:
    chosen = trial.owner
    return TrialRead(category_code=trial.category.code if trial.category else None,
                     category_path=paths.get(trial.category.code) if trial.category else None,
                     place=unit_read(trial.place) if trial.place is not None else None,
                     grade=trial.grade.grade, grade_reasons=list(trial.grade.reasons),
                     owner=unit_read(chosen.unit) if chosen.unit is not None else None,
                     co_handlers=[unit_read(units[i]) for i in chosen.co_handler_ids if i in units],
                     rule=rule_read(chosen.rule, units, paths) if chosen.rule is not None else None,
                     reason=chosen.reason, applicable=[rule_read(r, units, paths) for r in trial.applicable])


def view_read(view: CatalogView, paths: Mapping[str, str]) -> ViewRead:
    return ViewRead(code=view.code, name=view.name, street=unit_read(view.unit) if view.unit is not None else None,
                    source=view.source, active=view.active,
                    items=[ViewItemRead(id=i.id, section=i.section, item=i.item, category_code=i.category_code,
                                        category_path=paths.get(i.category_code, i.category_code), grade=i.grade)
                           for i in view.items])
