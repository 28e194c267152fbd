"""Early warnings (预警) and the policy that raises them.

A warning is one community × category × week whose count broke out of its baseline: what was seen, what was
expected and how unlikely it was, the orders behind it, and what the street did about it (acknowledged, turned
into a task with an owner and a due date, or dismissed). The policy's parameters are a row an administrator
edits over the packaged defaults (``data/policy.toml``)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict, UTCDateTime


class WarningState(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"  # the street has seen it
    TASK = "task"  # turned into a task with an owner and a due date
    DISMISSED = "dismissed"  # looked at and judged no matter


WARNING_STATE_LABELS: dict[WarningState, str] = {
    WarningState.NEW: "新预警",
    WarningState.ACKNOWLEDGED: "已确认",
    WarningState.TASK: "已转任务",
    WarningState.DISMISSED: "已排除",
}


class EarlyWarning(Base):
    """One break-out, unique per community, category and week: the hourly scan finds it again and adds nothing."""

    __tablename__ = "early_warnings"
    __table_args__ = (UniqueConstraint("community_id", "category_code", "week_start"),
                      Index("ix_early_warnings_state_week", "state", "week_start"),
                      Index("ix_early_warnings_street_week", "street_id", "week_start"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # The community's street when the warning was raised: whom it is told to and who sees it.
    street_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    category_code: Mapped[str] = mapped_column(String(32))
    week_start: Mapped[date] = mapped_column(Date)  # the Monday, in the city's calendar
    observed: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    trailing_mean: Mapped[float] = mapped_column(Float)  # the eight weeks before
    last_year: Mapped[float | None] = mapped_column(Float)  # the same weeks a year before, None without data
    p_value: Mapped[float] = mapped_column(Float)
    # The policy in force when it was raised (alpha, min_count, ...), so a later retune does not rewrite history.
    rule: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    order_ids: Mapped[list[int]] = mapped_column(JSONDict, default=list)
    state: Mapped[WarningState] = mapped_column(EnumText(WarningState), default=WarningState.NEW)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    task_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    task_due_on: Mapped[date | None] = mapped_column(Date)
    task_note: Mapped[str] = mapped_column(Text, default="")
    task_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    task_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dismiss_reason: Mapped[str] = mapped_column(Text, default="")


class WarningPolicy(Base):
    """An administrator's values over the packaged policy; one row per name (the scan reads ``default``)."""

    __tablename__ = "warning_policies"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
