"""The writers of notifications: enqueue (in the caller's transaction), resend, read, and the admin's edits.

Like every service, these add and flush; the caller's ``db.transaction()`` commits. ``enqueue`` is
meant to be called in the same transaction as the change that causes the message, so both commit
or neither does, and with a ``dedupe_key`` so that a retried or doubled caller (two sweepers, a
sweep re-run after a crash) adds each message once.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.cache import TTLCache
from minhu.core.db import Base, conflict_insert, rows_changed
from minhu.core.errors import Conflict, NotFound, field_error
from minhu.core.types import json_safe
from minhu.notify import permissions, templates
from minhu.notify.enums import CHANNEL_LABELS, DeliveryStatus, NotifyChannel
from minhu.notify.models import (
    MAX_SUBJECT_LENGTH,
    DutyShift,
    NotifyTemplate,
    OutboxMessage,
    OutboxResend,
    WebhookSubscription,
)
from minhu.notify.templates import Rendered, TemplateText
from minhu.org.models import User

log = logging.getLogger("minhu.notify")

DEFAULT_CHANNELS = (NotifyChannel.INBOX, NotifyChannel.EMAIL, NotifyChannel.SMS)
# A mainland mobile number, once spaces, dashes and a +86 prefix are taken off: landlines get no SMS.
_MOBILE = re.compile(r"1[3-9]\d{9}")


def mobile_number(phone: str | None) -> str | None:
    """The mainland mobile number in ``phone``, bare; None for a landline or nothing."""
    if not phone:
        return None
    digits = re.sub(r"[\s\-()]", "", phone).removeprefix("+86").removeprefix("0086")
    return digits if _MOBILE.fullmatch(digits) else None


def _address(user: User, channel: NotifyChannel) -> tuple[str | None, str]:
    """Where ``user`` receives ``channel``, or None with the reason it cannot."""
    if channel is NotifyChannel.INBOX:
        return str(user.id), ""
    if channel is NotifyChannel.EMAIL:
        email = (user.email or "").strip()
        return (email, "") if "@" in email else (None, "未登记邮箱")
    if channel is NotifyChannel.SMS:
        mobile = mobile_number(user.phone)
        return (mobile, "") if mobile else (None, "未登记手机号" if not user.phone else "登记的号码不是手机号")
    raise ValueError(f"{channel} is not a channel to a person: use enqueue_webhook")


def _insert(session: Session, values: dict[str, Any]) -> bool:
    """Add one outbox row unless its (channel, recipient, dedupe_key) is there; True when added.

    ON CONFLICT DO NOTHING rather than catching the error: a duplicate must neither fail nor abort
    the caller's transaction, and on PostgreSQL a concurrent insert of the same key waits for the
    other transaction and then does nothing.
    """
    return session.execute(_insert_statement(session.get_bind().dialect.name), values).first() is not None


@cache
def _insert_statement(dialect: str) -> Any:
    """The outbox insert, built once per dialect (building it costs more than running it); the row's values
    travel as parameters."""
    table = Base.metadata.tables[OutboxMessage.__tablename__]
    return (conflict_insert(dialect, table).on_conflict_do_nothing(index_elements=["channel", "recipient",
                                                                                   "dedupe_key"])
            .returning(table.c.id))


def _row(channel: NotifyChannel, recipient: str, *, template: str, subject: str, body: str, now: datetime,
         user_id: int | None = None, subscription_id: int | None = None, order_id: int | None = None,
         dedupe_key: str | None = None) -> dict[str, Any]:
    return {"uid": uuid.uuid4().hex, "channel": channel, "recipient": recipient, "user_id": user_id,
            "subscription_id": subscription_id, "template_key": template, "subject": subject[:MAX_SUBJECT_LENGTH],
            "body": body, "order_id": order_id, "dedupe_key": dedupe_key, "status": DeliveryStatus.PENDING,
            "attempts": 0, "next_attempt_at": now, "created_at": now}


def current_text(session: Session, key: str) -> TemplateText:
    """The text in force for template ``key``: the administrator's, else the packaged default. Read once
    per session: a sweep queues hundreds of messages in one transaction."""
    cache: dict[str, TemplateText] = session.info.setdefault("notify_texts", {})
    if key not in cache:
        spec = templates.spec(key)
        row = session.scalars(select(NotifyTemplate).where(NotifyTemplate.key == key)).first()
        cache[key] = TemplateText(row.subject, row.body, row.sms) if row is not None else spec.default
    return cache[key]


def enqueue(session: Session, *, template: str, context: Mapping[str, Any], recipients: Sequence[User],
            channels: Sequence[NotifyChannel] = DEFAULT_CHANNELS, order_id: int | None = None,
            dedupe_key: str | None = None) -> int:
    """Queue ``template`` rendered for each recipient on each channel; returns how many rows were added.

    Rendered now, so a later edit of the template never changes it. A recipient without an e-mail
    address gets no e-mail, without a mobile number no SMS, and an inactive one nothing: each such
    skip is logged as a warning naming the person. With ``dedupe_key``, a message already queued for
    the same channel and recipient under that key is not added again (the call counts 0 for it).

    Raises UnknownTemplate, TemplateContextIncomplete (``context`` lacks a declared variable).
    """
    spec = templates.spec(template)
    text = current_text(session, template)
    now = clock.now()
    added = 0
    skipped: list[str] = []
    for user in {user.id: user for user in recipients}.values():
        if not user.active:
            skipped.append(f"{user.full_name}（{user.username}）：账号已停用")
            continue
        rendered: Rendered = templates.render(spec, text, {**context, "recipient_name": user.full_name})
        for channel in dict.fromkeys(channels):
            address, reason = _address(user, channel)
            if address is None:
                skipped.append(f"{user.full_name}（{user.username}）{CHANNEL_LABELS[channel]}：{reason}")
                continue
            body = rendered.sms if channel is NotifyChannel.SMS else rendered.body
            added += _insert(session, _row(channel, address, template=template, subject=rendered.subject, body=body,
                                           now=now, user_id=user.id, order_id=order_id, dedupe_key=dedupe_key))
    if skipped:
        log.warning("notify %s%s: not sent to %s", template, f" [{dedupe_key}]" if dedupe_key else "",
                    "; ".join(skipped))
    return added


def enqueue_to_address(session: Session, *, template: str, context: Mapping[str, Any], channel: NotifyChannel,
                       address: str, recipient_name: str, order_id: int | None = None,
                       dedupe_key: str | None = None) -> int:
    """Queue ``template`` for someone who is no user — a citizen — at a bare address; returns 1 when added.

    A mobile number for SMS (anything else is skipped with a warning, as for users), an e-mail address for
    e-mail. Raises UnknownTemplate, TemplateContextIncomplete, ValueError for a channel to no person.
    """
    if channel is NotifyChannel.SMS:
        found = mobile_number(address)
    elif channel is NotifyChannel.EMAIL:
        found = address.strip() if "@" in address else None
    else:
        raise ValueError(f"{channel} is not a channel to an address: use enqueue or enqueue_webhook")
    if found is None:
        log.warning("notify %s%s: not sent to %s, not a valid %s address", template,
                    f" [{dedupe_key}]" if dedupe_key else "", recipient_name, CHANNEL_LABELS[channel])
        return 0
    rendered = templates.render(templates.spec(template), current_text(session, template),
                                {**context, "recipient_name": recipient_name})
    body = rendered.sms if channel is NotifyChannel.SMS else rendered.body
    return int(_insert(session, _row(channel, found, template=template, subject=rendered.subject, body=body,
                                     now=clock.now(), order_id=order_id, dedupe_key=dedupe_key)))


# An event filter: ``*``, an event name (``order.dispatch``), or a name's prefix and ``.*`` (``order.light.*``).
EVENT_FILTER = re.compile(r"\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?")
TEST_EVENT = "webhook.test"
@dataclass(frozen=True)
class Subscriber:
    id: int
    url: str
    events: tuple[str, ...]
    # A subscription bound to a system that forwards orders takes only the events of that system's orders.
    system_id: int | None = None


@dataclass(frozen=True)
class Forwarded:
    """The system that forwarded an order, and the sender's own id of it."""

    system_id: int
    external_id: str


