"""The work order (工单), its append-only trail of events, its attachments and its number sequence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.types import EnumText, JSONDict, UTCDateTime
from minhu.geo.models import LocationSource
from minhu.orders.enums import CallbackMethod, Channel, Grade, OrderType, Resolution, Ruling, Satisfaction, Urgency
from minhu.orders.states import Action, Status
from minhu.org.models import Unit, User
from minhu.org.roles import Role


class WorkOrder(Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_created", "created_at", "id"),
        Index("ix_work_orders_owner_created", "owner_unit_id", "created_at", "id"),
        Index("ix_work_orders_status_created", "status", "created_at", "id"),
        # Lights: the orders past a warning instant, with what counting them needs (a range of the index, not
        # the table); and the deadlines, for the sweep to find what turned red since its last pass.
        *(Index(f"ix_work_orders_{limit}_warn", "status", f"{limit}_warn_at", f"{limit}_due_at", "owner_unit_id",
                *(("responded_at",) if limit == "respond" else ()))
          for limit in ("sign", "respond", "finish", "callback")),
        *(Index(f"ix_work_orders_{limit}_due", "status", f"{limit}_due_at") for limit in ("sign", "respond")),
        # The finish deadline also holds the archive and reply instants: the rates' "overdue and still open at the
        # period's end" is then decided from the index, instead of reading every order due in the period.
        Index("ix_work_orders_finish_due", "status", "finish_due_at", "closed_at", "replied_at"),
        # The urging points a policy line set apart from the yellow light (5天催办), for the sweep.
        *(Index(f"ix_work_orders_{limit}_urge", "status", f"{limit}_urge_at")
          for limit in ("sign", "respond", "finish")),
        # The rates: archived orders by archive time, with everything their aggregation reads (a covering index),
        # also by first-level category and place (the dashboard's rates by category, for a street or community).
        Index("ix_work_orders_rates", "status", "closed_at", "owner_unit_id", "type", "channel", "responded_at",
              "respond_due_at", "finish_due_at", "replied_at", "resolution", "satisfaction", "callback_reached",
              "unreachable", "duplicate_of_id", "ruling", "category_code", "street_id", "community_id", "grid_id"),
        # The duplicates of an order. Only the orders that are one: SQLite's statistics would otherwise take
        # "not a duplicate" (nearly every order) for a selective lookup, and the rates would read every order.
        Index("ix_work_orders_duplicate_of_id", "duplicate_of_id", sqlite_where=text("duplicate_of_id IS NOT NULL"),
              postgresql_where=text("duplicate_of_id IS NOT NULL")),
        # One citizen's orders over time: the thread suggestions on the order page (同一诉求).
        Index("ix_work_orders_phone_created", "citizen_phone", "created_at"),
        # The retention rule's next batch: closed orders still holding their citizen's data, oldest first.
        Index("ix_work_orders_retention", "closed_at", sqlite_where=text("anonymised_at IS NULL"),
              postgresql_where=text("anonymised_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[Channel] = mapped_column(EnumText(Channel))
    type: Mapped[OrderType] = mapped_column(EnumText(OrderType))
    urgency: Mapped[Urgency] = mapped_column(EnumText(Urgency), default=Urgency.NORMAL)
    status: Mapped[Status] = mapped_column(EnumText(Status))

    citizen_name: Mapped[str | None] = mapped_column(String(100))
    citizen_phone: Mapped[str | None] = mapped_column(String(32))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)

    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Where the order stands in the territorial tree, found at intake from the coordinates or the
    # address. Kept as found: re-gridding later does not move an order off the grid it was reported in.
    street_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # The finest of the three: the units above it (the grid's community, street, district) see the order.
    place_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    location_source: Mapped[LocationSource | None] = mapped_column(EnumText(LocationSource))
    location_confidence: Mapped[float | None] = mapped_column(Float)

    # Filled by routing once it exists; empty until then.
    category_code: Mapped[str | None] = mapped_column(String(32), index=True)
    grade: Mapped[Grade | None] = mapped_column(EnumText(Grade, length=1))

    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # The street sub-centre (街道分中心) that dispatched the order inside the street (内派): an inner unit's
    # return goes back to it, and its reply to its review when the street says so. None at the centre's hand.
    sub_centre_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accept_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finish_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The limits' deadlines and the instants their lights turn yellow, under the policy the order was
    # created with; provisional when a deadline reaches a year whose holidays nobody has entered.
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("time_limit_policies.id"))
    deadlines_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    accept_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sign_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sign_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    respond_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    respond_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finish_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    callback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    callback_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the sweep urges, where the policy line sets it (it may fall after the deadline: 3天办结、5天催办);
    # None: when the light turns yellow.
    sign_urge_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    respond_urge_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finish_urge_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # While suspended (挂起): since when, and the working minutes the 办结 clock had left.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finish_left_minutes: Mapped[float | None] = mapped_column(Float)
    # Set at each dispatch: when the receiving unit got it, and until when it may still return it (退单).
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the citizen's personal data was anonymised (retention period over, or at their request).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    reply_text: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[Resolution | None] = mapped_column(EnumText(Resolution))
    satisfaction: Mapped[Satisfaction | None] = mapped_column(EnumText(Satisfaction))
    # How the answer above was got (phone, the citizen's own online rating, a visit); whether the citizen was
    # reached, how many tries it took, and whether the callback was closed as unreachable (counted apart).
    callback_method: Mapped[CallbackMethod | None] = mapped_column(EnumText(CallbackMethod))
    callback_reached: Mapped[bool | None] = mapped_column(Boolean)
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Assessment: an order merged into another as its duplicate counts once, through the other; the centre's
    # ruling on a disputed order (with its reason) decides whether and how it counts.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    ruling: Mapped[Ruling | None] = mapped_column(EnumText(Ruling))
    ruling_reason: Mapped[str | None] = mapped_column(Text)

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    owner_unit: Mapped[Unit] = relationship(lazy="joined", foreign_keys=[owner_unit_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    sub_centre: Mapped[Unit | None] = relationship(foreign_keys=[sub_centre_id])
    # Joined like the owner: every order page and access check needs them, and they are primary-key joins.
    street: Mapped[Unit | None] = relationship(lazy="joined", foreign_keys=[street_id])
    community: Mapped[Unit | None] = relationship(lazy="joined", foreign_keys=[community_id])
    grid: Mapped[Unit | None] = relationship(lazy="joined", foreign_keys=[grid_id])

    @property
    def place_unit(self) -> Unit | None:
        """The finest unit the order stands on."""
        return self.grid or self.community or self.street
    attachments: Mapped[list[Attachment]] = relationship(back_populates="order", order_by="Attachment.id")
    # Loaded with the order: who may see and act on it depends on them.
    calls: Mapped[list[OrderCall]] = relationship(order_by="OrderCall.id", lazy="selectin")
    escalations: Mapped[list[OrderEscalation]] = relationship(order_by="OrderEscalation.id", lazy="selectin")
    extensions: Mapped[list[OrderExtension]] = relationship(order_by="OrderExtension.id", lazy="selectin")

    @property
    def pending_extension(self) -> OrderExtension | None:
        return next((e for e in self.extensions if e.decided_at is None), None)

    @property
    def pending_escalation(self) -> OrderEscalation | None:
        return next((e for e in self.escalations if e.decided_at is None), None)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class OrderCall(Base):
    """A unit called onto an order (吹哨) and its report (报到): when it was due, when it came, what it did."""

    __tablename__ = "order_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime())
    report_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def late(self) -> bool:
        return self.reported_at is not None and self.reported_at > self.report_due_at


class OrderEscalation(Base):
    """A unit's request to raise an order's grade (A→B→C→D) and the level above's answer."""

    __tablename__ = "order_escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    from_grade: Mapped[Grade | None] = mapped_column(EnumText(Grade, length=1))
    to_grade: Mapped[Grade] = mapped_column(EnumText(Grade, length=1))
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted: Mapped[bool | None] = mapped_column(Boolean)
    decision_note: Mapped[str | None] = mapped_column(Text)

    requested_unit: Mapped[Unit] = relationship(lazy="joined")


