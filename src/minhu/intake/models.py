"""One-time codes that prove a resident holds a phone (to see every order made with it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core.db import Base
from minhu.core.types import UTCDateTime


class PhoneCode(Base):
    """A code sent to a phone: kept only as a keyed digest, valid until ``expires_at`` and for a few tries.
    The rows are also the count the limits read (per number, per client), in the database every server process
    shares."""

    __tablename__ = "phone_codes"
    __table_args__ = (
        Index("ix_phone_codes_phone", "phone", "created_at"),
        Index("ix_phone_codes_client", "client", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    # A digest of the asking client's address (the address itself is not kept).
    client: Mapped[str] = mapped_column(String(64))
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConsoleCall(Base):
    """A call an operator took at the console (话务台): when the operator began it and when it was registered —
    the operator's figures of the day (calls, average handling time) are read from these rows."""

    __tablename__ = "console_calls"
    __table_args__ = (Index("ix_console_calls_operator_ended", "operator_id", "ended_at"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