def wants(filters: Sequence[str], event: str) -> bool:
    """Whether a subscription's ``filters`` take ``event``."""
    return any(f == "*" or f == event or (f.endswith(".*") and event.startswith(f[:-1])) for f in filters)


# Every order event of an intake or a sweep asks, and most deployments subscribe to nothing: the active
# subscriptions are kept per process for a few seconds (the writers in this process forget them at once, and
# another process's change reaches this one within that time), not read once per transaction.
_subscribers: TTLCache[str, tuple[Subscriber, ...]] = TTLCache(ttl_seconds=5)


def subscribers_to(session: Session, event: str) -> list[Subscriber]:
    """The active subscriptions that take ``event``."""
    def load() -> tuple[Subscriber, ...]:
        return tuple(Subscriber(row.id, row.url, tuple(row.events), row.system_id) for row in session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.active.is_(True)).order_by(WebhookSubscription.id)))

    cached = _subscribers.get_or_load(str(session.get_bind().engine.url), load)
    return [subscriber for subscriber in cached if wants(subscriber.events, event)]


def forget_subscribers(session: Session | None = None) -> None:
    """Drop the cached subscriptions now and, given the writer's ``session``, again once it commits (a request
    between the two would otherwise cache what the commit is about to replace)."""
    _subscribers.clear()
    if session is not None:
        orm_event.listen(session, "after_commit", lambda _session: _subscribers.clear(), once=True)


