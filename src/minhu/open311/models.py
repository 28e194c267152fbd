"""What Open311 adds to the catalog and to an order: published services and their questions (attributes), the
keys of Open311 clients, and what a client sent with each request it created."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict, UTCDateTime
from minhu.orders.enums import OrderType

MAX_SERVICE_CODE = 40
MAX_DESCRIPTION = 4000


class Datatype(StrEnum):
    """An attribute's datatype, as the specification names them."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLE = "singlevaluelist"
    MULTI = "multivaluelist"


DATATYPE_LABELS: dict[Datatype, str] = {
    Datatype.STRING: "单行文字", Datatype.NUMBER: "数字", Datatype.DATETIME: "日期时间", Datatype.TEXT: "多行文字",
    Datatype.SINGLE: "单选", Datatype.MULTI: "多选",
}
LIST_TYPES = frozenset({Datatype.SINGLE, Datatype.MULTI})


class Open311Service(Base):
    """A catalog category published as an Open311 service, under a code that never changes once clients use
    it. Unpublishing keeps the row (and its code) so requests already made keep their service."""

    __tablename__ = "open311_services"

    code: Mapped[str] = mapped_column(String(MAX_SERVICE_CODE), primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column(String(100), default="")
    keywords: Mapped[list[str]] = mapped_column(JSONDict, default=list)
    # What the citizen reads once the request is in (the specification's service_notice).
    notice: Mapped[str] = mapped_column(Text, default="")
    order_type: Mapped[OrderType] = mapped_column(EnumText(OrderType), default=OrderType.COMPLAINT)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    attributes: Mapped[list[Open311Attribute]] = relationship(
        order_by="Open311Attribute.position", cascade="all, delete-orphan", lazy="selectin")


class Open311Attribute(Base):
    """A question a service asks (the specification's attribute). ``values`` are [{"key", "name"}] for the list
    datatypes. A non-variable attribute is information shown to the citizen, never answered."""

    __tablename__ = "open311_attributes"
    __table_args__ = (UniqueConstraint("service_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("open311_services.code", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    variable: Mapped[bool] = mapped_column(Boolean, default=True)
    datatype: Mapped[Datatype] = mapped_column(EnumText(Datatype))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    datatype_description: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(String(500))
    values: Mapped[list[dict[str, str]]] = mapped_column(JSONDict, default=list)


class Open311Key(Base):
    """An Open311 client's API key (kept as its SHA-256 digest, with its last four characters to tell keys apart)
    and how many requests a minute it may make."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(8))
    per_minute: Mapped[int] = mapped_column(Integer, default=60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Open311Request(Base):
    """What an Open311 client sent with a request it created: the key, the service asked for, the answers to its
    questions and the reporter's contact (which never leaves through the public endpoints), and the token the
    request can also be found by."""

    __tablename__ = "open311_requests"
    __table_args__ = (Index("ix_open311_requests_received", "received_at"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("open311_keys.id"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("open311_services.code"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    media_url: Mapped[str | None] = mapped_column(String(1000))
    address_id: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    device_id: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[str | None] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Open311Update(Base):
    """A note a client posted on one of its requests (servicerequestupdates): the reporter's follow-up, kept once
    per the client's own update id and shown to the handlers in the order's trail."""

    __tablename__ = "open311_updates"
    __table_args__ = (UniqueConstraint("key_id", "client_update_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("open311_keys.id"))
    client_update_id: Mapped[str | None] = mapped_column(String(100))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("order_events.id"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(40), default="")
    media_url: Mapped[str | None] = mapped_column(String(1000))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
