"""Reads of work orders, always through the viewer's data scope (out of scope reads as absent)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from minhu.core.errors import NotFound
from minhu.core.pagination import decode_cursor, encode_cursor
from minhu.orders.enums import Channel, OrderType
from minhu.orders.models import Attachment, OrderEvent, WorkOrder
from minhu.orders.permissions import is_centre, visible_clause
from minhu.orders.states import Action, Status
from minhu.org.models import Unit, User
from minhu.org.queries import unit_ids_below
from minhu.routing.models import RoutingDecision

NUMBER_PATTERN = re.compile(r"^[A-Z]{1,8}\d{14}$", re.ASCII)
# An order number inside a text (a trail note, a payload value).
NAMED_NUMBER = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,8}\d{14}(?!\d)", re.ASCII)
MAX_PAGE = 100


@dataclass
class OrderFilters:
    statuses: list[Status] = field(default_factory=list)
    unit_id: int | None = None
    category_code: str | None = None
    channel: Channel | None = None
    type: OrderType | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None


def _not_found(number: str) -> NotFound:
    return NotFound(f"工单 {number} 不存在", code="order_not_found", details={"number": number})


def find_by_number(session: Session, number: str) -> WorkOrder | None:
    if not NUMBER_PATTERN.match(number):
        return None
    return session.scalars(select(WorkOrder).where(WorkOrder.number == number)
                           .options(selectinload(WorkOrder.attachments))).first()


def get_visible(session: Session, number: str, *, viewer: User) -> WorkOrder:
    """The order if ``viewer`` may see it. Raises NotFound otherwise (absent or out of scope alike)."""
    if not NUMBER_PATTERN.match(number):
        raise _not_found(number)
    order = session.scalars(select(WorkOrder).where(WorkOrder.number == number, visible_clause(viewer))
                            .options(selectinload(WorkOrder.attachments))).first()
    if order is None:
        raise _not_found(number)
    return order


def get_for_update(session: Session, number: str, *, viewer: User | None) -> WorkOrder:
    """The order for a write, locked on PostgreSQL until commit. Raises NotFound."""
    statement = select(WorkOrder).where(WorkOrder.number == number)
    if viewer is not None:
        statement = statement.where(visible_clause(viewer))
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(of=WorkOrder)
    order = session.scalars(statement).first() if NUMBER_PATTERN.match(number) else None
    if order is None:
        raise _not_found(number)
    return order


def _filtered(viewer: User | None, filters: OrderFilters, session: Session) -> Select[WorkOrder]:
    """Orders matching ``filters`` within ``viewer``'s scope (every order when viewer is None: the CLI)."""
    statement = select(WorkOrder)
    if viewer is not None:
        statement = statement.where(visible_clause(viewer))
    if filters.statuses:
        statement = statement.where(WorkOrder.status.in_([s.value for s in filters.statuses]))
    if filters.unit_id is not None:
        unit = session.get(Unit, filters.unit_id)
        statement = statement.where(WorkOrder.owner_unit_id.in_(unit_ids_below(unit)) if unit
                                    else WorkOrder.id.is_(None))
    if filters.category_code:
        statement = statement.where(WorkOrder.category_code.startswith(filters.category_code))
    if filters.channel is not None:
        statement = statement.where(WorkOrder.channel == filters.channel.value)
    if filters.type is not None:
        statement = statement.where(WorkOrder.type == filters.type.value)
    if filters.created_from is not None:
        statement = statement.where(WorkOrder.created_at >= filters.created_from)
    if filters.created_to is not None:
        statement = statement.where(WorkOrder.created_at < filters.created_to)
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(WorkOrder.number.like(pattern, escape="\\"),
                                        WorkOrder.title.like(pattern, escape="\\"),
                                        WorkOrder.content.like(pattern, escape="\\"),
                                        WorkOrder.address.like(pattern, escape="\\")))
    return statement


