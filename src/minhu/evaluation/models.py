"""Evaluation's tables: the rate policies a city loaded (the built-in ones are read from the package) and the
monthly bulletins published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, LargeBinary, String, Text, UniqueConstraint
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


class BulletinRecord(Base):
    """A monthly bulletin (月度通报) as it was published: its figures and its files, one per period and policy.

    The figures are kept as generated, so the bulletin reads the same later even when a late ruling or a new
    policy version would change the rates; regenerating replaces them on purpose.
    """

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("period", "policy_ref", name="uq_bulletins_period_policy_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(40))  # rates.Period.key, "2026-10"
    policy_ref: Mapped[str] = mapped_column(String(60))  # RatePolicy.ref, "shuiguohu@1"
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSONDict)  # bulletin.Bulletin.as_dict()
    # A few hundred kilobytes each: small enough for the database, which keeps them in its backups.
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    xlsx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    generated_by: Mapped[str] = mapped_column(String(100))  # a username, or SCHEDULER
