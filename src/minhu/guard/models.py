"""The attempts counted at each door, one row per door and key, in the database every server process shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core.db import Base
from minhu.core.types import UTCDateTime


class AttemptCount(Base):
    """Attempts at one door by one key (an account, a client, an order number) since ``window_start``.

    ``key`` is a keyed digest: the table never holds a username, a phone number or a client's address.
    ``strikes`` counts the locks in a row, so each lock lasts longer than the one before (the back-off).
    """

    __tablename__ = "attempt_counts"
    __table_args__ = (Index("ix_attempt_counts_touched_at", "touched_at"),)

    door: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    strikes: Mapped[int] = mapped_column(Integer, default=0)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime())
