"""Errors of the work-order domain."""

from __future__ import annotations

from minhu.core.errors import Conflict, InvalidInput
from minhu.orders.states import ACTION_LABELS, STATUS_LABELS, Action, Status


class IllegalAction(Conflict):
    code = "illegal_action"

    def __init__(self, number: str, action: Action, status: Status, allowed: list[str]) -> None:
        # The person reads the action and the state by their names; the details keep the codes for programs.
        super().__init__(f"工单 {number} 当前为“{STATUS_LABELS[status]}”，不能{ACTION_LABELS[action]}",
                         details={"action": action.value, "status": status.value, "allowed_actions": allowed})


class StaleOrder(Conflict):
    code = "stale_order"

    def __init__(self, number: str, *, seen: int | None, current: int | None) -> None:
        super().__init__(f"工单 {number} 已被他人更新，请刷新后重试",
                         details={"expected_version": seen, "current_version": current})


class NoteRequired(InvalidInput):
    code = "note_required"

    def __init__(self, action: str, label: str) -> None:
        super().__init__(f"{label}不能为空", details=[{"field": "note", "message": f"{label}不能为空",
                                                      "action": action}])
