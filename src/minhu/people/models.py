"""A grid worker's patrol (巡查) or household visit (入户走访), as the worker records it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import EnumText, UTCDateTime


class RoundKind(StrEnum):
    PATROL = "patrol"
    VISIT = "visit"


ROUND_KIND_LABELS: dict[RoundKind, str] = {RoundKind.PATROL: "巡查", RoundKind.VISIT: "入户走访"}


class GridRound(Base):
    """One patrol of a grid or one household visit: who, in which grid, when, and a note. The grid is kept as
    recorded, so re-gridding later does not move the record."""

    __tablename__ = "grid_rounds"
    __table_args__ = (Index("ix_grid_rounds_grid_at", "grid_id", "at"),
                      Index("ix_grid_rounds_worker_at", "worker_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[RoundKind] = mapped_column(EnumText(RoundKind))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
