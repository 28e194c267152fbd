"""What the time-limit sweep has done: one row per automatic action, so each happens exactly once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core.db import Base
from minhu.core.types import EnumText, UTCDateTime


class SweepAction(StrEnum):
    URGE = "urge"  # yellow: the handler is urged
    OVERDUE = "overdue"  # red: the unit's leader is told
    SUPERVISE = "supervise"  # red for long: 督办 opened, supervisors told
    SIGN_TIMEOUT = "sign_timeout"  # never signed: back to the dispatcher


class ClockAction(Base):
    """The sweep's memory. Keyed by the deadline it acted on: a restarted clock (a new dispatch) is a new
    deadline and may be acted on again; a second sweeper, a crash or a catch-up never repeats one."""

    __tablename__ = "clock_actions"
    __table_args__ = (UniqueConstraint("order_id", "action", "limit", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    action: Mapped[SweepAction] = mapped_column(EnumText(SweepAction))
    limit: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class SweepMark(Base):
    """Up to when each rule has been swept completely: the next pass looks only at the lights that changed
    since (and looks further back after a pass that failed, or a gap)."""

    __tablename__ = "sweep_marks"

    rule: Mapped[str] = mapped_column(String(64), primary_key=True)
    swept_until: Mapped[datetime] = mapped_column(UTCDateTime())
