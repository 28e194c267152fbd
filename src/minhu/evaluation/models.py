"""Threads (同一诉求人同一事项): one citizen's repeats on one matter, linked so they are seen together, with
the standard reply (标准答复) the centre writes for the matter once instead of the units ten times."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core.db import Base
from minhu.core.types import EnumText, UTCDateTime
from minhu.orders.models import WorkOrder


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
