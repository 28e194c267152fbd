"""Evaluation's tables: the rate policies a city loaded (the built-in ones are read from the package)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import JSONDict, UTCDateTime


class RatePolicyRecord(Base):
    """A loaded version of a rate policy; the built-in policies need no row (they are read from the package)."""

    __tablename__ = "rate_policies"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_rate_policies_code_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)  # the TOML as loaded, for the record
    definition: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
