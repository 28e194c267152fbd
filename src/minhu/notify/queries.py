"""Reads of notifications: a person's inbox, the dead letters, templates, the roster, subscribers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from minhu.notify import templates
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.notify.models import DutyShift, NotifyTemplate, OutboxMessage, OutboxResend, WebhookSubscription
from minhu.notify.templates import TemplateSpec
from minhu.org.models import User
from minhu.org.roles import Role


def _inbox_of(user: User) -> list[ColumnElement[bool]]:
    return [OutboxMessage.user_id == user.id, OutboxMessage.channel == NotifyChannel.INBOX.value,
            OutboxMessage.status == DeliveryStatus.SENT.value]


def unread_count(session: Session, user: User) -> int:
    """How many delivered inbox messages ``user`` has not read."""
    return int(session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(*_inbox_of(user), OutboxMessage.read_at.is_(None))) or 0)


def inbox(session: Session, user: User, *, limit: int = 50) -> Sequence[OutboxMessage]:
    """``user``'s delivered inbox messages, newest first."""
    return session.scalars(select(OutboxMessage).where(*_inbox_of(user))
                           .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()).limit(limit)).all()


@dataclass(frozen=True)
class FailedMessage:
    message: OutboxMessage
    resends: Sequence[OutboxResend]


def failing(session: Session, *, limit: int = 200) -> list[FailedMessage]:
    """Dead messages and those waiting for another attempt after a failure, most recent first, each with
    the resends already made."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(or_(OutboxMessage.status == DeliveryStatus.DEAD.value,
                   (OutboxMessage.status == DeliveryStatus.PENDING.value) & OutboxMessage.last_error.is_not(None)))
        .order_by(OutboxMessage.status, OutboxMessage.id.desc()).limit(limit)).all()
    resends = session.scalars(select(OutboxResend).where(OutboxResend.message_id.in_([m.id for m in rows]))
                              .order_by(OutboxResend.at)).all()
    by_message: dict[int, list[OutboxResend]] = {}
    for resend in resends:
        by_message.setdefault(resend.message_id, []).append(resend)
    return [FailedMessage(message, by_message.get(message.id, [])) for message in rows]


def resends_of(session: Session, message_id: int) -> Sequence[OutboxResend]:
    return session.scalars(select(OutboxResend).where(OutboxResend.message_id == message_id)
                           .order_by(OutboxResend.at)).all()


def status_counts(session: Session) -> dict[DeliveryStatus, int]:
    """How many messages are in each delivery state."""
    counts = dict.fromkeys(DeliveryStatus, 0)
    for status, count in session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)):
        counts[DeliveryStatus(status)] = int(count)
    return counts


@dataclass(frozen=True)
class TemplateView:
    spec: TemplateSpec
    text: templates.TemplateText
    edited: NotifyTemplate | None


def template_views(session: Session) -> list[TemplateView]:
    """Every template with the text in force and the administrator's edit, if any."""
    edits = {row.key: row for row in session.scalars(select(NotifyTemplate))}
    views = []
    for key, spec in templates.specs().items():
        row = edits.get(key)
        text = templates.TemplateText(row.subject, row.body, row.sms) if row is not None else spec.default
        views.append(TemplateView(spec, text, row))
    return views


def template_view(session: Session, key: str) -> TemplateView:
    """Raises UnknownTemplate."""
    spec = templates.spec(key)
    row = session.scalars(select(NotifyTemplate).where(NotifyTemplate.key == key)).first()
    text = templates.TemplateText(row.subject, row.body, row.sms) if row is not None else spec.default
    return TemplateView(spec, text, row)


def shifts(session: Session, *, ending_after: datetime) -> Sequence[DutyShift]:
    """Duty shifts that have not ended by ``ending_after``, in order."""
    return session.scalars(select(DutyShift).where(DutyShift.ends_at > ending_after)
                           .order_by(DutyShift.starts_at, DutyShift.id)).all()


def rosterable_users(session: Session) -> Sequence[User]:
    """Who may be put on duty: active leaders, dispatchers and administrators."""
    return session.scalars(select(User).where(User.active.is_(True),
                                              User.role.in_([Role.LEADER.value, Role.DISPATCHER.value,
                                                             Role.ADMIN.value]))
                           .order_by(User.full_name, User.id)).all()


def webhooks(session: Session) -> Sequence[WebhookSubscription]:
    return session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)).all()


@dataclass(frozen=True)
class WebhookView:
    """A subscription with how its deliveries go: the latest message, and how many are failing."""

    subscription: WebhookSubscription
    last: OutboxMessage | None
    failing: int


def webhook_views(session: Session) -> list[WebhookView]:
    """Every subscription, oldest first, with its latest message and its count of dead or retrying ones."""
    rows = webhooks(session)
    ids = [row.id for row in rows]
    latest = (select(func.max(OutboxMessage.id)).where(OutboxMessage.subscription_id.in_(ids))
              .group_by(OutboxMessage.subscription_id))
    last = {m.subscription_id: m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(latest)))}
    failing_now = or_(OutboxMessage.status == DeliveryStatus.DEAD.value,
                      (OutboxMessage.status == DeliveryStatus.PENDING.value) & OutboxMessage.last_error.is_not(None))
    failing = {subscription_id: int(count) for subscription_id, count in session.execute(
        select(OutboxMessage.subscription_id, func.count()).where(OutboxMessage.subscription_id.in_(ids), failing_now)
        .group_by(OutboxMessage.subscription_id))}
    return [WebhookView(row, last.get(row.id), failing.get(row.id, 0)) for row in rows]
