"""Reading scheduling: a leader's week (its bottom units, the orders past red, the whistles not reported, the
week's meetings and instructions), a unit's instructions, a meeting, and an order's instructions.

The bottom units and the whistles are of the week chosen; the red lights are those of now, whichever week is
shown — a light is a clock's state at an instant, and the page is where this week's meeting decides what to do
about them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from minhu.core.errors import NotFound
from minhu.deadlines.models import LIMIT_LABELS, LimitKind
from minhu.orders.lights import Light, due_column, in_light
from minhu.orders.models import OrderCall, WorkOrder
from minhu.orders.permissions import visible_clause
from minhu.orders.states import STATUS_LABELS, Status
from minhu.org.models import Unit, User
from minhu.scheduling import bottom, permissions
from minhu.scheduling.models import INSTRUCTION_STATE_LABELS, Instruction, InstructionState, SchedulingMeeting
from minhu.scheduling.schemas import (
    BottomUnitRead,
    InstructionRead,
    MeetingRead,
    PendingCallRead,
    RedOrderRead,
    WeekRead,
)
from minhu.scheduling.weeks import Week

# The page lists this many of the red orders and of the whistles (the counts are of all of them).
LISTED = 200
LIST_LIMIT = 500


def _names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def instruction_reads(session: Session, instructions: Sequence[Instruction], *, today: date) -> list[InstructionRead]:
    names = _names(session, [i.created_by_id for i in instructions] + [i.acknowledged_by_id for i in instructions])
    order_ids = {i.order_id for i in instructions if i.order_id is not None}
    orders = {row.id: row for row in session.execute(
        select(WorkOrder.id, WorkOrder.number, WorkOrder.title).where(WorkOrder.id.in_(order_ids)))
              } if order_ids else {}
    reads = []
    for i in instructions:
        state = i.state(today)
        order = orders.get(i.order_id) if i.order_id is not None else None
        reads.append(InstructionRead(
            id=i.id, meeting_id=i.meeting_id, week=i.meeting.week, chair=i.meeting.chair, text=i.text,
            unit_id=i.unit_id, unit_name=i.unit.name, order_number=order.number if order else None,
            order_title=order.title if order else None, due_on=i.due_on,
            created_by=names.get(i.created_by_id) if i.created_by_id else None, created_at=i.created_at,
            state=state, state_label=INSTRUCTION_STATE_LABELS[state], acknowledged_at=i.acknowledged_at,
            acknowledged_by=names.get(i.acknowledged_by_id) if i.acknowledged_by_id else None, reply=i.reply))
    return reads


def _meeting_read(session: Session, meeting: SchedulingMeeting, shown: list[InstructionRead]) -> MeetingRead:
    unit = session.get_one(Unit, meeting.unit_id)
    names = _names(session, [meeting.created_by_id])
    return MeetingRead(id=meeting.id, week=meeting.week, held_on=meeting.held_on, chair=meeting.chair,
                       notes=meeting.notes, unit_name=unit.name,
                       created_by=names.get(meeting.created_by_id) if meeting.created_by_id else None,
                       created_at=meeting.created_at, instructions=shown)


def read_meeting(session: Session, meeting_id: int, *, viewer: User, today: date) -> MeetingRead:
    """A meeting with the instructions ``viewer`` may read. Raises NotFound when the meeting is out of sight."""
    meeting = session.scalars(select(SchedulingMeeting).where(SchedulingMeeting.id == meeting_id,
                                                              permissions.meeting_clause(viewer))).first()
    if meeting is None:
        raise NotFound(f"调度会 {meeting_id} 不存在", code="meeting_not_found")
    shown = session.scalars(select(Instruction).where(Instruction.meeting_id == meeting.id,
                                                      permissions.instruction_clause(viewer))
                            .order_by(Instruction.id)).all()
    return _meeting_read(session, meeting, instruction_reads(session, shown, today=today))


def _red_orders(session: Session, viewer: User, now: datetime) -> tuple[list[RedOrderRead], int]:
    """The orders ``viewer`` sees with a red light now, most overdue first, each under the limit that passed first."""
    visible = visible_clause(viewer)
    red = or_(*(in_light(limit, Light.RED, now) for limit in LimitKind))
    total = int(session.scalar(select(func.count()).select_from(WorkOrder).where(red, visible)) or 0)
    earliest: dict[int, tuple[datetime, LimitKind]] = {}
    for limit in LimitKind:
        due = due_column(limit)
        for order_id, due_at in session.execute(select(WorkOrder.id, due).where(in_light(limit, Light.RED, now),
                                                                                visible)
                                                .order_by(due).limit(LISTED)):
            if due_at is not None and (order_id not in earliest or due_at < earliest[order_id][0]):
                earliest[order_id] = (due_at, limit)
    chosen = sorted(earliest.items(), key=lambda pair: pair[1][0])[:LISTED]
    orders = {o.id: o for o in session.scalars(select(WorkOrder).where(WorkOrder.id.in_([i for i, _ in chosen])))}
    return [RedOrderRead(number=orders[i].number, title=orders[i].title, unit_name=orders[i].owner_unit.name,
                         status_label=STATUS_LABELS[orders[i].status], limit_label=LIMIT_LABELS[limit], due_at=due_at)
            for i, (due_at, limit) in chosen], total


def _pending_calls(session: Session, viewer: User, week: Week, now: datetime) -> list[PendingCallRead]:
    """The calls onto an order (吹哨) made before the week ended and not reported (报到) by then, on orders still
    open at its end: the called unit never came, or came late."""
    _, end = week.bounds()
    lead = aliased(Unit)
    called = aliased(Unit)
    rows = session.execute(
        select(OrderCall, WorkOrder.number, WorkOrder.title, lead.name, called.name)
        .join(WorkOrder, WorkOrder.id == OrderCall.order_id)
        .join(lead, lead.id == WorkOrder.owner_unit_id)
        .join(called, called.id == OrderCall.unit_id)
        .where(OrderCall.called_at < end, or_(OrderCall.reported_at.is_(None), OrderCall.reported_at >= end),
               or_(WorkOrder.closed_at.is_(None), WorkOrder.closed_at >= end),
               WorkOrder.status.not_in([Status.JOINED.value, Status.VOIDED.value]), visible_clause(viewer))
        .order_by(OrderCall.report_due_at, OrderCall.id).limit(LISTED)).all()
    at = min(end, now)
    return [PendingCallRead(number=number, title=title, unit_name=called_name, lead_unit_name=lead_name,
                            called_at=call.called_at, report_due_at=call.report_due_at,
                            overdue=call.report_due_at <= at, reported_at=call.reported_at)
            for call, number, title, lead_name, called_name in rows]


def week_view(session: Session, week: Week, *, viewer: User, now: datetime, today: date) -> WeekRead:
    """Everything the leader's weekly page shows."""
    red, red_total = _red_orders(session, viewer, now)
    meetings = session.scalars(select(SchedulingMeeting).where(SchedulingMeeting.week == week.key,
                                                               permissions.meeting_clause(viewer))
                               .order_by(SchedulingMeeting.held_on, SchedulingMeeting.id)).all()
    shown = session.scalars(select(Instruction).join(SchedulingMeeting)
                            .where(SchedulingMeeting.week == week.key, permissions.instruction_clause(viewer))
                            .options(selectinload(Instruction.meeting))
                            .order_by(Instruction.meeting_id, Instruction.id)).all()
    reads = instruction_reads(session, shown, today=today)
    by_meeting: dict[int, list[InstructionRead]] = {}
    for read in reads:
        by_meeting.setdefault(read.meeting_id, []).append(read)
    return WeekRead(
        week=week.key, label=week.label, monday=week.monday, previous=week.previous().key, next=week.next().key,
        bottom_units=[BottomUnitRead(**vars(b)) for b in bottom.bottom_units(session, week)],
        red_orders=red, red_total=red_total, pending_calls=_pending_calls(session, viewer, week, now),
        meetings=[_meeting_read(session, m, by_meeting.get(m.id, [])) for m in meetings], instructions=reads)


