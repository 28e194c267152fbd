"""What intake keeps of each order for recognising its duplicates later: where it stands (a map cell, its
community), who called, its category, and its reading (places and matter bigrams), so that comparing a new
order with hundreds of earlier ones reads rows instead of re-reading texts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core.db import Base
from minhu.core.types import JSONDict, UTCDateTime
from minhu.duplicates.places import DEFAULT_REACH

# The rows of the wide ring's partial index (a literal: an index's condition must be written as the query's).
WIDE_CONDITION = f"reach > {DEFAULT_REACH:.0f}"


class OrderFingerprint(Base):
    __tablename__ = "order_fingerprints"
    __table_args__ = (
        # Each door of the search reads its index alone (what the first step needs is in it).
        Index("ix_order_fingerprints_cell", "cell", "created_at", "order_id", "latitude", "longitude",
              "category_code"),
        Index("ix_order_fingerprints_community", "community_id", "created_at", "order_id", "latitude", "longitude",
              "category_code"),
        Index("ix_order_fingerprints_phone", "citizen_phone", "created_at", "order_id", "latitude", "longitude",
              "category_code"),
        # The few orders whose category reaches farther than a point's (an outage, a river): the search's wide
        # ring reads only them.
        Index("ix_order_fingerprints_wide", "cell", "created_at", "order_id", "latitude", "longitude", "reach",
              sqlite_where=text(WIDE_CONDITION), postgresql_where=text(WIDE_CONDITION)),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The ~220 m map cell of the order's point (``duplicates.places.cell_of``); None without a point.
    cell: Mapped[int | None] = mapped_column(BigInteger)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    community_id: Mapped[int | None] = mapped_column(Integer)
    citizen_phone: Mapped[str | None] = mapped_column(String(32))
    category_code: Mapped[str | None] = mapped_column(String(32))
    # How far apart two reports of its category may be and still be one matter (``places.reach_of``), in metres.
    reach: Mapped[float | None]
    # {"places": [...], "matter": {bigram: count}, "title": [...]}: ``duplicates.text.Reading`` as data.
    reading: Mapped[dict[str, Any]] = mapped_column(JSONDict)
