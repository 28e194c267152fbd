"""Recording a scheduling meeting (调度会) with its instructions (批示), and a unit acknowledging one.

A meeting is recorded whole or not at all: every instruction is checked — its words, its order (that exists
and the recorder may see) or its unit (active, within the recorder's ground, with at least one active account to
receive it) — before anything is written, and every fault is named at once, by the instruction's place in the
list. Then the meeting, its instructions, an event in the trail of each order instructed (``Action.INSTRUCT``,
through ``orders.service.instruct``) and the messages to the units' accounts (the outbox) are written in the
caller's transaction. Services flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from minhu.notify import service as outbox
from minhu.orders import queries as order_queries
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.org.models import Unit, User
from minhu.scheduling import permissions
from minhu.scheduling.models import Instruction, SchedulingMeeting
from minhu.scheduling.schemas import InstructionCreate, MeetingCreate
from minhu.scheduling.weeks import Week, parse_week

TEMPLATE = "scheduling.instruction"
NO_DUE_DATE = "未设定"


@dataclass(frozen=True)
class _Target:
    """Where one instruction goes, once checked: its unit, its order (if any), and who in the unit reads it."""

    unit: Unit
    order: WorkOrder | None
    people: list[User]


def receivers(session: Session, unit: Unit) -> list[User]:
    """Every active account of ``unit`` (its handlers, grid workers and leader; at the centre, its staff)."""
    return list(session.scalars(select(User).where(User.unit_id == unit.id, User.active.is_(True))
                                .order_by(User.id)))


def _problem(index: int, field: str, message: str, code: str) -> dict[str, Any]:
    return {"field": f"instructions.{index}.{field}", "message": f"第 {index + 1} 条批示：{message}", "code": code}


def _check_target(session: Session, index: int, item: InstructionCreate, actor: User,
                  problems: list[dict[str, Any]]) -> _Target | None:
    order: WorkOrder | None = None
    if item.order_number is not None:
        number = item.order_number.strip().upper()
        try:
            order = order_queries.get_for_update(session, number, viewer=actor)
        except NotFound:
            problems.append(_problem(index, "order_number", f"工单 {number} 不存在或不在您的查看范围内",
                                     "instruction_order_not_found"))
            return None
        unit = order.owner_unit
    else:
        found = session.get(Unit, item.unit_id)
        if found is None or not found.active:
            problems.append(_problem(index, "unit_id", "单位不存在或已停用", "instruction_unit_not_found"))
            return None
        if not permissions.may_instruct_unit(actor, found):
            problems.append(_problem(index, "unit_id", f"{found.name}不在您的管辖范围内", "instruction_unit_not_found"))
            return None
        unit = found
    people = receivers(session, unit)
    if not people:
        problems.append(_problem(index, "order_number" if order is not None else "unit_id",
                                 f"{unit.name}没有在用的账号，批示无法送达：请先为该单位开通账号，或改向其上级单位批示",
                                 "unit_without_accounts"))
        return None
    return _Target(unit, order, people)


def _check(session: Session, data: MeetingCreate, week: Week, actor: User) -> list[_Target]:
    """Every instruction's target, or InvalidInput naming every fault of the meeting."""
    problems: list[dict[str, Any]] = []
    if not week.contains(data.held_on):
        problems.append({"field": "held_on", "message": f"会议日期应在{week.label}之内", "code": "invalid_input"})
    targets: list[_Target | None] = []
    for index, item in enumerate(data.instructions):
        if item.due_on is not None and item.due_on < data.held_on:
            problems.append(_problem(index, "due_on", "完成时限不能早于会议日期", "invalid_input"))
        targets.append(_check_target(session, index, item, actor, problems))
    if problems:
        codes = {p["code"] for p in problems}
        raise InvalidInput("；".join(p["message"] for p in problems), details=problems,
                           code=codes.pop() if len(codes) == 1 else "invalid_instructions")
    return [t for t in targets if t is not None]


