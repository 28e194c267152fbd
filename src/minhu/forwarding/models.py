"""A system that forwards orders, and the sender's own id of each order it forwarded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import EnumText, UTCDateTime
from minhu.orders.enums import Channel

MAX_EXTERNAL_ID = 100


class IntakeSystem(Base):
    """A system allowed to forward orders: its name, a stable code, the channel its orders count under, and its
    API key — kept only as a SHA-256 digest, with the key's last four characters to tell keys apart."""

    __tablename__ = "intake_systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[Channel] = mapped_column(EnumText(Channel))
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    key_issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class ForwardedOrder(Base):
    """An order a system forwarded, under the sender's own id (unique per system)."""

    __tablename__ = "forwarded_orders"
    __table_args__ = (UniqueConstraint("system_id", "external_id"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("intake_systems.id"))
    external_id: Mapped[str] = mapped_column(String(MAX_EXTERNAL_ID))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    system: Mapped[IntakeSystem] = relationship(lazy="joined")
