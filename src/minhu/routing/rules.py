"""The responsibility matrix as administrators keep it: each rule checked against the others before it is
saved, the matrix checked as a whole for rules that can never decide, and a trial of what would decide.

Two active rules for the same category at the same place naming different owners would leave the answer
to their ids; such a rule is refused, naming the rule it conflicts with, so that the administrator settles
the question instead of the database. The page and the API share every check here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core.errors import InvalidInput, NotFound
from minhu.org.models import Unit, User
from minhu.org.roles import DISPATCHABLE_KINDS, TERRITORIAL_KINDS, UNIT_KIND_LABELS, UnitKind
from minhu.routing import service
from minhu.routing.grading import GradeDecision, grade_order, listed_item
from minhu.routing.matrix import OwnerChoice, choose_owner, describe_rule, rank, rule_applies
from minhu.routing.models import Category, RoutingRule
from minhu.routing.schemas import RuleUpdate, RuleWrite

log = logging.getLogger("minhu.routing")


def get_rule(session: Session, rule_id: int) -> RoutingRule:
    """Raises NotFound."""
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"责任规则 #{rule_id} 不存在", code="rule_not_found")
    return rule


def get_place(session: Session, unit_id: int) -> Unit:
    """A unit an order can stand in (district, street, community, grid). Raises InvalidInput."""
    place = session.get(Unit, unit_id)
    if place is None or place.kind not in TERRITORIAL_KINDS:
        message = f"地点须为区、街道、社区或网格（单位 #{unit_id} 不是）"
        raise InvalidInput(message, details=[{"field": "place_unit_id", "message": message}])
    return place


def list_rules(session: Session, *, category_code: str | None = None, place: Unit | None = None,
               active: bool | None = None) -> list[RoutingRule]:
    """Rules on ``category_code`` or below it, at ``place`` or below it; matrix order (category, place)."""
    query = select(RoutingRule).outerjoin(Unit, Unit.id == RoutingRule.place_unit_id)
    if category_code:
        query = query.where(RoutingRule.category_code.startswith(category_code))
    if place is not None:
        query = query.where(Unit.path.startswith(place.path))
    if active is not None:
        query = query.where(RoutingRule.active.is_(active))
    rules = list(session.scalars(query))
    return sorted(rules, key=lambda r: (r.category_code or "", r.place_unit.path if r.place_unit else "", r.id))


@dataclass(frozen=True)
class UnitChoices:
    """What the console's rule forms offer, in tree order: grids are left out (thousands of them; the API
    takes any unit), except those ``keep`` names — the units of the rule being edited."""

    places: list[Unit]
    owners: list[Unit]


# Departments first: the matrix is mostly about which department answers for what.
OWNER_ORDER = (UnitKind.DEPARTMENT, UnitKind.ENFORCEMENT, UnitKind.OFFICE, UnitKind.STREET, UnitKind.COMMUNITY,
               UnitKind.PROPERTY, UnitKind.GRID)


def unit_choices(session: Session, *, keep: Iterable[int | None] = ()) -> UnitChoices:
    kept = {i for i in keep if i is not None}
    units = session.scalars(select(Unit).where(Unit.active.is_(True) | Unit.id.in_(kept)).order_by(Unit.path))
    places, owners = [], []
    for unit in units:
        offered = unit.kind is not UnitKind.GRID or unit.id in kept
        if offered and unit.kind in TERRITORIAL_KINDS:
            places.append(unit)
        if offered and unit.kind in DISPATCHABLE_KINDS:
            owners.append(unit)
    owners.sort(key=lambda u: OWNER_ORDER.index(u.kind) if u.kind in OWNER_ORDER else len(OWNER_ORDER))
    return UnitChoices(places, owners)


def units_of(session: Session, rules: list[RoutingRule]) -> dict[int, Unit]:
    """The co-handlers the rules name, by id (owners and places come with the rules)."""
    ids = {i for rule in rules for i in rule.co_handler_ids}
    return {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))} if ids else {}


def _unit_problem(unit: Unit | None, unit_id: int, *, what: str) -> str | None:
    if unit is None:
        return f"{what}（单位 #{unit_id}）不存在"
    if not unit.active:
        return f"{what}“{unit.name}”已撤销"
    if unit.kind not in DISPATCHABLE_KINDS:
        return f"{what}“{unit.name}”是{UNIT_KIND_LABELS[unit.kind]}，不能接收工单"
    return None


def _field_problems(session: Session, data: RuleWrite) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    if data.category_code is not None:
        category = session.get(Category, data.category_code)
        if category is None:
            problems.append({"field": "category_code", "message": f"分类 {data.category_code} 不存在"})
        elif not category.active and data.active:
            problems.append({"field": "category_code",
                             "message": f"分类 {category.code}“{category.name}”已停用，不能再为它定规则"})
    if data.place_unit_id is not None:
        place = session.get(Unit, data.place_unit_id)
        if place is None:
            problems.append({"field": "place_unit_id", "message": f"地点（单位 #{data.place_unit_id}）不存在"})
        elif place.kind not in TERRITORIAL_KINDS:
            kind = UNIT_KIND_LABELS[place.kind]
            problems.append({"field": "place_unit_id",
                             "message": f"地点须为区、街道、社区或网格，“{place.name}”是{kind}"})
        elif not place.active and data.active:
            problems.append({"field": "place_unit_id", "message": f"地点“{place.name}”已撤销"})
        elif place.parent_id is None:
            # The top of the tree is everywhere: two spellings of one scope would hide conflicts.
            problems.append({"field": "place_unit_id",
                             "message": f"“{place.name}”即全辖区：全辖区的规则请不选地点"})
    owner_problem = _unit_problem(session.get(Unit, data.owner_unit_id), data.owner_unit_id, what="承办单位")
    if owner_problem:
        problems.append({"field": "owner_unit_id", "message": owner_problem})
    seen: set[int] = set()
    for unit_id in data.co_handler_ids:
        unit = session.get(Unit, unit_id)
        if unit_id == data.owner_unit_id:
            message: str | None = f"“{unit.name if unit else unit_id}”已是承办单位，不能同时列为协办单位"
        elif unit_id in seen:
            message = f"协办单位“{unit.name if unit else unit_id}”重复"
        else:
            message = _unit_problem(unit, unit_id, what="协办单位")
        seen.add(unit_id)
        if message:
            problems.append({"field": "co_handler_ids", "message": message})
    return problems


def check_rule(session: Session, data: RuleWrite, *, rule_id: int | None = None) -> None:
    """Refuse a rule that cannot stand, before anything is written.

    Raises InvalidInput: ``rule_invalid`` naming each bad field (a category that does not exist, a place
    that is not on the map, an owner or co-handler that cannot receive orders, the owner listed again as
    co-handler); ``rule_conflict`` when another active rule gives the same category at the same place to
    another owner; ``rule_duplicate`` when one already gives it to the same owner. Both name that rule.
    """
    problems = _field_problems(session, data)
    if problems:
        raise InvalidInput("；".join(p["message"] for p in problems), details=problems, code="rule_invalid")
    if not data.active:
        return  # an inactive rule decides nothing, so it cannot contradict one that does
    same_scope = select(RoutingRule).where(
        RoutingRule.active.is_(True),
        RoutingRule.category_code.is_(None) if data.category_code is None
        else RoutingRule.category_code == data.category_code,
        RoutingRule.place_unit_id.is_(None) if data.place_unit_id is None
        else RoutingRule.place_unit_id == data.place_unit_id)
    if rule_id is not None:
        same_scope = same_scope.where(RoutingRule.id != rule_id)
    for other in session.scalars(same_scope.order_by(RoutingRule.id)):
        owner = other.owner_unit
        detail = {"field": "owner_unit_id", "rule_id": other.id, "rule": describe_rule(other),
                  "owner": {"id": owner.id, "code": owner.code, "name": owner.name}}
        if other.owner_unit_id == data.owner_unit_id:
            message = (f"与规则 #{other.id} 重复：同一分类、同一地点已由“{owner.name}”负责"
                       f"（{describe_rule(other)}）；请直接修改该规则")
            raise InvalidInput(message, details=[{**detail, "message": message}], code="rule_duplicate")
        message = (f"与规则 #{other.id} 冲突：同一分类、同一地点已由“{owner.name}”负责"
                   f"（{describe_rule(other)}）；请先修改或停用规则 #{other.id}")
        raise InvalidInput(message, details=[{**detail, "message": message}], code="rule_conflict")


def _write(rule: RoutingRule, data: RuleWrite) -> None:
    rule.category_code, rule.place_unit_id = data.category_code, data.place_unit_id
    rule.owner_unit_id, rule.co_handler_ids = data.owner_unit_id, list(data.co_handler_ids)
    rule.source, rule.decided_on, rule.note, rule.active = data.source, data.decided_on, data.note, data.active


def _refresh(session: Session, rule: RoutingRule) -> None:
    """Flush, then load the rule's units and category afresh: its description names them."""
    session.flush()
    session.refresh(rule)
    service.forget_routing(session)