def record_meeting(session: Session, data: MeetingCreate, *, actor: User) -> SchedulingMeeting:
    """The meeting and all its instructions, each in its order's trail and in its unit's accounts' inboxes.

    Raises Forbidden (``not_a_scheduler``) for a role that does not record meetings; InvalidInput naming every
    faulty instruction (an order that does not exist or is out of the recorder's sight, a unit out of their ground
    or without any active account: ``unit_without_accounts``), in which case nothing is written.
    """
    permissions.check_recorder(actor)
    week = parse_week(data.week)
    targets = _check(session, data, week, actor)
    now = clock.now()
    meeting = SchedulingMeeting(week=week.key, held_on=data.held_on, chair=data.chair.strip(), notes=data.notes,
                                unit_id=actor.unit_id, created_by_id=actor.id, created_at=now)
    session.add(meeting)
    made = [Instruction(meeting=meeting, text=item.text.strip(), unit_id=target.unit.id,
                        order_id=target.order.id if target.order is not None else None, due_on=item.due_on,
                        created_by_id=actor.id, created_at=now)
            for item, target in zip(data.instructions, targets, strict=True)]
    session.add_all(made)
    session.flush()
    meeting_name = f"{week.year}年第{week.number}周调度会"
    for instruction, target in zip(made, targets, strict=True):
        if target.order is not None:
            order_service.instruct(session, target.order, actor=actor, note=instruction.text, payload={
                "meeting_id": meeting.id, "instruction_id": instruction.id, "chair": meeting.chair,
                "due_on": instruction.due_on.isoformat() if instruction.due_on else None})
        _tell(session, instruction, target, meeting_name=meeting_name, chair=meeting.chair)
    session.flush()
    return meeting


def _subject(target: _Target) -> str:
    if target.order is not None:
        return f"工单 {target.order.number}「{target.order.title}」（{target.unit.name}）"
    return target.unit.name


def _tell(session: Session, instruction: Instruction, target: _Target, *, meeting_name: str, chair: str) -> None:
    outbox.enqueue(session, template=TEMPLATE, recipients=target.people,
                   order_id=target.order.id if target.order is not None else None,
                   dedupe_key=f"instruction:{instruction.id}",
                   context={"instruction_id": instruction.id, "meeting": meeting_name, "chair": chair,
                            "text": instruction.text, "subject": _subject(target),
                            "due_on": instruction.due_on.isoformat() if instruction.due_on else NO_DUE_DATE})


def get_instruction(session: Session, instruction_id: int, *, viewer: User) -> Instruction:
    """An instruction ``viewer`` may read. Raises NotFound otherwise (absent and out of sight alike)."""
    instruction = session.scalars(select(Instruction).where(Instruction.id == instruction_id,
                                                            permissions.instruction_clause(viewer))).first()
    if instruction is None:
        raise NotFound(f"批示 {instruction_id} 不存在", code="instruction_not_found")
    return instruction


def acknowledge(session: Session, instruction_id: int, *, actor: User, reply: str = "") -> Instruction:
    """The addressed unit receives the instruction (接收), with what it will do or has done, if it says.

    Raises NotFound for an instruction out of the actor's sight, Forbidden (``not_the_addressee``) for anyone
    outside the addressed unit, Conflict (``instruction_acknowledged``) when the unit already has."""
    instruction = get_instruction(session, instruction_id, viewer=actor)
    if not permissions.may_acknowledge(actor, instruction):
        raise Forbidden(f"此批示发给{instruction.unit.name}，由该单位接收", code="not_the_addressee")
    if instruction.acknowledged_at is not None:
        raise Conflict("此批示已接收", code="instruction_acknowledged")
    instruction.acknowledged_at = clock.now()
    instruction.acknowledged_by_id = actor.id
    instruction.reply = reply.strip()
    session.flush()
    return instruction
