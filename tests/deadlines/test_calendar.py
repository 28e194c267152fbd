"""Working time as a Chinese clerk counts it: holidays and 调休 make-up days, working hours, the day a
limit starts not counted, midnight and year ends crossed, unknown years assumed Monday–Friday and said so."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from minhu.core.workhours import parse_work_hours
from minhu.deadlines.calendar import (
    WorkCalendar,
    add_working_days,
    add_working_minutes,
    working_minutes_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026's National Day and Mid-Autumn: 10-01…10-07 off, Saturday 10-10 worked in lieu; 2027 not entered.
CALENDAR_2026 = WorkCalendar(
    tz=SHANGHAI,
    exceptions={**{date(2026, 10, d): False for d in range(1, 8)}, date(2026, 10, 10): True,
                date(2026, 9, 20): True, date(2027, 1, 1): False},
    known_years=frozenset({2026}),
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_three_working_days_from_the_evening_before_national_day():
    due = add_working_days(CALENDAR_2026, at(2026, 9, 30, 20, 15), 3)
    # 10-01…10-07 are off; 10-08 (Thu) and 10-09 (Fri) count, then the make-up Saturday 10-10: close of business.
    assert due.at == at(2026, 10, 10, 17, 30)
    assert not due.provisional


def test_the_starting_day_does_not_count_even_in_the_morning():
    assert add_working_days(CALENDAR_2026, at(2026, 11, 23, 8, 0), 1).at == at(2026, 11, 24, 17, 30)


def test_working_hours_skip_lunch_nights_and_weekends():
    # Friday 16:30 + 2 working hours: one hour on Friday, one on Monday morning.
    assert add_working_minutes(CALENDAR_2026, at(2026, 11, 27, 16, 30), 120).at == at(2026, 11, 30, 10, 0)
    # 11:30 + 1 hour: half an hour before lunch, half after.
    assert add_working_minutes(CALENDAR_2026, at(2026, 11, 23, 11, 30), 60).at == at(2026, 11, 23, 14, 0)
    # Started at night: counting begins at nine.
    assert add_working_minutes(CALENDAR_2026, at(2026, 11, 23, 23, 50), 30).at == at(2026, 11, 24, 9, 30)
    assert working_minutes_between(CALENDAR_2026, at(2026, 11, 27, 16, 30), at(2026, 11, 30, 10, 0)) == 120


def test_a_deadline_reaching_an_unentered_year_is_provisional_never_a_crash():
    due = add_working_days(CALENDAR_2026, at(2026, 12, 30, 10, 0), 3)
    # 12-31 (Thu) counts; 2027-01-01 is off (someone entered that one day), then Monday 01-04 and Tuesday 01-05.
    assert due.at == at(2027, 1, 5, 17, 30)
    assert due.provisional
    assert not add_working_days(CALENDAR_2026, at(2026, 12, 1, 10, 0), 3).provisional


def test_the_time_zone_decides_the_day():
    # 2026-11-23 23:30 in UTC is already Tuesday morning in the city.
    start = datetime(2026, 11, 23, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert add_working_days(CALENDAR_2026, start, 1).at == at(2026, 11, 25, 17, 30)


@pytest.mark.parametrize("text", ["", "09:00", "12:00-09:00", "09:00-12:00,11:00-13:00", "9点-12点"])
def test_bad_working_hours_are_refused(text):
    with pytest.raises(ValueError):  # noqa: PT011 - the message is the user's; any ValueError is the contract
        parse_work_hours(text)
