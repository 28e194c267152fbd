"""The console's pages of the responsibility matrix: the rules, filtered; adding and editing one (refused
with the reason, the rule it meets named, and nothing saved); the rules that never decide; and 试算 — which
rule would decide an order of this category at this place, and why.

Administrators edit; dispatchers read and try.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from minhu.core.db import Database
from minhu.core.errors import InvalidInput
from minhu.core.types import MAX_ROW_ID
from minhu.org.auth import CsrfProtected, PageUser
from minhu.org.models import User
from minhu.routing import categories, forms, permissions, rules
from minhu.routing.console import done, form_of, page, trouble, write
from minhu.routing.schemas import RuleUpdate
from minhu.web.deps import DB
from minhu.web.flash import flash
from minhu.web.formdata import FormRoute
from minhu.web.forms import BOOL_TRUE
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)

RuleId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
# Filters come from the page's own selects; anything else reads as "no filter".
CategoryFilter = Annotated[str, Query(max_length=6, pattern=r"^(\d{2}){0,3}$")]
PlaceFilter = Annotated[str, Query(max_length=10, pattern=r"^\d{0,10}$")]


def _id_or_none(value: str) -> int | None:
    return int(value) if value and int(value) <= MAX_ROW_ID else None


def _trouble(exc: InvalidInput) -> dict[str, Any]:
    """As console.trouble, with the rule a conflict or a duplicate meets (its whole story is in the message:
    at the field, its number is enough)."""
    shown = trouble(exc)
    details = exc.details if isinstance(exc.details, list) else []
    conflict = next((d for d in details if "rule_id" in d), None)
    if conflict is not None:
        shown["errors"][conflict["field"]] = f"与规则 #{conflict['rule_id']} 冲突" if exc.code == "rule_conflict" \
            else f"与规则 #{conflict['rule_id']} 重复"
    return {**shown, "conflict": conflict}


def _trial(db: Database, category: str, place: str) -> dict[str, Any]:
    """The try form's answer, or its problem, for the page."""
    if not category and not place:
        return {"trial": None, "trial_message": None}
    try:
        with db.read() as session:
            trial = rules.try_rules(session, category_code=category or None, place_unit_id=_id_or_none(place))
            units = rules.units_of(session, trial.applicable)
            paths = categories.category_paths(session)
    except InvalidInput as exc:
        return {"trial": None, "trial_message": exc.message}
    return {"trial": trial, "trial_units": units, "trial_paths": paths, "trial_message": None}


def _matrix(request: Request, user: User, db: Database, *, category: str = "", place: str = "",
            try_category: str = "", try_place: str = "", status_code: int = 200, **context: Any) -> Response:
    with db.read() as session:
        place_unit = rules.get_place(session, int(place)) if _id_or_none(place) else None
        found = rules.list_rules(session, category_code=category or None, place=place_unit)
        units = rules.units_of(session, found)
        choices = rules.unit_choices(session)
        category_choices = categories.active_choices(session)
        paths = categories.category_paths(session)
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return page(request, "routing/matrix.html", user, status_code, rules=found, units=units, choices=choices,
                 category_choices=category_choices, paths=paths,
                 filters={"category": category, "place": place, "try_category": try_category,
                          "try_place": try_place},
                 **_trial(db, try_category, try_place), **context)


@router.get("/admin/matrix")
def matrix_page(request: Request, user: PageUser, db: DB, category: CategoryFilter = "", place: PlaceFilter = "",
                try_category: CategoryFilter = "", try_place: PlaceFilter = "") -> Response:
    permissions.ensure_reader(user)
    return _matrix(request, user, db, category=category, place=place, try_category=try_category,
                   try_place=try_place)


@router.get("/admin/matrix/try")
def try_fragment(request: Request, user: PageUser, db: DB, try_category: CategoryFilter = "",
                 try_place: PlaceFilter = "") -> Response:
    """htmx: the try form's answer alone, swapped into the matrix page."""
    permissions.ensure_reader(user)
    return render(request, "routing/_trial.html", **_trial(db, try_category, try_place))


@router.get("/admin/matrix/check")
def check_page(request: Request, user: PageUser, db: DB) -> Response:
    permissions.ensure_reader(user)
    with db.read() as session:
        found = rules.shadowed_rules(session)
        paths = categories.category_paths(session)
    return page(request, "routing/check.html", user, shadowed=found, paths=paths)


