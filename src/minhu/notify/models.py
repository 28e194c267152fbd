"""The outbox and what it needs: templates, the supervisors' duty roster, webhook subscribers.

One ``OutboxMessage`` per (message, channel, recipient), rendered when it is enqueued, so a template
edited later never changes a message already queued. A message's delivery state lives here and
nowhere else; an in-app message is the outbox row itself, visible in the inbox once it is sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict, UTCDateTime
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.org.models import User

MAX_ERROR_LENGTH = 2000
MAX_SUBJECT_LENGTH = 300


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        # NULL keys never collide: a message enqueued without a key is always added.
        UniqueConstraint("channel", "recipient", "dedupe_key"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_inbox", "user_id", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The message's identity outside minhu: receivers (SMS gateway, webhooks, mail Message-ID) use it
    # to recognise a retry of something they already accepted.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[NotifyChannel] = mapped_column(EnumText(NotifyChannel))
    # An e-mail address, a mobile number, a URL, or a user id for the inbox.
    recipient: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    template_key: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[DeliveryStatus] = mapped_column(EnumText(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set by the claim that moved the row to "sending"; only that claim may record the outcome.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    user: Mapped[User | None] = relationship(lazy="joined")


class OutboxResend(Base):
    """An administrator's resend of a failed message: who, when, and what state it was in."""

    __tablename__ = "outbox_resends"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    previous_status: Mapped[DeliveryStatus] = mapped_column(EnumText(DeliveryStatus))
    previous_attempts: Mapped[int] = mapped_column(Integer)
    previous_error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class NotifyTemplate(Base):
    """An administrator's version of a packaged template; without a row the packaged default applies."""

    __tablename__ = "notify_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    sms: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DutyShift(Base):
    """A supervisor rostered on duty (值班) from ``starts_at`` until ``ends_at``."""

    __tablename__ = "duty_shifts"
    __table_args__ = (Index("ix_duty_shifts_span", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])


class WebhookSubscription(Base):
    """Another system that wants minhu's events: where to POST, the shared secret that signs, which events."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    # Event names, or ["*"] for every event.
    events: Mapped[list[str]] = mapped_column(JSONDict, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # Bound to a system that forwards orders (``forwarding``): it takes only the events of the orders that system
    # forwarded, each with the sender's own id. None: every order's events. (No foreign key: a column added to
    # this table later cannot have one on SQLite; systems are disabled, never deleted.)
    system_id: Mapped[int | None] = mapped_column(Integer)
