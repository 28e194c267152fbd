"""Working time in the city: which days are worked (statutory holidays and 调休 make-up days), which hours,
and arithmetic on them — add working days or hours, count working minutes between two instants.

Pure functions over a ``WorkCalendar`` (loaded from the database by ``deadlines.service``), in the city's
time zone, with no daylight saving to mind but midnight and year ends to cross. A year nobody has entered
falls back to Monday–Friday and every result that touched it says so (``provisional``): never a crash,
never a silent guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from minhu.core.workhours import DEFAULT_WORK_HOURS, WorkWindow

# How far the arithmetic looks ahead before it declares a calendar broken (a year of holidays).
MAX_DAYS_AHEAD = 800




@dataclass(frozen=True)
class WorkCalendar:
    """Exceptions to Monday–Friday for the years someone entered, and the working hours of a day."""

    tz: ZoneInfo
    # day → True for a make-up working day (调休上班), False for a day off (holiday on a weekday).
    exceptions: dict[date, bool] = field(default_factory=dict)
    known_years: frozenset[int] = frozenset()
    windows: tuple[WorkWindow, ...] = DEFAULT_WORK_HOURS

    def is_known(self, day: date) -> bool:
        return day.year in self.known_years

    def is_workday(self, day: date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def day_minutes(self) -> int:
        return sum(w.minutes for w in self.windows)

    def windows_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(day):
            return []
        return [(datetime.combine(day, w.start, self.tz), datetime.combine(day, w.end, self.tz))
                for w in self.windows]


@dataclass(frozen=True)
class Instant:
    """A computed deadline, and whether it rests on a year nobody entered (Monday–Friday assumed)."""

    at: datetime
    provisional: bool = False


def add_working_days(calendar: WorkCalendar, start: datetime, days: int) -> Instant:
    """The close of business of the ``days``-th working day after ``start``'s day (the day a limit starts
    does not count, as in Chinese administrative practice: 期间开始之日不计算在内)."""
    if days < 1:
        raise ValueError("working days must be at least 1")
    day = start.astimezone(calendar.tz).date()
    provisional = False
    counted = 0
    for _ in range(MAX_DAYS_AHEAD):
        day += timedelta(days=1)
        provisional = provisional or not calendar.is_known(day)
        if calendar.is_workday(day):
            counted += 1
            if counted == days:
                return Instant(datetime.combine(day, calendar.windows[-1].end, calendar.tz), provisional)
    raise ValueError(f"日历在 {MAX_DAYS_AHEAD} 天内找不到 {days} 个工作日")


def add_working_minutes(calendar: WorkCalendar, start: datetime, minutes: float) -> Instant:
    """The instant when ``minutes`` of working time have passed since ``start`` (which may fall outside
    working hours: the count then begins with the next window)."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    local = start.astimezone(calendar.tz)
    day = local.date()
    remaining = timedelta(minutes=minutes)
    provisional = False
    for _ in range(MAX_DAYS_AHEAD):
        provisional = provisional or not calendar.is_known(day)
        for window_start, window_end in calendar.windows_on(day):
            begin = max(window_start, local)
            if begin >= window_end:
                continue
            available = window_end - begin
            if remaining <= available:
                return Instant(begin + remaining, provisional)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"日历在 {MAX_DAYS_AHEAD} 天内找不到足够的工作时间")


def working_minutes_between(calendar: WorkCalendar, start: datetime, end: datetime) -> float:
    """Working minutes from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0.0
    local_start, local_end = start.astimezone(calendar.tz), end.astimezone(calendar.tz)
    total = timedelta()
    day = local_start.date()
    while day <= local_end.date():
        for window_start, window_end in calendar.windows_on(day):
            begin, finish = max(window_start, local_start), min(window_end, local_end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total.total_seconds() / 60
