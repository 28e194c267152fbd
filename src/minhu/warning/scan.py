"""The scan: count the weeks, judge each community × category of the scanned weeks, and raise what breaks out.

Counted: orders with a community and a category, by creation time in the city's calendar (weeks from Monday);
an order merged into another as its duplicate is the same matter and counts once, through its main order. Each
week is counted by one grouped query over its creation-time range, so a scan costs a few dozen indexed range
reads whatever the history. A warning is unique per community × category × week: a later scan of the same week
brings its counts and orders up to date and tells nobody again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import Database, conflict_insert
from minhu.orders.models import WorkOrder
from minhu.warning import alerts, method
from minhu.warning import policy as policies
from minhu.warning.models import EarlyWarning, WarningState

log = logging.getLogger("minhu.warning")
YEAR_WEEKS = 52  # a year back in whole weeks keeps the weekdays aligned
Cell = tuple[int, str]  # (community id, category code at the policy's level)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_range(monday: date) -> tuple[datetime, datetime]:
    tz = clock.city_tz()
    return (datetime.combine(monday, time(0), tz), datetime.combine(monday + timedelta(days=7), time(0), tz))


@dataclass
class ScanResult:
    weeks: list[date] = field(default_factory=list)  # the weeks scanned
    skipped: list[date] = field(default_factory=list)  # too little history to judge
    judged: int = 0  # cells with at least the minimum count
    raised: list[int] = field(default_factory=list)  # new warnings' ids
    updated: int = 0  # warnings already raised, brought up to date

    def __str__(self) -> str:
        return (f"扫描 {len(self.weeks)} 周，研判 {self.judged} 个社区×分类，新预警 {len(self.raised)} 条，"
                f"更新 {self.updated} 条" + (f"（{len(self.skipped)} 周历史不足，未研判）" if self.skipped else ""))


class _Counts:
    """Weekly counts by cell, read once per week."""

    def __init__(self, session: Session, digits: int) -> None:
        self.session, self.digits = session, digits
        self._weeks: dict[date, dict[Cell, int]] = {}

    def prefix(self) -> ColumnElement[str]:
        return func.substr(WorkOrder.category_code, 1, self.digits)

    def week(self, monday: date) -> dict[Cell, int]:
        if monday not in self._weeks:
            start, end = week_range(monday)
            prefix = self.prefix()
            rows = self.session.execute(
                select(WorkOrder.community_id, prefix, func.count())
                .where(WorkOrder.created_at >= start, WorkOrder.created_at < end,
                       WorkOrder.community_id.is_not(None), WorkOrder.category_code.is_not(None),
                       WorkOrder.duplicate_of_id.is_(None))
                .group_by(WorkOrder.community_id, prefix))
            self._weeks[monday] = {(int(c), str(code)): int(n) for c, code, n in rows if c is not None}
        return self._weeks[monday]

    def total(self, monday: date) -> int:
        return sum(self.week(monday).values())

    def with_data(self, mondays: list[date]) -> list[date]:
        """The weeks in which the city has any counted order: a week before the installation (or before the
        imported history) is no evidence of a quiet week."""
        return [m for m in mondays if self.total(m) > 0]


def _weeks_before(monday: date, n: int) -> list[date]:
    return [monday - timedelta(weeks=k) for k in range(1, n + 1)]


def judge_week(counts: _Counts, monday: date, policy: method.Policy) -> dict[Cell, method.Verdict] | None:
    """Every cell of the week with at least the minimum count, judged; None when history is too short."""
    trailing = counts.with_data(_weeks_before(monday, policy.trailing_weeks))
    if len(trailing) < policy.min_history_weeks:
        return None
    back = monday - timedelta(weeks=YEAR_WEEKS)
    season = counts.with_data([back + timedelta(weeks=k) for k in range(-policy.season_window,
                                                                        policy.season_window + 1)])
    season_trailing = counts.with_data(_weeks_before(back - timedelta(weeks=policy.season_window),
                                                     policy.trailing_weeks))
    has_last_year = bool(season) and len(season_trailing) >= policy.min_history_weeks
    overall = method.level([counts.total(m) for m in trailing],
                           [counts.total(m) for m in season_trailing], policy) if has_last_year else 1.0
    verdicts: dict[Cell, method.Verdict] = {}
    for cell, observed in counts.week(monday).items():
        if observed < policy.min_count:
            continue
        base = method.baseline([counts.week(m).get(cell, 0) for m in trailing],
                               [counts.week(m).get(cell, 0) for m in season] if has_last_year else None,
                               [counts.week(m).get(cell, 0) for m in season_trailing] if has_last_year else None,
                               overall, policy)
        verdicts[cell] = method.judge(observed, base, policy)
    return verdicts


def _order_ids(session: Session, cell: Cell, monday: date, digits: int) -> list[int]:
    start, end = week_range(monday)
    return list(session.scalars(
        select(WorkOrder.id).where(WorkOrder.community_id == cell[0],
                                   func.substr(WorkOrder.category_code, 1, digits) == cell[1],
                                   WorkOrder.created_at >= start, WorkOrder.created_at < end,
                                   WorkOrder.duplicate_of_id.is_(None))
        .order_by(WorkOrder.created_at, WorkOrder.id)))


def _record(session: Session, cell: Cell, monday: date, verdict: method.Verdict, policy: method.Policy,
            now: datetime, result: ScanResult) -> None:
    """Raise the warning, or bring the one already raised up to date; only a new one is told to the street."""
    digits = policy.category_level * 2
    base = verdict.baseline
    figures = {"observed": verdict.observed, "expected": round(base.expected, 3),
               "trailing_mean": round(base.trailing_mean, 3),
               "last_year": round(base.last_year, 3) if base.last_year is not None else None,
               "p_value": verdict.p_value, "order_ids": _order_ids(session, cell, monday, digits)}
    street = alerts.street_of(session, cell[0])
    inserted = session.scalar(
        conflict_insert(session, EarlyWarning).values(
            community_id=cell[0], street_id=street.id if street is not None else None, category_code=cell[1],
            week_start=monday, rule=policy.as_dict(), state=WarningState.NEW.value, detected_at=now, updated_at=now,
            task_note="", dismiss_reason="", **figures)
        .on_conflict_do_nothing().returning(EarlyWarning.id))
    if inserted is not None:
        warning = session.get_one(EarlyWarning, inserted)
        alerts.notify_raised(session, warning, street)
        result.raised.append(warning.id)
        return
    warning = session.scalars(select(EarlyWarning).where(
        EarlyWarning.community_id == cell[0], EarlyWarning.category_code == cell[1],
        EarlyWarning.week_start == monday)).one()
    # Only a growing week changes what the warning says; a count that fell back keeps what was raised.
    if verdict.observed > warning.observed:
        for name, value in figures.items():
            setattr(warning, name, value)
        warning.updated_at = now
        result.updated += 1


def scan(session: Session, *, policy: method.Policy | None = None, weeks: list[date] | None = None) -> ScanResult:
    """Judge the scanned weeks (by default the current week and those before it the policy says) and raise a
    warning for each break-out. Flushes; the caller commits."""
    policy = policy or policies.current(session)
    now = clock.now()
    current = week_start(now.astimezone(clock.city_tz()).date())
    result = ScanResult(weeks=weeks or [current - timedelta(weeks=k) for k in range(policy.scan_weeks)])
    counts = _Counts(session, policy.category_level * 2)
    for monday in result.weeks:
        verdicts = judge_week(counts, monday, policy)
        if verdicts is None:
            result.skipped.append(monday)
            continue
        result.judged += len(verdicts)
        for cell, verdict in sorted(verdicts.items()):
            if verdict.breaks_out:
                _record(session, cell, monday, verdict, policy, now, result)
    session.flush()
    return result


def scan_job(db: Database) -> None:
    """The worker's job: one scan in one transaction, logged when it raised something."""
    with db.transaction() as session:
        result = scan(session)
    if result.raised or result.updated:
        log.info("early warning: %s", result)
