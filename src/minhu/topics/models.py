"""Problem of the month (每月一题): a hard common problem taken up as a managed topic, the orders it covers, and
the notes of its progress."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict, UTCDateTime


class TopicState(StrEnum):
    ACTIVE = "active"
    DONE = "done"
    DROPPED = "dropped"


TOPIC_STATE_LABELS: dict[TopicState, str] = {TopicState.ACTIVE: "推进中", TopicState.DONE: "已完成",
                                             TopicState.DROPPED: "已撤销"}


class LinkSource(StrEnum):
    CHOSEN = "chosen"  # named when the topic was made, or added by hand
    MATCHED = "matched"  # a new order that met the topic's rule as it arrived


class Topic(Base):
    """A topic and the rule that recognises its orders: any of ``keywords`` in the title or text, a category under
    one of ``category_codes`` (when given), located in ``place_unit_id`` or below (when given)."""

    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    month: Mapped[str] = mapped_column(String(7))  # the month it was taken up, YYYY-MM
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    target: Mapped[str] = mapped_column(String(500), default="")  # 目标：what "solved" means here
    deadline: Mapped[date | None] = mapped_column(Date)
    state: Mapped[TopicState] = mapped_column(EnumText(TopicState), default=TopicState.ACTIVE)
    keywords: Mapped[list[str]] = mapped_column(JSONDict, default=list)
    category_codes: Mapped[list[str]] = mapped_column(JSONDict, default=list)
    place_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TopicOrder(Base):
    __tablename__ = "topic_orders"
    __table_args__ = (UniqueConstraint("topic_id", "order_id"), Index("ix_topic_orders_order", "order_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    source: Mapped[LinkSource] = mapped_column(EnumText(LinkSource))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TopicNote(Base):
    """A step of the topic's progress, as its owner or the centre records it."""

    __tablename__ = "topic_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
