"""Zones of responsibility, the posts people hold over them, the gazetteer and the map's history.

Geometries are GeoJSON dicts in WGS-84, stored as JSON on both databases (no PostGIS): the spatial
work happens in memory, on an index rebuilt whenever ``MapRevision`` moves.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict
from minhu.org.models import Unit, User


class LocationSource(StrEnum):
    """How an order's place was found."""

    COORDINATES = "coordinates"
    ADDRESS = "address"
    REPORTER = "reporter"  # no coordinates: a grid worker's own report stands in their grid


class ZoneKind(StrEnum):
    AREA = "area"
    WATER = "water"
    ROAD = "road"


ZONE_KIND_LABELS: dict[ZoneKind, str] = {ZoneKind.AREA: "片区", ZoneKind.WATER: "河湖", ZoneKind.ROAD: "路段"}

# How near a point may lie to a zone and still be its business, when the file does not say.
DEFAULT_BUFFER_M: dict[ZoneKind, float] = {ZoneKind.AREA: 0.0, ZoneKind.WATER: 50.0, ZoneKind.ROAD: 30.0}


class PostKind(StrEnum):
    AREA_CHIEF = "area_chief"
    RIVER_CHIEF = "river_chief"
    ROAD_CHIEF = "road_chief"
    GRID_CHIEF = "grid_chief"
    GRID_WORKER = "grid_worker"


POST_LABELS: dict[PostKind, str] = {
    PostKind.AREA_CHIEF: "片区长",
    PostKind.RIVER_CHIEF: "河湖长",
    PostKind.ROAD_CHIEF: "路段长",
    PostKind.GRID_CHIEF: "网格长",
    PostKind.GRID_WORKER: "网格员",
}

# Which post answers for which kind of zone (grid posts are held over a grid unit instead).
POST_FOR_ZONE: dict[ZoneKind, PostKind] = {ZoneKind.AREA: PostKind.AREA_CHIEF, ZoneKind.WATER: PostKind.RIVER_CHIEF,
                                           ZoneKind.ROAD: PostKind.ROAD_CHIEF}


class PlaceKind(StrEnum):
    STREET = "street"
    COMMUNITY = "community"
    ROAD = "road"
    ESTATE = "estate"
    LANDMARK = "landmark"


class Zone(Base):
    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ZoneKind] = mapped_column(EnumText(ZoneKind))
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSONDict, default=None)
    buffer_m: Mapped[float] = mapped_column(Float, default=0.0)

    members: Mapped[list[ZoneMember]] = relationship(cascade="all, delete-orphan", order_by="ZoneMember.unit_id")


class ZoneMember(Base):
    """A community belonging to an area zone (片区)."""

    __tablename__ = "zone_members"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)

    unit: Mapped[Unit] = relationship(lazy="joined")


class Post(Base):
    """A person answering for a grid or a zone, from a date until another (or still)."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PostKind] = mapped_column(EnumText(PostKind))
    person: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, default=None)

    user: Mapped[User | None] = relationship()
    # Joined: wherever posts are listed, their grid or zone is named beside them.
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    zone: Mapped[Zone | None] = relationship(lazy="joined")

    def held_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class Place(Base):
    """A gazetteer entry: a name people use in addresses, where it is and which unit it lies in."""

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[PlaceKind] = mapped_column(EnumText(PlaceKind))
    aliases: Mapped[list[str]] = mapped_column(JSONDict, default=list)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)

    unit: Mapped[Unit | None] = relationship()


class LineageChange(StrEnum):
    MERGE = "merge"
    SPLIT = "split"
    RESHAPE = "reshape"


class UnitLineage(Base):
    """Re-gridding: which retired unit's ground went to which new unit, and how."""

    __tablename__ = "unit_lineage"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    change: Mapped[LineageChange] = mapped_column(EnumText(LineageChange))
    # Share of the old unit's area that went to the new one.
    share: Mapped[float] = mapped_column(Float)
    on: Mapped[date] = mapped_column(Date)

    from_unit: Mapped[Unit] = relationship(foreign_keys=[from_unit_id])
    to_unit: Mapped[Unit] = relationship(foreign_keys=[to_unit_id])


class MapRevision(Base):
    """One row whose number moves with every change of the map, so each process knows when to rebuild
    its spatial index without comparing geometries."""

    __tablename__ = "map_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