def add_rule(session: Session, data: RuleWrite, *, actor: User) -> RoutingRule:
    """Add a rule after check_rule (whose InvalidInput it raises)."""
    check_rule(session, data)
    rule = RoutingRule()
    _write(rule, data)
    session.add(rule)
    _refresh(session, rule)
    log.info("%s added matrix rule #%s: %s", actor.username, rule.id, describe_rule(rule))
    return rule


def update_rule(session: Session, rule_id: int, changes: RuleUpdate, *, actor: User) -> RoutingRule:
    """Change the given fields; the rule is checked again as a whole. Raises NotFound, InvalidInput."""
    rule = get_rule(session, rule_id)
    merged = RuleWrite.model_validate({**_values(rule), **changes.model_dump(exclude_unset=True)})
    check_rule(session, merged, rule_id=rule.id)
    _write(rule, merged)
    _refresh(session, rule)
    log.info("%s changed matrix rule #%s: %s (active: %s)", actor.username, rule.id, describe_rule(rule),
             rule.active)
    return rule


def _values(rule: RoutingRule) -> dict[str, object]:
    return {"category_code": rule.category_code, "place_unit_id": rule.place_unit_id,
            "owner_unit_id": rule.owner_unit_id, "co_handler_ids": list(rule.co_handler_ids),
            "source": rule.source, "decided_on": rule.decided_on, "note": rule.note, "active": rule.active}


