"""The writers of an early warning's state: acknowledge, turn into a task, dismiss — each allowed only from the
states the table below names. They flush; the caller commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import Conflict, InvalidInput, field_error
from minhu.org.models import Unit, User
from minhu.warning import permissions
from minhu.warning.models import WARNING_STATE_LABELS, EarlyWarning, WarningState

ALLOWED_TRANSITIONS: dict[WarningState, frozenset[WarningState]] = {
    WarningState.NEW: frozenset({WarningState.ACKNOWLEDGED, WarningState.TASK, WarningState.DISMISSED}),
    WarningState.ACKNOWLEDGED: frozenset({WarningState.TASK, WarningState.DISMISSED}),
    WarningState.TASK: frozenset(),
    WarningState.DISMISSED: frozenset(),
}
VERBS = {WarningState.ACKNOWLEDGED: "确认", WarningState.TASK: "转为任务", WarningState.DISMISSED: "排除"}


def _set_state(warning: EarlyWarning, target: WarningState) -> None:
    """Raises Conflict when the warning's state does not allow ``target``."""
    if target not in ALLOWED_TRANSITIONS[warning.state]:
        raise Conflict(f"预警{WARNING_STATE_LABELS[warning.state]}，不能{VERBS[target]}", code="warning_state",
                       details={"state": warning.state.value, "wanted": target.value})
    warning.state = target
    warning.updated_at = clock.now()


def acknowledge(session: Session, warning: EarlyWarning, *, actor: User) -> EarlyWarning:
    """The street has seen it. Raises Conflict (already handled)."""
    _set_state(warning, WarningState.ACKNOWLEDGED)
    warning.acknowledged_by_id, warning.acknowledged_at = actor.id, warning.updated_at
    session.flush()
    return warning


def make_task(session: Session, warning: EarlyWarning, *, actor: User, unit_id: int, due_on: date,
              note: str) -> EarlyWarning:
    """Turn the warning into a task for ``unit_id`` by ``due_on``. A street's handler gives it to a unit of the
    street. Raises Conflict (already a task or dismissed), InvalidInput (the unit, the date, the note)."""
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise field_error("unit_id", "请选择在用的责任单位")
    street = permissions.street_scope(session, actor)
    if street is not None and not unit.path.startswith(street.path):
        raise field_error("unit_id", f"只能交给{street.name}的单位")
    if due_on < clock.city_now().date():
        raise field_error("due_on", "完成期限不能早于今天")
    if not note.strip():
        raise field_error("note", "请写明任务要求")
    if warning.state is WarningState.NEW:
        warning.acknowledged_by_id, warning.acknowledged_at = actor.id, clock.now()
    _set_state(warning, WarningState.TASK)
    warning.task_unit_id, warning.task_due_on, warning.task_note = unit.id, due_on, note.strip()
    warning.task_by_id, warning.task_at = actor.id, warning.updated_at
    session.flush()
    return warning


def dismiss(session: Session, warning: EarlyWarning, *, actor: User, reason: str) -> EarlyWarning:
    """Judged no matter (a known event, a data error). Raises Conflict, InvalidInput (no reason)."""
    if not reason.strip():
        raise InvalidInput("请写明排除理由", details=[{"field": "reason", "message": "请写明排除理由"}],
                           code="reason_required")
    _set_state(warning, WarningState.DISMISSED)
    warning.dismissed_by_id, warning.dismissed_at, warning.dismiss_reason = actor.id, warning.updated_at, reason.strip()
    session.flush()
    return warning