def list_instructions(session: Session, *, viewer: User, today: date,
                      state: InstructionState | None = None) -> list[InstructionRead]:
    """The instructions ``viewer`` may read, newest first (a handler: those addressed to its unit)."""
    statement = (select(Instruction).where(permissions.instruction_clause(viewer))
                 .options(selectinload(Instruction.meeting))
                 .order_by(Instruction.created_at.desc(), Instruction.id.desc()))
    if state is InstructionState.ACKNOWLEDGED:
        statement = statement.where(Instruction.acknowledged_at.is_not(None))
    elif state is InstructionState.PENDING:
        statement = statement.where(Instruction.acknowledged_at.is_(None))
    elif state is InstructionState.OVERDUE:
        statement = statement.where(Instruction.acknowledged_at.is_(None), Instruction.due_on < today)
    return instruction_reads(session, session.scalars(statement.limit(LIST_LIMIT)).all(), today=today)


def of_order(session: Session, order_id: int, *, today: date) -> list[InstructionRead]:
    """The instructions about one order (whoever may see the order sees them, as its trail shows them)."""
    found = session.scalars(select(Instruction).where(Instruction.order_id == order_id)
                            .options(selectinload(Instruction.meeting)).order_by(Instruction.id)).all()
    return instruction_reads(session, found, today=today)
