"""The bulletin archive: bulletins generated on demand or by the monthly job, kept with their files.

A bulletin is computed and rendered in a read session (a few seconds of queries and PDF layout must not hold the
SQLite write lock), then stored in one short write transaction. One bulletin per period and policy version (a
unique key): generating again on demand replaces it with the current figures; the monthly job only fills a gap,
so it generates last month's bulletin once however often it runs and however many workers run it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import Conflict, NotFound, field_error
from minhu.evaluation import bulletin, bulletin_files, policies, rates
from minhu.evaluation.models import BulletinRecord
from minhu.evaluation.rates import Period

log = logging.getLogger("minhu.evaluation.bulletin")

SCHEDULER = "定时任务"  # generated_by of the monthly job's bulletins
# The monthly job fills last month's gap only in a month's first days: a deployment installed, or a worker
# restarted, late in a month does not suddenly circulate a stale bulletin.
MONTHLY_UNTIL_DAY = 7


@dataclass(frozen=True)
class Generated:
    period: str
    policy_ref: str
    title: str
    generated_at: datetime
    replaced: bool
    pdf: bytes
    xlsx: bytes


def month_of(text: str) -> Period:
    """A bulletin's period: a month such as ``2026-10``. Raises InvalidInput."""
    period = rates.parse_period(text)
    if not period.is_month:
        raise field_error("period", f"通报按月生成：{text} 不是月份（例如 2026-10）")
    return period


def find(session: Session, period_key: str, policy: str | None, *, files: bool = False) -> BulletinRecord | None:
    """The archived bulletin of a period: ``policy`` as ``code@version`` (exact), ``code`` (its newest version),
    or None (the default policy's, else any). With ``files``, the PDF and workbook bytes are loaded too (of the
    one bulletin chosen: a month holds a bulletin per policy version)."""
    query = select(BulletinRecord).where(BulletinRecord.period == period_key)
    if policy and "@" in policy:
        query = query.where(BulletinRecord.policy_ref == policy)
    elif policy:
        query = query.where(BulletinRecord.policy_ref.startswith(f"{policy}@", autoescape=True))
    found = list(session.scalars(query))
    found.sort(key=lambda r: (r.policy_ref.partition("@")[0] != policies.DEFAULT_CODE,
                              -int(r.policy_ref.partition("@")[2] or 0)))
    if not found:
        return None
    if files:
        return session.scalars(select(BulletinRecord).where(BulletinRecord.id == found[0].id)
                               .options(undefer(BulletinRecord.pdf), undefer(BulletinRecord.xlsx))
                               .execution_options(populate_existing=True)).one()
    return found[0]


def get(session: Session, period_key: str, policy: str | None, *, files: bool = False) -> BulletinRecord:
    """Like ``find``; raises NotFound."""
    record = find(session, period_key, policy, files=files)
    if record is None:
        raise NotFound(f"{period_key} 的通报尚未生成", code="bulletin_not_found",
                       details=[{"field": "period", "message": period_key}])
    return record


def list_records(session: Session) -> list[BulletinRecord]:
    """Every archived bulletin, the latest period first (without their files)."""
    return list(session.scalars(select(BulletinRecord).order_by(BulletinRecord.period.desc(),
                                                                BulletinRecord.policy_ref)))


def preview(session: Session, policy_ref: str | None, period: Period) -> bulletin.Document:
    """The bulletin as it would be generated now, archived or not. Raises PolicyError, Conflict."""
    return bulletin.build(session, policies.resolve(session, policy_ref), period)


def generate(db: Database, *, period: Period, policy_ref: str | None, by: str, templates_dir: Path | None = None,
             only_if_missing: bool = False) -> Generated | None:
    """Compute, render and archive a bulletin; returns what was stored, or None when ``only_if_missing`` and one
    was there already. Raises PolicyError (unknown policy), InvalidInput (a month not over yet), Conflict (no
    unit tree, or a concurrent generation)."""
    if period.end > clock.city_now().date():
        # A bulletin is published on a finished month; a month still running can be previewed, not archived.
        raise field_error("period", f"{period.label}尚未结束，不能生成通报（可先预览）", code="period_not_over")
    with db.read() as session:
        policy = policies.resolve(session, policy_ref)
        if only_if_missing and find(session, period.key, policy.ref) is not None:
            return None
        document = bulletin.build(session, policy, period)
    pdf, xlsx = bulletin_files.pdf(document, templates_dir=templates_dir), bulletin_files.xlsx(document)
    now = clock.now()
    try:
        with db.transaction() as session:
            record = session.scalars(select(BulletinRecord).where(BulletinRecord.period == period.key,
                                                                  BulletinRecord.policy_ref == policy.ref)
                                     .with_for_update()).first()
            replaced = record is not None
            if record is None:
                record = BulletinRecord(period=period.key, policy_ref=policy.ref)
                session.add(record)
            elif only_if_missing:
                return None
            record.title, record.content, record.pdf, record.xlsx = document["title"], document, pdf, xlsx
            record.generated_at, record.generated_by = now, by
            session.flush()
    except IntegrityError:
        # Another generation of the same bulletin committed between our look and our insert.
        if only_if_missing:
            return None
        raise Conflict("同一期通报正在由他人生成，请稍后刷新", code="bulletin_busy") from None
    return Generated(period.key, policy.ref, document["title"], now, replaced, pdf, xlsx)


def monthly_job(templates_dir: Path | None = None) -> Callable[[Database], None]:
    """The scheduler's job: in a month's first days, last month's bulletin under the default policy, once."""

    def run(db: Database) -> None:
        today = clock.city_now().date()
        if today.day > MONTHLY_UNTIL_DAY:
            return
        period = rates.last_month(today)
        try:
            done = generate(db, period=period, policy_ref=None, by=SCHEDULER, templates_dir=templates_dir,
                            only_if_missing=True)
        except Conflict as exc:  # no unit tree yet: nothing to publish, and nothing to retry loudly
            log.info("bulletin %s not generated: %s", period.key, exc.message)
            return
        if done is not None:
            log.info("bulletin %s (%s) generated", done.period, done.policy_ref)

    return run