def _webhook_row(subscriber: Subscriber, *, event: str, payload: Mapping[str, Any], occurred_at: datetime,
                 now: datetime, order_id: int | None, dedupe_key: str | None) -> dict[str, Any]:
    body = json.dumps({"occurred_at": occurred_at.astimezone(UTC).isoformat(), "payload": json_safe(dict(payload))},
                      ensure_ascii=False)
    # Per subscription: two subscriptions to one URL each get their copy, and each once.
    key = f"{dedupe_key}@{subscriber.id}" if dedupe_key is not None else None
    return _row(NotifyChannel.WEBHOOK, subscriber.url, template="webhook", subject=event, body=body, now=now,
                subscription_id=subscriber.id, order_id=order_id, dedupe_key=key)


def enqueue_webhook(session: Session, *, event: str, payload: Mapping[str, Any], dedupe_key: str | None = None,
                    order_id: int | None = None, occurred_at: datetime | None = None,
                    forwarded: Forwarded | None = None) -> int:
    """Queue ``event`` with ``payload`` for every active subscriber to it; returns how many rows were added.

    With ``dedupe_key``, a subscriber that already has the event queued under that key is not given it again.
    A subscriber bound to a forwarding system is given the event only when the order came from that system
    (``forwarded``), and with the sender's own id of it as ``external_id``.
    """
    now = clock.now()
    added = 0
    for subscriber in subscribers_to(session, event):
        body = payload
        if subscriber.system_id is not None:
            if forwarded is None or forwarded.system_id != subscriber.system_id:
                continue
            body = {**payload, "external_id": forwarded.external_id}
        added += _insert(session, _webhook_row(subscriber, event=event, payload=body, occurred_at=occurred_at or now,
                                               now=now, order_id=order_id, dedupe_key=dedupe_key))
    return added


# --- the dead letters ----------------------------------------------------------------------------


