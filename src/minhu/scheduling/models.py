"""Leaders' scheduling (调度): the week's scheduling meeting (调度会) and the instructions (批示) it decides, each
addressed to a unit — and, when it is about one order, to that order — and whether the unit has acknowledged it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core.db import Base
from minhu.core.types import UTCDateTime
from minhu.org.models import Unit


class InstructionState(StrEnum):
    """Derived, never stored: an instruction is pending until its unit acknowledges it."""

    PENDING = "pending"
    OVERDUE = "overdue"  # pending and its due date has passed
    ACKNOWLEDGED = "acknowledged"


INSTRUCTION_STATE_LABELS: dict[InstructionState, str] = {
    InstructionState.PENDING: "待接收",
    InstructionState.OVERDUE: "逾期未接收",
    InstructionState.ACKNOWLEDGED: "已接收",
}


class SchedulingMeeting(Base):
    """A scheduling meeting of one ISO week (``week``: ``2026-W49``), who chaired it and what it noted."""

    __tablename__ = "scheduling_meetings"
    __table_args__ = (Index("ix_scheduling_meetings_week", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8))
    held_on: Mapped[date] = mapped_column(Date)
    chair: Mapped[str] = mapped_column(String(100))  # as the minutes name them: 王强区长
    notes: Mapped[str] = mapped_column(Text, default="")
    # The unit whose meeting it is (the recorder's): who may read it follows from it.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    instructions: Mapped[list[Instruction]] = relationship(back_populates="meeting", order_by="Instruction.id",
                                                           cascade="all, delete-orphan")


class Instruction(Base):
    """One decision of a meeting as an instruction (批示) to ``unit_id``; ``order_id`` when it is about an order
    (the unit is then the order's owner when it was given)."""

    __tablename__ = "instructions"
    __table_args__ = (Index("ix_instructions_unit", "unit_id", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("scheduling_meetings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What the unit answered when it acknowledged (落实情况), if anything.
    reply: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[SchedulingMeeting] = relationship(back_populates="instructions")
    unit: Mapped[Unit] = relationship(lazy="joined")

    def state(self, today: date) -> InstructionState:
        if self.acknowledged_at is not None:
            return InstructionState.ACKNOWLEDGED
        if self.due_on is not None and self.due_on < today:
            return InstructionState.OVERDUE
        return InstructionState.PENDING
