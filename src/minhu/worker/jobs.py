"""Every periodic job of minhu, in one list: to add a job (a sweep, a rollup), append it here.

    Job(name, every=timedelta(...), run=callable taking the Database, exclusive=True|False)

Make a job ``exclusive`` when two copies running at once would do its work twice (a sweep that
decides what to enqueue); leave it non-exclusive when its own claims are safe with many runners
(delivery). An exclusive job must finish well within ``MINHU_WORKER_LEASE_SECONDS``.
"""

from __future__ import annotations

from datetime import timedelta

from minhu.config import Settings
from minhu.evaluation.bulletin_archive import monthly_job
from minhu.notify.delivery import DeliveryPolicy, delivery_job
from minhu.notify.senders import build_senders
from minhu.org.access import cleanup_job
from minhu.privacy.service import retention_job
from minhu.supervision.sweep import SweepPolicy, sweep_job
from minhu.warning.scan import scan_job
from minhu.worker.runner import Job


def default_jobs(settings: Settings) -> list[Job]:
    return [
        Job("notify.deliver", every=timedelta(seconds=settings.notify_poll_seconds),
            run=delivery_job(build_senders(settings), DeliveryPolicy.from_settings(settings)), exclusive=False),
        # Exclusive for economy, not for correctness: each action is claimed once per deadline anyway.
        Job("deadlines.sweep", every=timedelta(seconds=settings.sweep_seconds),
            run=sweep_job(SweepPolicy(supervise_after=timedelta(hours=settings.supervise_after_hours))),
            exclusive=True),
        # Exclusive so two workers do not both render it; the unique key would keep one anyway.
        Job("evaluation.monthly_bulletin", every=timedelta(hours=1),
            run=monthly_job(settings.home / "templates"), exclusive=True),
        # Ended sessions and tokens, stale login and guessing counts.
        Job("access.cleanup", every=timedelta(hours=1), run=cleanup_job, exclusive=True),
        # Exclusive so two workers do not anonymise the same batch; a run does at most a batch.
        Job("privacy.retention", every=timedelta(hours=1), run=retention_job(settings.citizen_data_days),
            exclusive=True),
        # Exclusive for economy: a warning is unique per community, category and week, and told once.
        Job("warning.scan", every=timedelta(hours=1), run=scan_job, exclusive=True),
    ]