def list_orders(session: Session, *, viewer: User, filters: OrderFilters, cursor: str | None = None,
                limit: int = 50) -> tuple[Sequence[WorkOrder], str | None]:
    """One page of visible orders, newest first, and the cursor of the next page (None at the end).

    Raises InvalidInput for a malformed cursor.
    """
    limit = max(1, min(limit, MAX_PAGE))
    statement = _filtered(viewer, filters, session)
    if cursor:
        at, row_id = decode_cursor(cursor)
        statement = statement.where(or_(WorkOrder.created_at < at,
                                        and_(WorkOrder.created_at == at, WorkOrder.id < row_id)))
    rows = session.scalars(statement.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
                           .limit(limit + 1)).all()
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def iter_orders(session: Session, *, viewer: User | None, filters: OrderFilters,
                batch: int = 500) -> Iterator[WorkOrder]:
    """Every visible order matching ``filters``, oldest first, fetched ``batch`` rows at a time (for export)."""
    statement = _filtered(viewer, filters, session).order_by(WorkOrder.created_at, WorkOrder.id)
    yield from session.scalars(statement.execution_options(yield_per=batch))


def decision_of(session: Session, order: WorkOrder) -> RoutingDecision | None:
    return session.scalars(select(RoutingDecision).where(RoutingDecision.order_id == order.id)).first()


def events_of(session: Session, order: WorkOrder) -> Sequence[OrderEvent]:
    return session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                           .order_by(OrderEvent.at, OrderEvent.id)).all()


def unseen_in_trail(session: Session, events: Sequence[OrderEvent], *, viewer: User) -> frozenset[str]:
    """The numbers of other orders the trail names (a duplicate candidate, a thread's main order, the order a
    repeat repeats) that ``viewer`` may not see: none for the centre."""
    if is_centre(viewer):
        return frozenset()
    named = {number for e in events
             for number in NAMED_NUMBER.findall(f"{e.note} {json.dumps(e.payload, ensure_ascii=False, default=str)}")}
    if not named:
        return frozenset()
    seen = session.scalars(select(WorkOrder.number).where(WorkOrder.number.in_(named), visible_clause(viewer)))
    return frozenset(named - set(seen))


def repeats_unsolved(session: Session, order: WorkOrder) -> bool:
    """Whether intake recognised ``order`` as a repeat of a request its callback found unsolved (its creation
    event names that order): grading it again, for another category, keeps the raise."""
    created = session.scalars(select(OrderEvent.payload).where(OrderEvent.order_id == order.id,
                                                               OrderEvent.action == Action.CREATE)).first()
    return bool(created and created.get("repeat_of"))


# What a resident never follows: views, files and internal notes. A review ruling and a thread link are the
# centre's internal judgement, not a step of the handling; a scheduling meeting's instruction (领导批示) is
# government's own business with its units.
PRIVATE_ACTIONS = frozenset({Action.VIEW_PHONE, Action.ATTACH, Action.HANDLE, Action.RULE, Action.LINK_THREAD,
                             Action.ANONYMISE, Action.INSTRUCT})


def public_steps(session: Session, order: WorkOrder) -> list[OrderEvent]:
    """The events a resident may follow: the moves, not views or internal notes."""
    return [e for e in events_of(session, order) if e.action not in PRIVATE_ACTIONS]


def find_for_resident(session: Session, number: str, phone_last4: str) -> WorkOrder | None:
    """The order when the last four digits of its phone match; None otherwise (never says which)."""
    order = find_by_number(session, number.strip().upper())
    if order is None or not order.citizen_phone or len(phone_last4) != 4:
        return None
    return order if order.citizen_phone[-4:] == phone_last4 else None


def get_visible_attachment(session: Session, attachment_id: int, *, viewer: User) -> Attachment:
    """An attachment of an order ``viewer`` may see. Raises NotFound otherwise."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("附件不存在", code="attachment_not_found")
    get_visible(session, attachment.order.number, viewer=viewer)
    return attachment