def resend(session: Session, message_id: int, *, actor: User) -> OutboxMessage:
    """Send a dead (or failing) message again now, with a fresh set of attempts; the resend is recorded.

    Raises Forbidden (not an administrator), NotFound, Conflict (``not_resendable``: the message is
    sent, being sent, or already waiting without an error — a second click resends nothing).
    """
    permissions.require_admin(actor)
    # OF the outbox row only: PostgreSQL refuses to lock the nullable side of the user join.
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.id == message_id)
                              .with_for_update(of=OutboxMessage)).first()
    if message is None:
        raise NotFound(f"消息 {message_id} 不存在", code="message_not_found")
    failing = message.status is DeliveryStatus.PENDING and message.last_error is not None
    if message.status is not DeliveryStatus.DEAD and not failing:
        raise Conflict("该消息不在失败列表中，无需重发", code="not_resendable",
                       details={"status": message.status.value})
    session.add(OutboxResend(message_id=message.id, actor_id=actor.id, actor_name=actor.full_name,
                             previous_status=message.status, previous_attempts=message.attempts,
                             previous_error=message.last_error, at=clock.now()))
    message.status = DeliveryStatus.PENDING
    message.attempts = 0
    message.last_error = None
    message.next_attempt_at = clock.now()
    session.flush()
    return message


# --- the inbox -----------------------------------------------------------------------------------


def mark_read(session: Session, message_id: int, *, reader: User) -> None:
    """Mark one of ``reader``'s inbox messages read. Raises NotFound for anyone else's."""
    done = rows_changed(session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.user_id == reader.id,
                                    OutboxMessage.channel == NotifyChannel.INBOX.value,
                                    OutboxMessage.status == DeliveryStatus.SENT.value)
        .values(read_at=clock.now()).execution_options(synchronize_session=False)))
    if not done:
        raise NotFound(f"消息 {message_id} 不存在", code="message_not_found")


def mark_all_read(session: Session, *, reader: User) -> int:
    return int(rows_changed(session.execute(
        update(OutboxMessage).where(OutboxMessage.user_id == reader.id,
                                    OutboxMessage.channel == NotifyChannel.INBOX.value,
                                    OutboxMessage.status == DeliveryStatus.SENT.value, OutboxMessage.read_at.is_(None))
        .values(read_at=clock.now()).execution_options(synchronize_session=False))))


# --- templates -----------------------------------------------------------------------------------


def save_template(session: Session, key: str, text: TemplateText, *, actor: User) -> Rendered:
    """Keep an administrator's version of template ``key``; returns its rendering with the samples.

    Raises Forbidden, UnknownTemplate, InvalidInput (``template_invalid``: syntax, an unknown variable,
    a failure to render) — nothing is saved then.
    """
    permissions.require_admin(actor)
    spec = templates.spec(key)
    preview = templates.check(spec, text)
    row = session.scalars(select(NotifyTemplate).where(NotifyTemplate.key == key)).first()
    if row is None:
        row = NotifyTemplate(key=key)
        session.add(row)
    row.subject, row.body, row.sms = text.subject.strip(), text.body, text.sms.strip()
    row.updated_at, row.updated_by_id = clock.now(), actor.id
    session.flush()
    return preview


def reset_template(session: Session, key: str, *, actor: User) -> None:
    """Go back to the packaged text of template ``key``."""
    permissions.require_admin(actor)
    templates.spec(key)
    session.execute(delete(NotifyTemplate).where(NotifyTemplate.key == key))


# --- the duty roster and webhooks ----------------------------------------------------------------


def add_shift(session: Session, *, user_id: int, starts_at: datetime, ends_at: datetime, note: str = "",
              actor: User) -> DutyShift:
    """Roster a supervisor on duty. Raises Forbidden, InvalidInput (no such active user, an empty span)."""
    permissions.require_admin(actor)
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise field_error("user_id", "没有这位在职用户")
    if ends_at <= starts_at:
        raise field_error("ends_at", "结束时间须晚于开始时间")
    shift = DutyShift(user_id=user.id, starts_at=starts_at, ends_at=ends_at, note=note.strip()[:200],
                      created_by_id=actor.id, created_at=clock.now())
    session.add(shift)
    session.flush()
    return shift


