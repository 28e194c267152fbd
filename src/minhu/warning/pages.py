"""The early-warning page (/warnings): each break-out with its figures and orders, and the street's answer to it —
acknowledge, turn into a task, dismiss — and, for an administrator, the rule's parameters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from minhu.core.errors import DomainError
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.warning import permissions, queries, service
from minhu.warning import policy as policies
from minhu.warning.method import Policy
from minhu.warning.models import WARNING_STATE_LABELS, WarningState
from minhu.warning.schemas import DismissRequest, TaskRequest
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.forms import validated
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
WarningId = Annotated[int, Path(ge=1, le=2_147_483_647)]
LISTED = 200
TASK_LABELS = {"unit_id": "责任单位", "due_on": "完成期限", "note": "任务要求"}
# What each parameter means, in the words the administrator's form shows.
POLICY_LABELS = {
    "alpha": "灵敏度（显著性水平，越小越少报）", "min_count": "最少件数（少于此数不预警）",
    "trailing_weeks": "基线周数（本年此前若干周）", "season_window": "去年同期前后各取几周",
    "seasonal_weight": "季节项权重（0 不看去年）", "dispersion": "离散参数 r（0 为泊松）",
    "min_expected": "常态件数下限", "min_history_weeks": "至少几周有数据才研判",
    "level_min": "总量比下限", "level_max": "总量比上限", "category_level": "按几级分类统计（1 或 2）",
    "scan_weeks": "每次扫描的周数",
}


def _back(request: Request, warning_id: int | None = None) -> RedirectResponse:
    return RedirectResponse(f"/warnings{f'#warning-{warning_id}' if warning_id else ''}", status_code=303)


@router.get("/warnings")
def warnings_page(request: Request, user: PageUser, db: DB,
                  state: Annotated[str, Query(max_length=16)] = "") -> Response:
    """The warnings the viewer sees, newest week first; the open ones unless another state is chosen."""
    chosen = WarningState(state) if state in WarningState.__members__.values() else None
    with db.read() as session:
        found = queries.shown(session, queries.list_visible(session, user, state=chosen, limit=LISTED))
        units = queries.task_units(session, user)
        policy = policies.current(session)
    return render(request, "warning/list.html", user=user, csrf=csrf_token(request), found=found, state=state,
                  units=units, policy=policy.as_dict(), policy_labels=POLICY_LABELS,
                  may_edit_policy=permissions.may_edit_policy(user), state_labels=WARNING_STATE_LABELS,
                  WarningState=WarningState, flashes=pop_flashes(request))


def _form(raw: Any) -> dict[str, str]:
    return {k: v for k, v in raw.items() if isinstance(v, str)}


def _unit_id(raw: str) -> int | str:
    """A form's unit as the number the request model wants (it takes no numeric string), else as sent."""
    return int(raw) if raw.isascii() and raw.isdecimal() and len(raw) <= 10 else raw


@router.post("/warnings/{warning_id}/acknowledge", dependencies=[CsrfProtected])
def acknowledge_warning(request: Request, user: PageUser, db: DB, warning_id: WarningId) -> Response:
    try:
        with db.transaction() as session:
            service.acknowledge(session, queries.get_visible(session, warning_id, user, for_update=True), actor=user)
    except DomainError as exc:
        if exc.status != 409:
            raise
        flash(request, exc.message, "error")
        return _back(request, warning_id)
    flash(request, "预警已确认")
    return _back(request, warning_id)


@router.post("/warnings/{warning_id}/task", dependencies=[CsrfProtected])
async def task_warning(request: Request, user: PageUser, db: DB, warning_id: WarningId) -> Response:
    form = _form(await request.form())
    try:
        data = validated(TaskRequest, {"unit_id": _unit_id(form.get("unit_id", "")),
                                       "due_on": form.get("due_on") or None, "note": form.get("note", "")},
                         TASK_LABELS)
        with db.transaction() as session:
            warning = queries.get_visible(session, warning_id, user, for_update=True)
            service.make_task(session, warning, actor=user, unit_id=data.unit_id, due_on=data.due_on, note=data.note)
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        flash(request, exc.message, "error")
        return _back(request, warning_id)
    flash(request, "预警已转为任务")
    return _back(request, warning_id)


@router.post("/warnings/{warning_id}/dismiss", dependencies=[CsrfProtected])
async def dismiss_warning(request: Request, user: PageUser, db: DB, warning_id: WarningId) -> Response:
    form = _form(await request.form())
    try:
        data = validated(DismissRequest, {"reason": form.get("reason", "")}, {"reason": "排除理由"})
        with db.transaction() as session:
            warning = queries.get_visible(session, warning_id, user, for_update=True)
            service.dismiss(session, warning, actor=user, reason=data.reason)
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        flash(request, exc.message, "error")
        return _back(request, warning_id)
    flash(request, "预警已排除")
    return _back(request, warning_id)


@router.post("/warnings/policy", dependencies=[CsrfProtected])
async def save_policy(request: Request, user: PageUser, db: DB) -> Response:
    """The administrator's parameters; an empty field keeps the value in force."""
    permissions.check_policy_editor(user)
    form = _form(await request.form())
    values = {key: form[key].strip() for key in Policy().as_dict() if form.get(key, "").strip()}
    try:
        with db.transaction() as session:
            if form.get("reset"):
                policies.reset(session)
            else:
                policies.save(session, values, actor=user)
    except DomainError as exc:
        if exc.status != 422:
            raise
        flash(request, exc.message, "error")
        return _back(request)
    flash(request, "预警参数已恢复默认" if form.get("reset") else "预警参数已保存，下次扫描起生效")
    return _back(request)
