"""Who records a scheduling meeting, who reads which instructions, who acknowledges them.

Leaders hold the week's scheduling meeting (调度会); the command centre's dispatchers, who run the meeting's
figures and follow its decisions up, and administrators may record it too. A leader instructs within their own
ground (a district leader, the whole district); the centre, any unit. An instruction is read by who gave it, by
the centre, by leaders whose ground it reaches, and by the accounts of the unit it is addressed to — a handler
sees its own unit's instructions, not those of the units below. The addressed unit's accounts acknowledge it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true

from minhu.core.errors import Forbidden
from minhu.orders.permissions import is_centre
from minhu.org.models import Unit, User
from minhu.org.queries import unit_ids_below
from minhu.org.roles import Role
from minhu.scheduling.models import Instruction, SchedulingMeeting

RECORDERS = frozenset({Role.LEADER, Role.DISPATCHER, Role.ADMIN})


def may_record(user: User) -> bool:
    return user.role in RECORDERS


def check_recorder(user: User) -> None:
    if not may_record(user):
        raise Forbidden("只有领导、指挥中心派单员和管理员可以记录调度会和批示", code="not_a_scheduler")


def may_instruct_unit(user: User, unit: Unit) -> bool:
    """A leader instructs the units of their own ground; the centre any unit."""
    return is_centre(user) or unit.is_within(user.unit)


def instruction_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE an instruction is one ``viewer`` may read (see the module's docstring)."""
    if is_centre(viewer):
        return true()
    if viewer.role is Role.LEADER:
        return or_(Instruction.unit_id.in_(unit_ids_below(viewer.unit)), Instruction.created_by_id == viewer.id)
    return Instruction.unit_id == viewer.unit_id


def meeting_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE a meeting is one ``viewer`` may read whole: the centre every one, a leader those of their ground."""
    if is_centre(viewer):
        return true()
    return or_(SchedulingMeeting.unit_id.in_(unit_ids_below(viewer.unit)),
               SchedulingMeeting.created_by_id == viewer.id,
               SchedulingMeeting.id.in_(select(Instruction.meeting_id).where(instruction_clause(viewer))))


def may_acknowledge(user: User, instruction: Instruction) -> bool:
    return user.unit_id == instruction.unit_id