class OrderExtension(Base):
    """延期: the owning unit asks for a new finish deadline, with a reason; the centre approves or refuses."""

    __tablename__ = "order_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    old_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved: Mapped[bool | None] = mapped_column(Boolean)
    decision_note: Mapped[str | None] = mapped_column(Text)


class OrderSupervision(Base):
    """督办: a formal supervision of an order, with its own deadline, opened by a person or the sweep."""

    __tablename__ = "order_supervisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the sweep
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CallbackAttempt(Base):
    """One try at a callback (回访): how, whether the citizen answered, what the caller noted, and who called.
    An online rating is a try that reached the citizen, by nobody (``actor_id`` None)."""

    __tablename__ = "callback_attempts"
    __table_args__ = (Index("ix_callback_attempts_order_at", "order_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    method: Mapped[CallbackMethod] = mapped_column(EnumText(CallbackMethod))
    reached: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A snapshot, like the trail's: the record must read the same after the caller is renamed.
    actor_name: Mapped[str] = mapped_column(String(100))


class OrderEvent(Base):
    """One step of an order's trail (全留痕). Rows are only ever inserted: database triggers refuse
    updates and deletes, so the trail stays what happened. One change is let through: the retention rule masking
    the personal data in the note of an order it has anonymised (``minhu.privacy``)."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order_at", "order_id", "at", "id"),
                      # Events of one kind over a period: the dissatisfied ledger's callbacks.
                      Index("ix_order_events_action_at", "action", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    action: Mapped[Action] = mapped_column(EnumText(Action))
    from_status: Mapped[Status | None] = mapped_column(EnumText(Status))
    to_status: Mapped[Status] = mapped_column(EnumText(Status))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Snapshots: the trail must read the same after a user is renamed or moves unit.
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[Role | None] = mapped_column(EnumText(Role))
    actor_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    actor_unit_name: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    order: Mapped[WorkOrder] = relationship()


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    order: Mapped[WorkOrder] = relationship(back_populates="attachments")


class OrderSequence(Base):
    """The last daily sequence number issued per prefix and city date."""

    __tablename__ = "order_sequences"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)
