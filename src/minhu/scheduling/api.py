"""JSON routes of leaders' scheduling (调度): the week, recording a meeting with its instructions (批示), a meeting,
and a unit's instructions with their acknowledgement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from minhu.core import clock
from minhu.org.auth import ApiUser
from minhu.scheduling import permissions, queries, service
from minhu.scheduling.models import InstructionState
from minhu.scheduling.schemas import AcknowledgeRequest, InstructionRead, MeetingCreate, MeetingRead, WeekRead
from minhu.scheduling.weeks import parse_week
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["领导调度"], route_class=FormRoute)
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/scheduling/weeks/{week}", response_model=WeekRead, responses=ERRORS(401, 403, 422))
def get_week(week: Annotated[str, Path(max_length=8, description="ISO 周，例如 2026-W49")], user: ApiUser,
             db: DB) -> WeekRead:
    """The leader's week: its bottom units (rankings over the week, default rate policy), the orders red now, the
    whistles (吹哨) not reported by the week's end, and the week's meetings and instructions with their state."""
    permissions.check_recorder(user)
    chosen = parse_week(week)
    with db.read() as session:
        return queries.week_view(session, chosen, viewer=user, now=clock.now(), today=clock.city_now().date())


@router.post("/scheduling/meetings", response_model=MeetingRead, status_code=201,
             responses=ERRORS(401, 403, 422))
def create_meeting(body: MeetingCreate, user: ApiUser, db: DB) -> MeetingRead:
    """Record a scheduling meeting (调度会) and its instructions, all or none: an instruction to a unit without an
    active account is ``422 unit_without_accounts`` naming the unit, and nothing is saved."""
    with db.transaction() as session:
        meeting_id = service.record_meeting(session, body, actor=user).id
    with db.read() as session:
        return queries.read_meeting(session, meeting_id, viewer=user, today=clock.city_now().date())


@router.get("/scheduling/meetings/{meeting_id}", response_model=MeetingRead, responses=ERRORS(401, 404, 422))
def get_meeting(meeting_id: RowId, user: ApiUser, db: DB) -> MeetingRead:
    with db.read() as session:
        return queries.read_meeting(session, meeting_id, viewer=user, today=clock.city_now().date())


@router.get("/instructions", response_model=list[InstructionRead], responses=ERRORS(401, 422))
def list_instructions(user: ApiUser, db: DB, state: Annotated[InstructionState | None, Query()] = None
                      ) -> list[InstructionRead]:
    """The instructions the caller may read, newest first: a handler's are those addressed to its unit."""
    with db.read() as session:
        return queries.list_instructions(session, viewer=user, today=clock.city_now().date(), state=state)


@router.post("/instructions/{instruction_id}/acknowledge", response_model=InstructionRead,
             responses=ERRORS(401, 403, 404, 409, 422))
def acknowledge(instruction_id: RowId, body: AcknowledgeRequest, user: ApiUser, db: DB) -> InstructionRead:
    """The addressed unit receives the instruction (接收), with what it does about it (``reply``, optional)."""
    with db.transaction() as session:
        instruction = service.acknowledge(session, instruction_id, actor=user, reply=body.reply)
        return queries.instruction_reads(session, [instruction], today=clock.city_now().date())[0]
