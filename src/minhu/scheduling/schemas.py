"""What a client sends about scheduling meetings and instructions, and what it gets back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from minhu.core.schemas import InputModel
from minhu.core.text import RequiredText, StorableText
from minhu.scheduling.models import InstructionState

RowId = Annotated[int, Field(ge=1, le=2_147_483_647)]
OrderNumber = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]
WeekKey = Annotated[str, Field(pattern=r"^\d{4}-W\d{1,2}$", description="ISO 周，例如 2026-W49")]
MAX_INSTRUCTIONS = 50


class InstructionCreate(InputModel):
    """One decision of the meeting: to an order (``order_number``, its owning unit is told) or to a unit."""

    text: Annotated[RequiredText, Field(max_length=2_000)]
    order_number: OrderNumber | None = None
    unit_id: RowId | None = None
    due_on: date | None = None

    @model_validator(mode="after")
    def _one_target(self) -> InstructionCreate:
        if (self.order_number is None) == (self.unit_id is None):
            raise ValueError("请指定一个对象：工单编号或单位（二选一）")
        return self


class MeetingCreate(InputModel):
    week: WeekKey
    held_on: date
    chair: Annotated[RequiredText, Field(max_length=100)]
    notes: Annotated[StorableText, Field(max_length=10_000)] = ""
    instructions: list[InstructionCreate] = Field(min_length=1, max_length=MAX_INSTRUCTIONS)


class AcknowledgeRequest(InputModel):
    reply: Annotated[StorableText, Field(max_length=2_000)] = ""


class InstructionRead(BaseModel):
    id: int
    meeting_id: int
    week: str
    chair: str
    text: str
    unit_id: int
    unit_name: str
    order_number: str | None
    order_title: str | None
    due_on: date | None
    created_by: str | None
    created_at: datetime
    state: InstructionState
    state_label: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    reply: str


class MeetingRead(BaseModel):
    id: int
    week: str
    held_on: date
    chair: str
    notes: str
    unit_name: str
    created_by: str | None
    created_at: datetime
    instructions: list[InstructionRead]


class BottomUnitRead(BaseModel):
    unit_id: int
    name: str
    kind_label: str
    rank: int | None
    ranked: int
    score: Decimal | None
    counted: int


class RedOrderRead(BaseModel):
    number: str
    title: str
    unit_name: str
    status_label: str
    limit_label: str  # the limit whose deadline passed first
    due_at: datetime


class PendingCallRead(BaseModel):
    number: str
    title: str
    unit_name: str  # the unit called onto the order (吹哨)
    lead_unit_name: str
    called_at: datetime
    report_due_at: datetime
    overdue: bool
    reported_at: datetime | None  # reported only after the week ended


class WeekRead(BaseModel):
    week: str
    label: str
    monday: date
    previous: str
    next: str
    bottom_units: list[BottomUnitRead]
    red_orders: list[RedOrderRead]
    red_total: int
    pending_calls: list[PendingCallRead]
    meetings: list[MeetingRead]
    instructions: list[InstructionRead]
