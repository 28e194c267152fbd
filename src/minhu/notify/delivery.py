"""The delivery loop: claim a due message, send it outside any transaction, record what happened.

Claiming is safe with any number of processes. On PostgreSQL the due row is locked ``FOR UPDATE
SKIP LOCKED``, so two claimers take different rows without waiting on each other; on SQLite one
conditional UPDATE moves the row from pending to sending under a fresh claim token (SQLite runs one
write transaction at a time, so two claimers cannot both match it). Only the holder of the token
may record the outcome. One message is claimed at a time, so a row is "sending" for no longer than
one send, and the stuck threshold (a sender that crashed) can be set safely above the send timeout.
Inbox messages, which leave nothing to wait for outside the database, are delivered many to one
transaction instead (``deliver_inbox``).

A failed attempt waits the policy's back-off (1 min, 5 min, 30 min, 2 h, 6 h by default — fixed, no
jitter, so the schedule can be asserted) and after the last attempt the message is dead, with its
last error, until an administrator resends it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from minhu.config import Settings
from minhu.core import clock
from minhu.core.db import Database, rows_changed
from minhu.core.security import mask_phone
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.notify.models import MAX_ERROR_LENGTH, OutboxMessage, WebhookSubscription
from minhu.notify.senders import MISSING_SETTINGS, Delivery, PermanentFailure, Sender

log = logging.getLogger("minhu.notify")

INTERRUPTED = "发送中断（发送进程在确认送达前退出），已重新排队"


@dataclass(frozen=True)
class DeliveryPolicy:
    """When to try again, how often, and when a "sending" row is taken to be abandoned."""

    backoff: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                                      timedelta(hours=2), timedelta(hours=6))
    max_attempts: int = 6
    stuck_after: timedelta = timedelta(minutes=10)
    # Messages one run of the job sends at most, so other work in the worker gets its turn.
    per_run: int = 200

    def __post_init__(self) -> None:
        if not self.backoff or self.max_attempts < 1:
            raise ValueError("a delivery policy needs a back-off and at least one attempt")

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt; the last step repeats."""
        return self.backoff[min(max(attempts, 1), len(self.backoff)) - 1]

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(backoff=tuple(timedelta(seconds=s) for s in settings.notify_backoff_seconds),
                   max_attempts=settings.notify_max_attempts,
                   stuck_after=timedelta(seconds=settings.notify_stuck_seconds))


@dataclass
class DeliveryReport:
    requeued: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.dead


def requeue_stuck(db: Database, policy: DeliveryPolicy) -> int:
    """Put back messages left "sending" longer than ``policy.stuck_after`` (their sender died mid-send);
    those that have used every attempt are dead. Returns how many were put back or buried."""
    now = clock.now()
    stuck = ((OutboxMessage.status == DeliveryStatus.SENDING.value)
             & (OutboxMessage.claimed_at < now - policy.stuck_after))
    with db.transaction() as session:
        buried = rows_changed(session.execute(
            update(OutboxMessage).where(stuck, OutboxMessage.attempts >= policy.max_attempts)
            .values(status=DeliveryStatus.DEAD, claim_token=None, last_error=INTERRUPTED)
            .execution_options(synchronize_session=False)))
        back = rows_changed(session.execute(
            update(OutboxMessage).where(stuck).values(status=DeliveryStatus.PENDING, claim_token=None,
                                                      next_attempt_at=now, last_error=INTERRUPTED)
            .execution_options(synchronize_session=False)))
    if buried or back:
        log.warning("outbox: %d interrupted message(s) requeued, %d dead after their last attempt", back, buried)
    return int(buried + back)


def _claim_row(session: Session, token: str) -> int | None:
    now = clock.now()
    due = select(OutboxMessage.id).where(OutboxMessage.status == DeliveryStatus.PENDING.value,
                                         OutboxMessage.next_attempt_at <= now)
    due = due.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
    claim = {"status": DeliveryStatus.SENDING, "claim_token": token, "claimed_at": now,
             "attempts": OutboxMessage.attempts + 1}
    if session.get_bind().dialect.name == "postgresql":
        message_id = session.scalar(due.with_for_update(skip_locked=True))
        if message_id is None:
            return None
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**claim)
                        .execution_options(synchronize_session=False))
        return message_id
    # SQLite: one statement; the status test in the outer WHERE makes a lost race claim nothing.
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == due.scalar_subquery(), OutboxMessage.status == DeliveryStatus.PENDING.value)
        .values(**claim).returning(OutboxMessage.id).execution_options(synchronize_session=False)).first()
    return None if claimed is None else int(claimed[0])


def claim_next(db: Database) -> tuple[Delivery, str] | None:
    """Claim the message due longest; returns it with the claim token, or None when nothing is due."""
    token = secrets.token_hex(16)
    with db.transaction() as session:
        message_id = _claim_row(session, token)
        if message_id is None:
            return None
        row = session.execute(
            select(OutboxMessage, WebhookSubscription.secret, WebhookSubscription.active)
            .outerjoin(WebhookSubscription, WebhookSubscription.id == OutboxMessage.subscription_id)
            .where(OutboxMessage.id == message_id)).one()
        message, secret, active = row
        return Delivery(id=message.id, uid=message.uid, channel=message.channel, recipient=message.recipient,
                        subject=message.subject, body=message.body, attempt=message.attempts,
                        secret=secret if active else None), token


