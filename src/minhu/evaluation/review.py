"""Reply quality of a work order: the pure scoring of ``reply_quality`` fed with the order's request, its
reply and its working days (from the city's working-day calendar), for the centre's review (审核)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from minhu.core.errors import Conflict
from minhu.deadlines import service as deadlines
from minhu.evaluation.reply_quality import ReplyInput, ReplyQuality, score
from minhu.orders.models import WorkOrder


class NoReply(Conflict):
    code = "no_reply"

    def __init__(self, number: str, status: str) -> None:
        super().__init__(f"工单 {number} 尚无答复，无法评价答复质量", details={"number": number, "status": status})


def _working_days(session: Session, start: datetime, end: datetime) -> float:
    calendar = deadlines.work_calendar(session)
    return deadlines.working_minutes_left(session, start, end) / calendar.day_minutes()


def reply_input(session: Session, order: WorkOrder) -> ReplyInput:
    """The order as the scorer reads it; raises NoReply (409) when the order has no reply yet."""
    if not (order.reply_text or "").strip():
        raise NoReply(order.number, order.status.value)
    taken = _working_days(session, order.created_at, order.replied_at) if order.replied_at else None
    limit = _working_days(session, order.created_at, order.finish_due_at) if order.finish_due_at else None
    # A limit shorter than a working day (urgent orders count in hours) still reads as a limit, not as none.
    return ReplyInput(title=order.title, detail=order.content, reply=order.reply_text or "", days_taken=taken,
                      limit_days=max(limit, 0.01) if limit is not None else None)


def quality_of(session: Session, order: WorkOrder) -> ReplyQuality:
    """The order's reply quality; raises NoReply (409) when it has no reply."""
    return score(reply_input(session, order))
