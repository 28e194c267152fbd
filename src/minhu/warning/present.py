"""A warning as the API shows it."""

from __future__ import annotations

from minhu.warning.models import WARNING_STATE_LABELS
from minhu.warning.queries import ShownWarning
from minhu.warning.schemas import WarningOrder, WarningRead, WarningTask


def warning_read(shown: ShownWarning) -> WarningRead:
    w = shown.warning
    task = (WarningTask(unit_id=w.task_unit_id, unit_name=shown.task_unit, due_on=w.task_due_on, note=w.task_note,
                        by_id=w.task_by_id, at=w.task_at)
            if w.task_unit_id is not None and w.task_due_on is not None else None)
    return WarningRead(id=w.id, state=w.state, state_label=WARNING_STATE_LABELS[w.state], community_id=w.community_id,
                       community_name=shown.community, street_id=w.street_id, street_name=shown.street,
                       category_code=w.category_code, category_name=shown.category, week_start=w.week_start,
                       observed=w.observed, expected=w.expected, trailing_mean=w.trailing_mean,
                       last_year=w.last_year, p_value=w.p_value,
                       orders=[WarningOrder(number=n, title=t) for n, t in shown.orders],
                       detected_at=w.detected_at, acknowledged_by_id=w.acknowledged_by_id,
                       acknowledged_at=w.acknowledged_at, task=task, dismissed_at=w.dismissed_at,
                       dismiss_reason=w.dismiss_reason)