def remove_shift(session: Session, shift_id: int, *, actor: User) -> None:
    permissions.require_admin(actor)
    if not rows_changed(session.execute(delete(DutyShift).where(DutyShift.id == shift_id))):
        raise NotFound(f"值班记录 {shift_id} 不存在", code="shift_not_found")


def new_secret() -> str:
    """A signing secret for a subscription: 43 random URL-safe characters."""
    return secrets.token_urlsafe(32)


def _check_events(events: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(event.strip() for event in events if event.strip()))
    if not wanted:
        raise field_error("events", "至少订阅一个事件（* 表示全部）")
    wrong = [event for event in wanted if not EVENT_FILTER.fullmatch(event)]
    if wrong:
        raise field_error("events", f"事件名不正确：{'、'.join(wrong)}（例如 order.dispatch、order.light.*、*）")
    return wanted


def add_webhook(session: Session, *, name: str, url: str, secret: str, events: Sequence[str],
                system_id: int | None = None) -> WebhookSubscription:
    """Subscribe another system to events (``*`` for all, ``order.light.*`` for a family). Raises InvalidInput
    for a URL that is not http(s), a secret shorter than 16 characters, or an event filter of the wrong form."""
    url = url.strip()
    if not re.fullmatch(r"https?://[^\s/?#]+\S*", url) or len(url) > 500:
        raise field_error("url", "地址须以 http:// 或 https:// 开头，且不超过 500 个字符")
    if len(secret) < 16:
        raise field_error("secret", "密钥至少 16 个字符")
    wanted = _check_events(events)
    subscription = WebhookSubscription(name=name.strip()[:100] or url[:100], url=url, secret=secret, events=wanted,
                                       active=True, created_at=clock.now(), system_id=system_id)
    session.add(subscription)
    session.flush()
    forget_subscribers(session)
    return subscription


def set_webhook_active(session: Session, subscription_id: int, *, active: bool) -> WebhookSubscription:
    """Pause or resume a subscription: a paused one is given no new event, and what is queued for it fails
    (to the dead letters, from where it can be resent once it is resumed). Raises NotFound."""
    if not rows_changed(session.execute(update(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
                           .values(active=active))):
        raise NotFound(f"Webhook 订阅 {subscription_id} 不存在", code="webhook_not_found")
    forget_subscribers(session)
    return session.get_one(WebhookSubscription, subscription_id, populate_existing=True)


def delete_webhook(session: Session, subscription_id: int) -> WebhookSubscription:
    """Remove a subscription. What was still waiting for it is dead (never sent); what was sent stays in the
    outbox without it. Raises NotFound."""
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(f"Webhook 订阅 {subscription_id} 不存在", code="webhook_not_found")
    mine = OutboxMessage.subscription_id == subscription_id
    session.execute(update(OutboxMessage).where(mine, OutboxMessage.status == DeliveryStatus.PENDING.value)
                    .values(status=DeliveryStatus.DEAD, last_error="Webhook 订阅已删除")
                    .execution_options(synchronize_session=False))
    session.execute(update(OutboxMessage).where(mine).values(subscription_id=None)
                    .execution_options(synchronize_session=False))
    session.delete(subscription)
    session.flush()
    forget_subscribers(session)
    return subscription


def send_test_webhook(session: Session, subscription_id: int) -> WebhookSubscription:
    """Queue a ``webhook.test`` event to one subscription, whatever its filters, to check the receiver.
    Raises NotFound, Conflict (``webhook_paused``)."""
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(f"Webhook 订阅 {subscription_id} 不存在", code="webhook_not_found")
    if not subscription.active:
        raise Conflict("该订阅已暂停：恢复后才能发送测试事件", code="webhook_paused")
    now = clock.now()
    subscriber = Subscriber(subscription.id, subscription.url, tuple(subscription.events))
    _insert(session, _webhook_row(subscriber, event=TEST_EVENT, payload={"message": "minhu 测试事件",
                                                                           "subscription": subscription.name},
                                  occurred_at=now, now=now, order_id=None, dedupe_key=None))
    return subscription
