"""ISO weeks (``2026-W49``, what a browser's week picker sends): the week a scheduling meeting belongs to and the
span its figures cover, Monday to Sunday in the city's time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from minhu.core import clock
from minhu.core.errors import field_error

_WEEK = re.compile(r"(\d{4})-W(\d{1,2})")


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def end(self) -> date:
        """The Monday after (excluded)."""
        return self.monday + timedelta(days=7)

    @property
    def label(self) -> str:
        last = self.end - timedelta(days=1)
        return f"{self.year}年第{self.number}周（{self.monday.month}月{self.monday.day}日至{last.month}月{last.day}日）"

    def bounds(self) -> tuple[datetime, datetime]:
        """City midnight on Monday to city midnight a week later."""
        tz = clock.city_tz()
        return datetime.combine(self.monday, time(), tz), datetime.combine(self.end, time(), tz)

    def contains(self, day: date) -> bool:
        return self.monday <= day < self.end

    def previous(self) -> Week:
        return week_of(self.monday - timedelta(days=7))

    def next(self) -> Week:
        return week_of(self.end)


def week_of(day: date) -> Week:
    year, number, _ = day.isocalendar()
    return Week(year, number)


def this_week() -> Week:
    return week_of(clock.city_now().date())


def parse_week(text: str | None, field: str = "week") -> Week:
    """``2026-W49`` (the current week when empty). Raises InvalidInput naming ``field``."""
    if not text or not text.strip():
        return this_week()
    found = _WEEK.fullmatch(text.strip())
    if found is not None:
        try:
            week = Week(int(found[1]), int(found[2]))
            if 2000 <= week.year <= 2099:
                week.monday  # noqa: B018 - raises ValueError for a week the year does not have (W53)
                return week
        except ValueError:
            pass
    raise field_error(field, f"无法识别的周：{text[:20]}（例如 2026-W49）", code="invalid_week")
