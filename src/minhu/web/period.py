"""The period a page of figures covers: a run of whole days on the city's calendar, both ends included.

"1 to 30 November" means what a dispatcher reading a monthly bulletin means by it, whatever the server's time
zone. Pages read it from ``from``/``to`` date fields and offer a few presets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from minhu.core import clock
from minhu.core.errors import field_error

DEFAULT_DAYS = 30
# Dates outside these years are typing mistakes, and the last day plus one must stay a date.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first instant of the period (aware, in the city's zone)."""
        return datetime.combine(self.first, time(), clock.city_tz())

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), clock.city_tz())

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def query(self) -> str:
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"


def period(first: date | None, last: date | None, *, default_days: int = DEFAULT_DAYS) -> Period:
    """The period from ``first`` to ``last`` (city dates, inclusive); by default the last ``default_days``
    days up to today. Raises InvalidInput for a reversed period or a date outside 2000–2099."""
    for field, value in (("from", first), ("to", last)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise field_error(field, f"日期须在 {EARLIEST} 至 {LATEST} 之间", code="invalid_period")
    today = clock.city_now().date()
    last = last or max(today, first or today)
    first = first or max(EARLIEST, last - timedelta(days=default_days - 1))
    if first > last:
        raise field_error("from", "开始日期不能晚于结束日期", code="invalid_period")
    return Period(first, last)


def presets() -> list[tuple[str, Period]]:
    """The periods a page offers in one click, ending today."""
    today = clock.city_now().date()
    return [("近 7 天", Period(today - timedelta(days=6), today)),
            ("近 30 天", Period(today - timedelta(days=29), today)),
            ("本月", Period(today.replace(day=1), today)),
            ("近一年", Period(today - timedelta(days=364), today))]


def parse_day(value: str, field: str) -> date | None:
    """A page's date field: empty is None. Raises InvalidInput for anything but YYYY-MM-DD."""
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise field_error(field, f"日期格式应为 YYYY-MM-DD：{value}", code="invalid_period") from None
