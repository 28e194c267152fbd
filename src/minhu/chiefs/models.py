"""The four chiefs (四长) and what they answer for: each zone's or grid's duty list (责任清单), and the orders that
name a chief because they stand in the chief's ground and fall under that list.

A duty list belongs to the ground (a zone, or a grid for its 网格长), not to the person: when a post changes hands
the list stays, and the next person answers for the same things.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import UTCDateTime
from minhu.geo.models import Post, Zone
from minhu.org.models import Unit
from minhu.routing.models import Category


class DutyList(Base):
    """The duty list of one zone's chief (片区长、河湖长、路段长) or one grid's chief (网格长): exactly one of
    ``zone_id`` and ``grid_id`` is set."""

    __tablename__ = "duty_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique each: NULLs never collide, so a zone and a grid have one list each.
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), unique=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), unique=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    zone: Mapped[Zone | None] = relationship()
    grid: Mapped[Unit | None] = relationship()
    items: Mapped[list[DutyItem]] = relationship(order_by="DutyItem.id", lazy="selectin",
                                                 cascade="all, delete-orphan")


class DutyItem(Base):
    """One matter a chief answers for: a catalog category (and everything below it), worded as the street's list
    words it when it was taken from one (``source`` names that list), else as the catalog names it."""

    __tablename__ = "duty_items"
    __table_args__ = (UniqueConstraint("list_id", "category_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("duty_lists.id", ondelete="CASCADE"), index=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    item: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(100), default="")

    category: Mapped[Category] = relationship(lazy="joined")


class OrderChief(Base):
    """A chief named on an order: the order stands in the chief's ground (``zone_id`` or ``grid_id``) and its
    category is on that ground's duty list (``category_code``, the item that matched). ``alerted`` says a message
    was queued for the chief when they were named."""

    __tablename__ = "order_chiefs"
    __table_args__ = (UniqueConstraint("order_id", "post_id"), Index("ix_order_chiefs_post", "post_id", "named_at"),
                      Index("ix_order_chiefs_zone", "zone_id"), Index("ix_order_chiefs_grid", "grid_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    category_code: Mapped[str] = mapped_column(String(32))
    named_at: Mapped[datetime] = mapped_column(UTCDateTime())
    alerted: Mapped[bool] = mapped_column(default=False)

    post: Mapped[Post] = relationship(lazy="joined")
