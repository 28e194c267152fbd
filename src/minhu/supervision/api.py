"""JSON routes of supervision: urge (催办) and supervise (督办) an order, and the lights board."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from minhu.core import clock
from minhu.orders import present, queries
from minhu.orders import service as order_service
from minhu.orders.schemas import OrderRead, SuperviseRequest, UrgeRequest
from minhu.org.auth import ApiUser
from minhu.supervision import alerts, service
from minhu.supervision.models import SweepAction
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["时限监管"], route_class=FormRoute)


@router.post("/orders/{number}/urge", response_model=OrderRead, responses=ERRORS(401, 403, 404, 422))
def urge(number: str, body: UrgeRequest, user: ApiUser, db: DB) -> OrderRead:
    """催办: a message to the owning unit's handlers in the caller's words and name (a leader's is headed 领导批示),
    recorded in the trail (centre and leaders)."""
    with db.transaction() as session:
        order = queries.get_for_update(session, number, viewer=user)
        order_service.urge(session, order, actor=user, note=body.note)
        alerts.notify_by_hand(session, order, SweepAction.URGE, actor=user, note=body.note)
        return present.order_read(order, user)


@router.post("/orders/{number}/supervise", response_model=OrderRead, responses=ERRORS(401, 403, 404, 422))
def supervise(number: str, body: SuperviseRequest, user: ApiUser, db: DB) -> OrderRead:
    """督办: a formal supervision with its own deadline (centre and leaders)."""
    with db.transaction() as session:
        order = queries.get_for_update(session, number, viewer=user)
        supervision = order_service.supervise(session, order, actor=user, note=body.note, due_at=body.due_at)
        alerts.notify_by_hand(session, order, SweepAction.SUPERVISE, actor=user, note=body.note,
                              due_at=supervision.due_at)
        return present.order_read(order, user)


@router.get("/supervision/lights", responses=ERRORS(401, 403))
def lights(user: ApiUser, db: DB) -> dict[str, Any]:
    """Yellow and red orders by owning unit and limit, now."""
    service.check_watcher(user)
    with db.read() as session:
        board = service.board(session, user, clock.now())
    return {"units": [{"unit": {"id": row.unit.id, "code": row.unit.code, "name": row.unit.name},
                       "counts": [{"limit": limit.value, "light": light.value, "orders": n}
                                  for (limit, light), n in row.counts.items()]} for row in board.units]}
