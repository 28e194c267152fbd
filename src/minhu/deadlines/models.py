"""The working-day calendar and the time-limit policy, as data an administrator edits."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import EnumText, UTCDateTime


class DaySource(StrEnum):
    PACKAGE = "package"  # seeded from chinese-calendar
    IMPORT = "import"  # a file the administrator imported
    ADMIN = "admin"  # entered on the page


class CalendarDay(Base):
    """An exception to Monday–Friday: a holiday on a weekday, or a weekend worked in lieu (调休)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(50), default="")
    source: Mapped[DaySource] = mapped_column(EnumText(DaySource))


class CalendarYear(Base):
    """A year whose holidays and make-up days have been entered: deadlines in it are final."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[DaySource] = mapped_column(EnumText(DaySource))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class LimitKind(StrEnum):
    ACCEPT = "accept"  # 受理
    SIGN = "sign"  # 签收
    RESPOND = "respond"  # 响应: first contact with the citizen
    FINISH = "finish"  # 办结
    CALLBACK = "callback"  # 回访


LIMIT_LABELS: dict[LimitKind, str] = {
    LimitKind.ACCEPT: "受理", LimitKind.SIGN: "签收", LimitKind.RESPOND: "响应", LimitKind.FINISH: "办结",
    LimitKind.CALLBACK: "回访",
}


class LimitUnit(StrEnum):
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    CALENDAR_HOURS = "calendar_hours"


UNIT_LABELS: dict[LimitUnit, str] = {
    LimitUnit.WORKING_HOURS: "工作小时", LimitUnit.WORKING_DAYS: "工作日", LimitUnit.CALENDAR_HOURS: "自然小时",
}


# The share of a limit left when its light turns yellow, unless a policy says otherwise.
DEFAULT_WARN_SHARE = 0.2


class TimeLimitPolicy(Base):
    """One version of the policy, as loaded from its file. Orders keep the version they were created under."""

    __tablename__ = "time_limit_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(16), unique=True)  # the file's SHA-256, shortened
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # The share of a limit left when its light turns yellow.
    warn_share: Mapped[float] = mapped_column(Float, default=DEFAULT_WARN_SHARE)

    rules: Mapped[list[TimeLimitRule]] = relationship(order_by="TimeLimitRule.id", lazy="selectin")


class TimeLimitRule(Base):
    """One line: for orders matching the filled-in keys (blank = any), this limit is this long."""

    __tablename__ = "time_limit_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("time_limit_policies.id"), index=True)
    limit: Mapped[LimitKind] = mapped_column(EnumText(LimitKind))
    grade: Mapped[str | None] = mapped_column(String(1))
    type: Mapped[str | None] = mapped_column(String(20))
    urgency: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(20))
    limit_class: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[LimitUnit] = mapped_column(EnumText(LimitUnit))
    # A fixed warning, in working hours before the deadline, instead of the policy's share.
    warn_hours: Mapped[float | None] = mapped_column(Float)
    # When the sweep urges, from the deadline in the line's unit (negative: before it); None: at yellow.
    urge_offset: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(200), default="")
