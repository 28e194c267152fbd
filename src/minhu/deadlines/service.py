"""Deadlines of orders: the calendar and the active policy from the database, cached per process, and the
computation of one limit's deadline and warning instant.

Both tables change a few times a year and are read for every order, so they are kept per process for a
few seconds (the writers in this process forget them at once), like the routing tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.cache import TTLCache
from minhu.core.errors import InvalidInput
from minhu.core.workhours import DEFAULT_WORK_HOURS, WorkWindow
from minhu.deadlines.calendar import (
    Instant,
    WorkCalendar,
    add_working_days,
    add_working_minutes,
    working_minutes_between,
)
from minhu.deadlines.models import (
    DEFAULT_WARN_SHARE,
    CalendarDay,
    CalendarYear,
    DaySource,
    LimitKind,
    LimitUnit,
    TimeLimitPolicy,
    TimeLimitRule,
)
from minhu.deadlines.policy import PolicyFile, matching_rule


@dataclass
class DeadlineConfig:
    work_hours: tuple[WorkWindow, ...] = DEFAULT_WORK_HOURS


_config = DeadlineConfig()


def configure(*, work_hours: tuple[WorkWindow, ...]) -> None:
    _config.work_hours = work_hours
    forget_deadlines()


@dataclass(frozen=True)
class PolicyTables:
    policy: TimeLimitPolicy | None  # the one in force for new orders
    policies: dict[int, TimeLimitPolicy]
    rules_by_policy: dict[int, list[TimeLimitRule]]


_calendars: TTLCache[str, WorkCalendar] = TTLCache(ttl_seconds=10)
_policies: TTLCache[str, PolicyTables] = TTLCache(ttl_seconds=10)


def forget_deadlines() -> None:
    _calendars.clear()
    _policies.clear()


def _key(session: Session) -> str:
    return str(session.get_bind().engine.url)


def work_calendar(session: Session) -> WorkCalendar:
    def load() -> WorkCalendar:
        exceptions = {d.day: d.workday for d in session.scalars(select(CalendarDay))}
        years = frozenset(session.scalars(select(CalendarYear.year)))
        return WorkCalendar(tz=clock.city_tz(), exceptions=exceptions, known_years=years,
                            windows=_config.work_hours)
    calendar = _calendars.get_or_load(_key(session), load)
    if calendar.tz != clock.city_tz():  # the city's zone changed (tests do): rebuild
        forget_deadlines()
        calendar = _calendars.get_or_load(_key(session), load)
    return calendar


def _policy_tables(session: Session) -> PolicyTables:
    def load() -> PolicyTables:
        policies = list(session.scalars(select(TimeLimitPolicy)))
        active = next((p for p in policies if p.active), None)
        return PolicyTables(active, {p.id: p for p in policies}, {p.id: list(p.rules) for p in policies})
    return _policies.get_or_load(_key(session), load)


def active_policy(session: Session) -> TimeLimitPolicy | None:
    return _policy_tables(session).policy


@dataclass(frozen=True)
class Deadline:
    limit: LimitKind
    due_at: datetime
    warn_at: datetime
    provisional: bool
    rule: TimeLimitRule
    # When the sweep urges, where the policy line sets it; None: when the light turns yellow.
    urge_at: datetime | None = None


def _add(calendar: WorkCalendar, start: datetime, amount: float, unit: LimitUnit) -> Instant:
    if unit is LimitUnit.CALENDAR_HOURS:
        return Instant(start + timedelta(hours=amount))
    if unit is LimitUnit.WORKING_DAYS:
        return add_working_days(calendar, start, int(amount))
    return add_working_minutes(calendar, start, amount * 60)


def _warn_at(calendar: WorkCalendar, start: datetime, due: datetime, *, share: float,
             warn_hours: float | None = None, calendar_time: bool = False) -> datetime:
    """When the light turns yellow: a share of the limit left (of its calendar time for a limit counted in
    calendar hours, of its working time otherwise), or a fixed number of working hours before the end."""
    if calendar_time and warn_hours is None:
        return due - (due - start) * share
    total = working_minutes_between(calendar, start, due)
    if total <= 0:
        return due
    before = warn_hours * 60 if warn_hours is not None else total * share
    return add_working_minutes(calendar, start, max(0.0, total - before)).at


def _urge_at(calendar: WorkCalendar, start: datetime, due: datetime, offset: float, unit: LimitUnit) -> datetime:
    """``offset`` of the line's unit after ``due`` (before it when negative), never before ``start``. Before the
    deadline, working time is counted back from it (a working day is a day's working hours)."""
    if offset >= 0:
        if offset == 0:
            return due
        return _add(calendar, due, offset, unit).at
    if unit is LimitUnit.CALENDAR_HOURS:
        return max(start, due + timedelta(hours=offset))
    before = -offset * (calendar.day_minutes() if unit is LimitUnit.WORKING_DAYS else 60)
    left = working_minutes_between(calendar, start, due) - before
    return add_working_minutes(calendar, start, max(0.0, left)).at


def compute(session: Session, limit: LimitKind, start: datetime, order_keys: Mapping[str, str | None], *,
            policy_id: int | None) -> Deadline | None:
    """The deadline of ``limit`` for an order with these keys, starting at ``start``, under the policy the
    order was created with (the active one when it has none). None when no policy has been loaded."""
    tables = _policy_tables(session)
    policy = tables.policies.get(policy_id) if policy_id is not None else tables.policy
    if policy is None or not tables.rules_by_policy.get(policy.id):
        return None
    rule = matching_rule(tables.rules_by_policy[policy.id], limit, order_keys)
    calendar = work_calendar(session)
    due = _add(calendar, start, rule.amount, rule.unit)
    warn = _warn_at(calendar, start, due.at, share=policy.warn_share, warn_hours=rule.warn_hours,
                    calendar_time=rule.unit is LimitUnit.CALENDAR_HOURS)
    urge = None
    if rule.urge_offset is not None:
        # From the start, the urging point is where a limit of amount + offset would end: exact for every unit.
        urge = _add(calendar, start, rule.amount + rule.urge_offset, rule.unit).at
    return Deadline(limit, due.at, warn, due.provisional, rule, urge)


def urge_between(session: Session, limit: LimitKind, start: datetime, due: datetime,
                 order_keys: Mapping[str, str | None], *, policy_id: int | None) -> datetime | None:
    """The urging point of a deadline set by hand (an extension, a resumed clock) under the order's policy
    line: the line's offset from the new deadline; None when the line urges at yellow."""
    tables = _policy_tables(session)
    policy = tables.policies.get(policy_id) if policy_id is not None else tables.policy
    if policy is None or not tables.rules_by_policy.get(policy.id):
        return None
    rule = matching_rule(tables.rules_by_policy[policy.id], limit, order_keys)
    if rule.urge_offset is None:
        return None
    return _urge_at(work_calendar(session), start, due, rule.urge_offset, rule.unit)


def working_minutes_left(session: Session, start: datetime, due: datetime) -> float:
    return working_minutes_between(work_calendar(session), start, due)


def after_working_minutes(session: Session, start: datetime, minutes: float) -> Instant:
    return add_working_minutes(work_calendar(session), start, minutes)


def warn_between(session: Session, start: datetime, due: datetime, *, policy_id: int | None) -> datetime:
    """The yellow instant of a deadline set by hand (an extension, a resumed clock): the policy's share of
    the working time from ``start`` to ``due`` before ``due``."""
    tables = _policy_tables(session)
    policy = tables.policies.get(policy_id) if policy_id is not None else tables.policy
    share = policy.warn_share if policy is not None else DEFAULT_WARN_SHARE
    return _warn_at(work_calendar(session), start, due, share=share)


# --- loading the policy and the calendar --------------------------------------------------------------


def load_policy(session: Session, policy_file: PolicyFile, *, name: str,
                warn_share: float = DEFAULT_WARN_SHARE) -> TimeLimitPolicy:
    """Make ``policy_file`` the policy in force for new orders. A version loaded before is reactivated, not
    copied; the orders created under another version keep their deadlines."""
    if not 0 < warn_share < 1:
        raise InvalidInput("黄灯比例须在 0 与 1 之间", code="policy_invalid")
    policy = session.scalars(select(TimeLimitPolicy).where(TimeLimitPolicy.version == policy_file.version)).first()
    session.execute(update(TimeLimitPolicy).values(active=False))
    if policy is None:
        policy = TimeLimitPolicy(version=policy_file.version, name=name, warn_share=warn_share, active=True,
                                 loaded_at=clock.now())
        session.add(policy)
        session.flush()
        for line in policy_file.lines:
            session.add(TimeLimitRule(policy_id=policy.id, limit=line.limit, amount=line.amount, unit=line.unit,
                                      warn_hours=line.warn_hours, urge_offset=line.urge_offset, note=line.note,
                                      **line.keys))
    policy.active = True
    session.flush()
    forget_deadlines()
    return policy


# chinese-calendar names its holidays in English.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


@dataclass(frozen=True)
class SeedResult:
    years: list[int]
    days: int
    kept: int  # days an administrator had set, left as they were


def seed_from_package(session: Session, *, since: int) -> SeedResult:
    """Copy the holidays and make-up days that chinese-calendar knows, from ``since`` on, into the table.
    Days an administrator entered or imported win over the package."""
    from chinese_calendar import constants  # imported here: only seeding needs it

    own = {d.day: d for d in session.scalars(select(CalendarDay).where(CalendarDay.source != DaySource.PACKAGE))}
    session.execute(delete(CalendarDay).where(CalendarDay.source == DaySource.PACKAGE,
                                              CalendarDay.day >= date(since, 1, 1)))
    days = kept = 0
    years: set[int] = set()
    for table, workday in ((constants.holidays, False), (constants.workdays, True)):
        for day, english in table.items():
            if day.year < since:
                continue
            years.add(day.year)
            if (day.weekday() < 5) != workday:  # only real exceptions to Monday–Friday are stored
                if day in own:
                    kept += 1
                    continue
                name = HOLIDAY_NAMES.get(english, english) + ("调休上班" if workday else "")
                session.add(CalendarDay(day=day, workday=workday, name=name, source=DaySource.PACKAGE))
                days += 1
    for year in sorted(years):
        if session.get(CalendarYear, year) is None:
            session.add(CalendarYear(year=year, source=DaySource.PACKAGE, updated_at=clock.now()))
    session.flush()
    forget_deadlines()
    return SeedResult(sorted(years), days, kept)


def set_day(session: Session, day: date, *, workday: bool, name: str,
            source: DaySource = DaySource.ADMIN) -> None:
    """Enter one day by hand (a holiday announced late, a make-up Saturday); its year becomes known."""
    existing = session.get(CalendarDay, day)
    if (day.weekday() < 5) == workday:  # back to an ordinary day: no exception to keep
        if existing is not None:
            session.delete(existing)
    elif existing is None:
        session.add(CalendarDay(day=day, workday=workday, name=name, source=source))
    else:
        existing.workday, existing.name, existing.source = workday, name, source
    if session.get(CalendarYear, day.year) is None:
        session.add(CalendarYear(year=day.year, source=source, updated_at=clock.now()))
    session.flush()
    forget_deadlines()


def unknown_years_ahead(session: Session, *, today: date, ahead_days: int = 90) -> list[int]:
    """Years that deadlines may reach soon but nobody has entered: the admin page says so loudly."""
    known = work_calendar(session).known_years
    return [y for y in range(today.year, (today + timedelta(days=ahead_days)).year + 1) if y not in known]
