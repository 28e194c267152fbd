"""JSON routes of early warnings: the list, one warning, and what the street does with it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from minhu.org.auth import ApiUser
from minhu.warning import queries, service
from minhu.warning.models import WarningState
from minhu.warning.present import warning_read
from minhu.warning.schemas import DismissRequest, TaskRequest, WarningPage, WarningRead
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["预警"], route_class=FormRoute)
WarningId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/warnings", response_model=WarningPage, responses=ERRORS(401, 403, 422))
def list_warnings(user: ApiUser, db: DB, state: WarningState | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> WarningPage:
    """The warnings the caller sees (a street's handler: its street's), newest week first."""
    with db.read() as session:
        found = queries.shown(session, queries.list_visible(session, user, state=state, limit=limit))
    return WarningPage(total=len(found), items=[warning_read(w) for w in found])


@router.get("/warnings/{warning_id}", response_model=WarningRead, responses=ERRORS(401, 403, 404, 422))
def get_warning(warning_id: WarningId, user: ApiUser, db: DB) -> WarningRead:
    with db.read() as session:
        warning = queries.get_visible(session, warning_id, user)
        return warning_read(queries.shown(session, [warning])[0])


@router.post("/warnings/{warning_id}/acknowledge", response_model=WarningRead,
             responses=ERRORS(401, 403, 404, 409, 422))
def acknowledge_warning(warning_id: WarningId, user: ApiUser, db: DB) -> WarningRead:
    """The street has seen it (a new warning only)."""
    with db.transaction() as session:
        warning = service.acknowledge(session, queries.get_visible(session, warning_id, user, for_update=True),
                                      actor=user)
        return warning_read(queries.shown(session, [warning])[0])


@router.post("/warnings/{warning_id}/task", response_model=WarningRead, responses=ERRORS(401, 403, 404, 409, 422))
def task_warning(warning_id: WarningId, body: TaskRequest, user: ApiUser, db: DB) -> WarningRead:
    """转为任务: the unit that acts (a street's handler: a unit of its street), by when, and what to do."""
    with db.transaction() as session:
        warning = queries.get_visible(session, warning_id, user, for_update=True)
        service.make_task(session, warning, actor=user, unit_id=body.unit_id, due_on=body.due_on, note=body.note)
        return warning_read(queries.shown(session, [warning])[0])


@router.post("/warnings/{warning_id}/dismiss", response_model=WarningRead, responses=ERRORS(401, 403, 404, 409, 422))
def dismiss_warning(warning_id: WarningId, body: DismissRequest, user: ApiUser, db: DB) -> WarningRead:
    """Judged no matter, with the reason."""
    with db.transaction() as session:
        warning = queries.get_visible(session, warning_id, user, for_update=True)
        service.dismiss(session, warning, actor=user, reason=body.reason)
        return warning_read(queries.shown(session, [warning])[0])
