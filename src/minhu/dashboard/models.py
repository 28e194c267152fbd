"""The dashboard's daily counts (看板日汇总): how many orders of each kind were registered on each city day, for
the whole district and for each street, kept exact as orders are registered and change."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core.db import Base


class DashboardCount(Base):
    """Orders (voided ones left out) registered on ``day`` in the street ``place_id`` (0: every order), by one
    ``dimension`` of the dashboard's breakdowns and its ``value`` ('' where the order has none).

    One breakdown per row rather than one row per combination of them: the dashboard reads one breakdown at a
    time, and a month of the whole district then reads a few thousand rows instead of as many as it has
    orders. Rows whose count fell to 0 stay (the readers skip them)."""

    __tablename__ = "dashboard_counts"
    # Clustered on its key in SQLite, so a range of days of one place and breakdown is one sequential read.
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012

    place_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