def _held(message_id: int, token: str) -> ColumnElement[bool]:
    return ((OutboxMessage.id == message_id) & (OutboxMessage.claim_token == token)
            & (OutboxMessage.status == DeliveryStatus.SENDING.value))


def record_sent(db: Database, delivery: Delivery, token: str) -> bool:
    with db.transaction() as session:
        done = rows_changed(session.execute(
            update(OutboxMessage).where(_held(delivery.id, token))
            .values(status=DeliveryStatus.SENT, sent_at=clock.now(), claim_token=None)
            .execution_options(synchronize_session=False)))
    if not done:
        log.warning("outbox: message %s was sent but its claim was lost (requeued as stuck)", delivery.id)
    return bool(done)


def record_failure(db: Database, delivery: Delivery, token: str, error: str, *, permanent: bool,
                   policy: DeliveryPolicy) -> DeliveryStatus:
    """Schedule the next attempt, or bury the message after its last one (or a permanent failure)."""
    now = clock.now()
    dead = permanent or delivery.attempt >= policy.max_attempts
    values: dict[str, object] = {"last_error": error[:MAX_ERROR_LENGTH], "claim_token": None}
    if dead:
        values["status"] = DeliveryStatus.DEAD
    else:
        values.update(status=DeliveryStatus.PENDING, next_attempt_at=now + policy.retry_delay(delivery.attempt))
    with db.transaction() as session:
        session.execute(update(OutboxMessage).where(_held(delivery.id, token)).values(**values)
                        .execution_options(synchronize_session=False))
    return DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING


def deliver_inbox(db: Database, limit: int) -> int:
    """Deliver up to ``limit`` due inbox messages in one transaction; returns how many.

    An inbox message is delivered by marking it sent: there is nothing outside the database to wait for,
    so claiming it, "sending" it and recording that one at a time would only cost two commits each. On a
    storm morning every auto-dispatched order tells its unit's people, and those commits would compete
    with intake for the writer. A message whose recipient is no user number is left to the one-at-a-time
    path, which records why it cannot be delivered.
    """
    now = clock.now()
    with db.transaction() as session:
        due = session.execute(select(OutboxMessage.id, OutboxMessage.recipient)
                              .where(OutboxMessage.channel == NotifyChannel.INBOX.value,
                                     OutboxMessage.status == DeliveryStatus.PENDING.value,
                                     OutboxMessage.next_attempt_at <= now)
                              .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)).all()
        ids = [row.id for row in due if row.recipient.isdigit()]
        if not ids:
            return 0
        # The status test makes a message another process delivered meanwhile count once, there.
        return rows_changed(session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids),
                                        OutboxMessage.status == DeliveryStatus.PENDING.value)
            .values(status=DeliveryStatus.SENT, sent_at=now, attempts=OutboxMessage.attempts + 1, claim_token=None)
            .execution_options(synchronize_session=False)))


def deliver_due(db: Database, senders: Mapping[NotifyChannel, Sender], policy: DeliveryPolicy) -> DeliveryReport:
    """Send every message that is due now (at most ``policy.per_run``); a failure never stops the rest.
    Inbox messages go first, many per transaction (``deliver_inbox``); the others one at a time."""
    report = DeliveryReport(requeued=requeue_stuck(db, policy))
    if NotifyChannel.INBOX in senders:
        report.sent += deliver_inbox(db, policy.per_run)
    while report.attempted < policy.per_run:
        claimed = claim_next(db)
        if claimed is None:
            break
        delivery, token = claimed
        sender = senders.get(delivery.channel)
        try:
            if sender is None:
                raise PermanentFailure(MISSING_SETTINGS[delivery.channel])
            sender.send(delivery)
        except Exception as exc:  # any failure of a sender is recorded on its message
            error = str(exc) if isinstance(exc, PermanentFailure) else f"{type(exc).__name__}: {exc}"
            outcome = record_failure(db, delivery, token, error, permanent=isinstance(exc, PermanentFailure),
                                     policy=policy)
            report.errors.append(error)
            if outcome is DeliveryStatus.DEAD:
                report.dead += 1
                log.error("outbox: message %s (%s to %s) is dead after %d attempt(s): %s", delivery.id,
                          delivery.channel.value, _loggable(delivery), delivery.attempt, error)
            else:
                report.retrying += 1
                log.warning("outbox: message %s (%s) attempt %d failed, will retry: %s", delivery.id,
                            delivery.channel.value, delivery.attempt, error)
            continue
        record_sent(db, delivery, token)
        report.sent += 1
    return report


def _loggable(delivery: Delivery) -> str:
    """The recipient as the log may show it: a citizen's mobile number masked (139****1234); logs are read
    by more people than may see the number."""
    if delivery.channel is NotifyChannel.SMS:
        return mask_phone(delivery.recipient) or ""
    return delivery.recipient


def delivery_job(senders: Mapping[NotifyChannel, Sender], policy: DeliveryPolicy) -> Callable[[Database], None]:
    """The worker's job: deliver what is due."""
    def run(db: Database) -> None:
        report = deliver_due(db, senders, policy)
        if report.attempted or report.requeued:
            log.info("outbox: %d sent, %d to retry, %d dead, %d requeued", report.sent, report.retrying,
                     report.dead, report.requeued)
    return run
