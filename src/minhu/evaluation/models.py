"""The online rating link (网上直评): one per order, texted to the citizen when the centre approves the reply.

Only the SHA-256 digest of the link's token is kept: the token is 128 random bits, so a fast digest is
enough, and reading this table gives nobody a working link. The citizen's answer is kept on the link as
well as on the order, so a link opened again after the callback closed shows what was answered even once
a re-handling (重办) has cleared the order's outcome.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core.db import Base
from minhu.core.types import EnumText, UTCDateTime
from minhu.orders.enums import Resolution, Satisfaction


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
