"""Evaluation's tables: the rate policies a city loaded (the built-in ones are read from the package), the
monthly bulletins published; threads (同一诉求人同一事项): one citizen's repeats on one matter, linked so they
are seen together, with the standard reply (标准答复) the centre writes for the matter once instead of the units
ten times; and the online rating link (网上直评): one per order, texted to the citizen when the centre approves
the reply.

Only the SHA-256 digest of a rating link's token is kept: the token is 128 random bits, so a fast digest is
enough, and reading this table gives nobody a working link. The citizen's answer is kept on the link as
well as on the order, so a link opened again after the callback closed shows what was answered even once
a re-handling (重办) has cleared the order's outcome.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict, UTCDateTime
from minhu.orders.enums import Resolution, Satisfaction
from minhu.orders.models import WorkOrder


class RatePolicyRecord(Base):
    """A loaded version of a rate policy; the built-in policies need no row (they are read from the package)."""

    __tablename__ = "rate_policies"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_rate_policies_code_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)  # the TOML as loaded, for the record
    definition: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class BulletinRecord(Base):
    """A monthly bulletin (月度通报) as it was published: its figures and its files, one per period and policy.

    The figures are kept as generated, so the bulletin reads the same later even when a late ruling or a new
    policy version would change the rates; regenerating replaces them on purpose.
    """

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("period", "policy_ref", name="uq_bulletins_period_policy_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(40))  # rates.Period.key, "2026-10"
    policy_ref: Mapped[str] = mapped_column(String(60))  # RatePolicy.ref, "shuiguohu@1"
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSONDict)  # bulletin.Bulletin.as_dict()
    # A few hundred kilobytes each: small enough for the database, which keeps them in its backups.
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    xlsx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    generated_by: Mapped[str] = mapped_column(String(100))  # who: a person's name, 命令行, or SCHEDULER


class LinkSource(StrEnum):
    """How an order came into its thread."""

    STARTED = "started"  # the order the thread was opened from
    DISPATCHER = "dispatcher"  # linked by hand (from the suggestions or by number)


class OrderThread(Base):
    __tablename__ = "order_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The order the others repeat: duplicates merge into it, and it names the thread.
    main_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    citizen_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    main_order: Mapped[WorkOrder] = relationship(lazy="joined")
    members: Mapped[list[ThreadMember]] = relationship(back_populates="thread", order_by="ThreadMember.linked_at")


class ThreadMember(Base):
    """An order in a thread; an order belongs to one thread at most."""

    __tablename__ = "order_thread_members"

    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("order_threads.id"), index=True)
    source: Mapped[LinkSource] = mapped_column(EnumText(LinkSource))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    thread: Mapped[OrderThread] = relationship(back_populates="members")
    order: Mapped[WorkOrder] = relationship(lazy="joined")


class StandardReply(Base):
    """A thread's standard reply; each rewrite is a new row, so who said what when stays known."""

    __tablename__ = "thread_standard_replies"
    __table_args__ = (Index("ix_thread_standard_replies_thread", "thread_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("order_threads.id"))
    text: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    written_by_name: Mapped[str] = mapped_column(String(100))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RatingLink(Base):
    __tablename__ = "rating_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[Resolution | None] = mapped_column(EnumText(Resolution))
    satisfaction: Mapped[Satisfaction | None] = mapped_column(EnumText(Satisfaction))
    comment: Mapped[str | None] = mapped_column(Text)