def add_ruling(session: Session, *, category_code: str, owner_unit_id: int, source: str, decided_on: date,
               note: str, actor: User) -> RoutingRule:
    """A dispatcher's ruling on who owns a category (after a 退单) as a district-wide rule. A ruling settles the
    question, so it supersedes an active rule that gave the category to another unit — deactivated, with the
    ruling named in its note — and a rule that already says the same is kept, not doubled.
    Raises InvalidInput (the category or the owner cannot take a rule)."""
    data = RuleWrite(category_code=category_code, owner_unit_id=owner_unit_id, source=source, decided_on=decided_on,
                     note=note)
    problems = _field_problems(session, data)
    if problems:
        raise InvalidInput("；".join(p["message"] for p in problems), details=problems, code="rule_invalid")
    same_scope = session.scalars(select(RoutingRule).where(
        RoutingRule.active.is_(True), RoutingRule.category_code == category_code,
        RoutingRule.place_unit_id.is_(None)).order_by(RoutingRule.id))
    for other in same_scope:
        if other.owner_unit_id == owner_unit_id:
            return other
        other.active = False
        other.note = f"{other.note}\n" if other.note else ""
        other.note += f"{decided_on.isoformat()} 由{source}取代"
        log.info("%s's ruling supersedes matrix rule #%s", actor.username, other.id)
    session.flush()  # the superseded rules are inactive before the new one is checked against them
    return add_rule(session, data, actor=actor)


