"""A grid worker's patrol (巡查) or household visit (入户走访), as the worker records it, and the points a patrol
passed (打点)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import EnumText, UTCDateTime


class RoundKind(StrEnum):
    PATROL = "patrol"
    VISIT = "visit"


ROUND_KIND_LABELS: dict[RoundKind, str] = {RoundKind.PATROL: "巡查", RoundKind.VISIT: "入户走访"}


class GridRound(Base):
    """One patrol of a grid or one household visit: who, in which grid, when, and a note. The grid is kept as
    recorded, so re-gridding later does not move the record.

    A patrol walked with the phone page starts (``at``) and ends (``ended_at``; None while it is under way) and
    keeps the points the worker marked on the way; one entered afterwards is whole at once (``ended_at`` is
    ``at``). A visit names the household it went to."""

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
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    household: Mapped[str] = mapped_column(String(200), default="", server_default="")

    points: Mapped[list[GridRoundPoint]] = relationship(order_by="GridRoundPoint.at", lazy="raise")

    @property
    def under_way(self) -> bool:
        return self.kind is RoundKind.PATROL and self.ended_at is None


class GridRoundPoint(Base):
    """A place a patrol passed, marked by the worker from the phone's position (WGS-84, as browsers give it)."""

    __tablename__ = "grid_round_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("grid_rounds.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(200), default="")
