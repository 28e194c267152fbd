"""Units, users and API tokens.

A unit's ``path`` is its materialised ancestry (``/1/4/17/``), so "this unit and every unit below
it" is one indexed prefix match on both databases.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict, UTCDateTime
from minhu.org.roles import GridKind, Role, UnitKind


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[UnitKind] = mapped_column(EnumText(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True, default="")
    # Prefix of the order numbers this unit issues (e.g. WC for 武昌区), inherited downwards.
    number_prefix: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # The area it answers for: a GeoJSON Polygon or MultiPolygon in WGS-84, or None. Deferred: units are
    # joined to every order read, and a street's polygon is kilobytes of JSON nobody there needs.
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSONDict, default=None, deferred=True)
    households: Mapped[int | None] = mapped_column(Integer, default=None)
    grid_kind: Mapped[GridKind | None] = mapped_column(EnumText(GridKind), default=None)
    staff_posts: Mapped[int | None] = mapped_column(Integer, default=None)
    staff_filled: Mapped[int | None] = mapped_column(Integer, default=None)
    # Re-gridding retires units instead of deleting them: old orders keep the grid they were reported in.
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    def is_within(self, ancestor: Unit) -> bool:
        return self.path.startswith(ancestor.path)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(EnumText(Role))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    unit: Mapped[Unit] = relationship(lazy="joined")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_digest", "digest", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set by DELETE /api/v1/auth/token, a password change or disabling the account.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship(lazy="joined")


class LoginSession(Base):
    """A signed-in browser. The cookie carries a random secret whose digest is ``digest``: the server can end the
    session (logout, a password change, a disabled account) however many copies of the cookie exist."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_digest", "digest", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class StreetSetting(Base):
    """How a street's sub-centre (街道分中心) works. A street without a row runs none: routing sends its A
    orders to the community as before; once it runs one, it reviews its inner units' replies and dispatches
    every order inside by hand unless it says otherwise."""

    __tablename__ = "street_settings"

    street_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    # The street runs a sub-centre: the A and B orders standing in it go to the street, which dispatches inside.
    sub_centre: Mapped[bool] = mapped_column(Boolean, default=False)
    # An inner unit's reply goes to the street's review before the centre's (else straight to the centre).
    review_inner_replies: Mapped[bool] = mapped_column(Boolean, default=True)
    # An A-level order the district sends the street goes on by itself to the community or grid it stands in.
    a_level_straight: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