def set_rule_active(session: Session, rule_id: int, active: bool, *, actor: User) -> RoutingRule:
    """Deactivate (never delete: decisions name their rule) or reactivate a rule, checked like any change."""
    return update_rule(session, rule_id, RuleUpdate(active=active), actor=actor)


# --- the matrix as a whole ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shadowed:
    rule: RoutingRule
    by: RoutingRule | None  # None: nothing can reach it any more
    reason: str


def _covers(other: RoutingRule, rule: RoutingRule, scope: frozenset[str]) -> bool:
    """Whether ``other`` applies to every order ``rule`` applies to (categories: the active ones)."""
    if other.place_unit is not None and (rule.place_unit is None or not rule.place_unit.is_within(other.place_unit)):
        return False
    return other.category_code is None or all(code.startswith(other.category_code) for code in scope)


def shadowed_rules(session: Session) -> list[Shadowed]:
    """Active rules that never decide an order: another rule applies wherever they apply and always ranks
    above them (a finer place or category, or the same scope and older), or their category or place is
    gone. The ranking does not depend on the order, so this is exact, not a guess."""
    active_codes = list(session.scalars(select(Category.code).where(Category.active.is_(True))))
    rules = list(session.scalars(select(RoutingRule).where(RoutingRule.active.is_(True))))
    found: list[Shadowed] = []
    for rule in sorted(rules, key=lambda r: r.id):
        scope = frozenset(c for c in active_codes if rule.category_code is None or c.startswith(rule.category_code))
        if not scope:
            found.append(Shadowed(rule, None, f"分类 {rule.category_code} 及其下级均已停用，此规则不会再匹配任何工单"))
            continue
        if rule.place_unit is not None and not rule.place_unit.active:
            found.append(Shadowed(rule, None, f"地点“{rule.place_unit.name}”已撤销，新工单不会再落在这里"))
            continue
        covering = [o for o in rules if o.id != rule.id and rank(o) > rank(rule) and _covers(o, rule, scope)]
        if not covering:
            continue
        winner = max(covering, key=rank)
        if rank(winner)[:2] == rank(rule)[:2]:
            reason = f"与规则 #{winner.id} 的分类和地点相同，#{winner.id} 在先，总是由它决定"
        else:
            reason = f"规则 #{winner.id} 覆盖它的全部范围且更具体，总是由它决定"
        found.append(Shadowed(rule, winner, reason))
    return found


# --- a trial: which rule would decide ------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    category: Category | None
    place: Unit | None
    grade: GradeDecision
    owner: OwnerChoice
    applicable: list[RoutingRule]  # the winner first


def _ancestry(session: Session, place: Unit) -> dict[UnitKind, Unit]:
    ids = [int(part) for part in place.path.strip("/").split("/") if part]
    return {unit.kind: unit for unit in session.scalars(select(Unit).where(Unit.id.in_(ids)))}


def try_rules(session: Session, *, category_code: str | None, place_unit_id: int | None) -> Trial:
    """What routing would grade and whom it would choose for an order of this category at this place
    (its text aside: danger words and the like can only raise the grade). Raises InvalidInput."""
    tables = service.tables(session)
    category = None
    if category_code:
        category = tables.categories.get(category_code)
        if category is None:
            message = f"分类 {category_code} 不存在或已停用"
            raise InvalidInput(message, details=[{"field": "category_code", "message": message}])
    place = get_place(session, place_unit_id) if place_unit_id is not None else None
    above = _ancestry(session, place) if place is not None else {}
    street, community = above.get(UnitKind.STREET), above.get(UnitKind.COMMUNITY)
    listed = listed_item(tables.listed, street.id if street is not None else None, category)
    grade = grade_order("", category, listed=listed)
    owner = choose_owner(session, tables.rules, category, grade.grade, street=street, community=community,
                         place=place)
    applicable = sorted((r for r in tables.rules if rule_applies(r, category, place)), key=rank, reverse=True)
    return Trial(category, place, grade, owner, applicable)
