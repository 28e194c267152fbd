"""The category catalog, the responsibility matrix, and what routing suggested for each order.

The catalog is data, loaded from a versioned CSV (``routing/data/catalog.csv`` by default); a code
once used is never deleted (a category the file drops is retired), so old orders keep their meaning.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict, UTCDateTime
from minhu.org.models import Unit


class Grade(StrEnum):
    """A: the grid or community solves it; B: the street; C: district departments; D: beyond the district."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


GRADES = (Grade.A, Grade.B, Grade.C, Grade.D)
GRADE_LABELS: dict[Grade, str] = {Grade.A: "A 简单", Grade.B: "B 一般", Grade.C: "C 复杂", Grade.D: "D 疑难"}


class OwnerKind(StrEnum):
    COMMUNITY = "community"
    STREET = "street"
    ENFORCEMENT = "enforcement"
    DEPARTMENT = "department"
    PROPERTY = "property"
    CITY = "city"


class LimitClass(StrEnum):
    """How fast the category must move; the deadlines policy turns it into hours and days."""

    IMMEDIATE = "immediate"
    URGENT = "urgent"
    NORMAL = "normal"
    LONG = "long"
    CONSULT = "consult"


OWNER_KIND_LABELS: dict[OwnerKind, str] = {
    OwnerKind.COMMUNITY: "社区", OwnerKind.STREET: "街道", OwnerKind.ENFORCEMENT: "街道综合执法中心",
    OwnerKind.DEPARTMENT: "职能部门", OwnerKind.PROPERTY: "物业公司", OwnerKind.CITY: "市级",
}
LIMIT_CLASS_LABELS: dict[LimitClass, str] = {
    LimitClass.IMMEDIATE: "立即", LimitClass.URGENT: "紧急", LimitClass.NORMAL: "一般", LimitClass.LONG: "较长",
    LimitClass.CONSULT: "咨询",
}


class Category(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    grade: Mapped[Grade] = mapped_column(EnumText(Grade, length=1))
    owner_kind: Mapped[OwnerKind] = mapped_column(EnumText(OwnerKind))
    limit_class: Mapped[LimitClass] = mapped_column(EnumText(LimitClass))
    keywords: Mapped[list[str]] = mapped_column(JSONDict, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The catalog file's version (its SHA-256, shortened) that last wrote the row.
    catalog_version: Mapped[str] = mapped_column(String(16))

    parent: Mapped[Category | None] = relationship(remote_side=[code])


class CatalogView(Base):
    """A unit's own list of the catalog (a street's A and B item lists): its items, worded its way, each on a
    category and with a grade that overrides the category's default for orders standing in that unit."""

    __tablename__ = "catalog_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    items: Mapped[list[CatalogViewItem]] = relationship(order_by="CatalogViewItem.id", lazy="selectin",
                                                        cascade="all, delete-orphan")


class CatalogViewItem(Base):
    __tablename__ = "catalog_view_items"
    __table_args__ = (UniqueConstraint("view_id", "category_code", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    view_id: Mapped[int] = mapped_column(ForeignKey("catalog_views.id"), index=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    grade: Mapped[Grade] = mapped_column(EnumText(Grade, length=1))
    section: Mapped[str] = mapped_column(String(100), default="")  # the list's class, e.g. 市容环境类
    item: Mapped[str] = mapped_column(String(200))  # the item as the list words it

    category: Mapped[Category] = relationship(lazy="joined")


class RoutingRule(Base):
    """A line of the responsibility matrix: this category (and below), at this place (and below) → this owner.

    Either side may be empty (any category, anywhere); the most specific rule wins. Rulings on problems
    nobody owned are rules too, with their source (the meeting minutes and their date).
    """

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), index=True)
    place_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    co_handler_ids: Mapped[list[int]] = mapped_column(JSONDict, default=list)
    source: Mapped[str] = mapped_column(String(200), default="")
    decided_on: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    category: Mapped[Category | None] = relationship(lazy="joined")
    place_unit: Mapped[Unit | None] = relationship(foreign_keys=[place_unit_id], lazy="joined")
    owner_unit: Mapped[Unit] = relationship(foreign_keys=[owner_unit_id], lazy="joined")


class RoutingDecision(Base):
    """What routing suggested for an order at intake, and what people chose: the measure of the classifier
    in production and of the matrix."""

    __tablename__ = "routing_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    model_version: Mapped[str | None] = mapped_column(String(64))
    # [{"code", "name", "confidence"}], best first; the classifier's top three.
    suggestions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDict, default=list)
    suggested_category: Mapped[str | None] = mapped_column(String(16))
    suggested_grade: Mapped[Grade | None] = mapped_column(EnumText(Grade, length=1))
    grade_reasons: Mapped[list[str]] = mapped_column(JSONDict, default=list)
    suggested_owner_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rules.id"))
    owner_reason: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float | None] = mapped_column(Float)
    auto_dispatched: Mapped[bool] = mapped_column(Boolean, default=False)
    chosen_category: Mapped[str | None] = mapped_column(String(16))
    chosen_owner_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    suggested_owner: Mapped[Unit | None] = relationship(foreign_keys=[suggested_owner_id], lazy="joined")
    chosen_owner: Mapped[Unit | None] = relationship(foreign_keys=[chosen_owner_id])
