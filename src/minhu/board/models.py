"""A message on the public board, and the supports it has."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict, UTCDateTime


class PostState(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    HELD = "held"


POST_STATE_LABELS = {PostState.PENDING: "待审核", PostState.PUBLISHED: "已公开", PostState.HELD: "不予公开"}


class BoardPost(Base):
    """The public face of an order its citizen chose to make public: its title and text as the public may read
    them (masked), whether a moderator has published it, and its supports."""

    __tablename__ = "board_posts"
    __table_args__ = (Index("ix_board_posts_state_created", "state", "created_at"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    # What masking found in the citizen's words (手机号码, 门牌号, 疑似辱骂 …), for the moderator.
    found: Mapped[list[str]] = mapped_column(JSONDict, default=list)
    state: Mapped[PostState] = mapped_column(EnumText(PostState), default=PostState.PENDING)
    hold_reason: Mapped[str | None] = mapped_column(String(200))
    supports: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class BoardSupport(Base):
    """One supporter's 点赞 of a message: a keyed digest of the browser's session, once per message."""

    __tablename__ = "board_supports"
    __table_args__ = (UniqueConstraint("order_id", "supporter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("board_posts.order_id", ondelete="CASCADE"))
    supporter: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