def _save(db: Database, user: User, form: dict[str, str], co_handlers: list[str], rule_id: int | None) -> int:
    data = forms.rule_write(form, co_handler_ids=co_handlers,
                            active=rule_id is None or form.get("active") in BOOL_TRUE)
    with db.transaction() as session:
        if rule_id is None:
            return rules.add_rule(session, data, actor=user).id
        return rules.update_rule(session, rule_id, RuleUpdate.model_validate(data.model_dump()), actor=user).id


async def _submitted(request: Request) -> tuple[dict[str, str], list[str]]:
    submitted = await request.form()
    form = {k: v for k, v in submitted.items() if isinstance(v, str)}
    return form, [v for v in submitted.getlist("co_handler_ids") if isinstance(v, str)]


@router.post("/admin/matrix/rules", dependencies=[CsrfProtected])
async def add_rule(request: Request, user: PageUser, db: DB) -> Response:
    """A new rule; refused with the reason shown at the form (the rule it meets named), nothing saved."""
    permissions.ensure_editor(user)
    form, co_handlers = await _submitted(request)
    try:
        rule_id = await run_in_threadpool(_save, db, user, form, co_handlers, None)
    except InvalidInput as exc:
        return await run_in_threadpool(partial(_matrix, request, user, db, status_code=422, form=form,
                                               co_handlers=co_handlers, **_trouble(exc)))
    return done(request, f"/admin/matrix#rule-{rule_id}", f"已新增规则 #{rule_id}")


def _rule_page(request: Request, user: User, db: Database, rule_id: int, status_code: int = 200,
               **context: Any) -> Response:
    with db.read() as session:
        rule = rules.get_rule(session, rule_id)
        choices = rules.unit_choices(session, keep=[rule.place_unit_id, rule.owner_unit_id, *rule.co_handler_ids])
        category_choices = categories.active_choices(session)
        paths = categories.category_paths(session)
    if "form" not in context:
        context["form"] = {"category_code": rule.category_code or "", "place_unit_id": str(rule.place_unit_id or ""),
                           "owner_unit_id": str(rule.owner_unit_id), "source": rule.source,
                           "decided_on": rule.decided_on.isoformat() if rule.decided_on else "", "note": rule.note,
                           "active": "true" if rule.active else ""}
        context["co_handlers"] = [str(i) for i in rule.co_handler_ids]
    context.setdefault("errors", {})
    return page(request, "routing/rule.html", user, status_code, rule=rule, choices=choices,
                 category_choices=category_choices, paths=paths, **context)


@router.get("/admin/matrix/rules/{rule_id}")
def rule_page(request: Request, rule_id: RuleId, user: PageUser, db: DB) -> Response:
    permissions.ensure_reader(user)
    return _rule_page(request, user, db, rule_id)


@router.post("/admin/matrix/rules/{rule_id}", dependencies=[CsrfProtected])
async def update_rule(request: Request, rule_id: RuleId, user: PageUser, db: DB) -> Response:
    permissions.ensure_editor(user)
    form, co_handlers = await _submitted(request)
    try:
        await run_in_threadpool(_save, db, user, form, co_handlers, rule_id)
    except InvalidInput as exc:
        return await run_in_threadpool(partial(_rule_page, request, user, db, rule_id, 422, form=form,
                                               co_handlers=co_handlers, **_trouble(exc)))
    return done(request, f"/admin/matrix#rule-{rule_id}", f"已保存规则 #{rule_id}")


@router.post("/admin/matrix/rules/{rule_id}/active", dependencies=[CsrfProtected])
async def set_rule_active(request: Request, rule_id: RuleId, user: PageUser, db: DB) -> Response:
    """Deactivate a rule, or reactivate it (checked like a new one)."""
    permissions.ensure_editor(user)
    active = (await form_of(request)).get("active") in BOOL_TRUE
    try:
        await run_in_threadpool(write, db, lambda s: rules.set_rule_active(s, rule_id, active, actor=user))
    except InvalidInput as exc:
        flash(request, f"规则 #{rule_id} 未能启用：{exc.message}", "error")
    else:
        flash(request, f"已{'启用' if active else '停用'}规则 #{rule_id}")
    return RedirectResponse(f"/admin/matrix#rule-{rule_id}", status_code=303)
