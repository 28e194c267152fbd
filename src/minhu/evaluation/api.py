"""JSON routes of evaluation under /api/v1: the reply quality of an order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from minhu.evaluation import review
from minhu.evaluation.schemas import ReplyQualityRead, reply_quality_read
from minhu.orders import queries
from minhu.org.auth import ApiUser
from minhu.web.deps import DB
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["评价"])

OrderNumber = Annotated[str, Path(max_length=32, description="工单编号，如 WC20261122000123")]


@router.get("/orders/{number}/reply-quality", response_model=ReplyQualityRead, responses=ERRORS(401, 404, 409))
def read_reply_quality(number: OrderNumber, user: ApiUser, db: DB) -> ReplyQualityRead:
    """How well the order's reply answers the request (答复质量): score, grade, each criterion with its
    reasons, the missing parts. 409 ``no_reply`` while the order has no reply."""
    with db.read() as session:
        order = queries.get_visible(session, number, viewer=user)
        return reply_quality_read(number, review.quality_of(session, order))
