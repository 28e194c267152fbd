"""What Open311 clients read: requests as the public may see them, and the steps of a client's own requests as
updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from minhu.board.masking import mask
from minhu.open311 import mapping
from minhu.open311.intake import ANSWERS_HEADING
from minhu.open311.keys import Client
from minhu.open311.models import Open311Request, Open311Service
from minhu.open311.params import Open311Error, Page, Window
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.present import NOT_THE_MATTERS, RESIDENT_VISIBLE_REPLY
from minhu.orders.queries import PRIVATE_ACTIONS
from minhu.orders.states import ACTION_LABELS, STATUS_LABELS, TRANSITION_ACTIONS, Action, Status
from minhu.org.models import Unit


@dataclass(frozen=True)
class Filters:
    ids: list[str]
    service_codes: list[str]
    window: Window
    statuses: list[str]
    page: Page
    extensions: bool


_MAIN = aliased(WorkOrder)
# The order whose steps an update reports: the request itself, or the main order it joined.
_STEPPING = aliased(WorkOrder)


def _public_text(text: str | None) -> str | None:
    return mask(text).text if text else None


def _status_notes(order: WorkOrder, main: WorkOrder | None) -> str | None:
    """What the city answered, once the citizen may read it (masked like the public board); why a request
    ended without handling."""
    if order.status is Status.JOINED and main is not None:
        # A confidential main order's answer is its reporter's alone.
        answer = main.reply_text if main.status in RESIDENT_VISIBLE_REPLY and not main.confidential else None
        return "已与同一事项的其他诉求合并办理" + (f"。{_public_text(answer)}" if answer else "")
    if order.status is Status.VOIDED:
        return "该诉求不予办理（已作废）"
    if order.status in RESIDENT_VISIBLE_REPLY:
        return _public_text(order.reply_text)
    return None


def request_item(order: WorkOrder, main: WorkOrder | None, record: Open311Request, service: Open311Service,
                 owner: str, events: list[OrderEvent] | None = None) -> dict[str, Any]:
    """One request as the specification reads it: never the reporter's name, phone, email or device."""
    effective = main if order.status is Status.JOINED and main is not None else order
    item: dict[str, Any] = {
        "service_request_id": order.number,
        "status": mapping.basic_status(effective.status),
        "status_notes": _status_notes(order, main),
        "service_name": service.name, "service_code": service.code,
        "description": _public_text(order.content.split(ANSWERS_HEADING)[0]),
        "agency_responsible": owner,
        "service_notice": service.notice or None,
        "requested_datetime": order.created_at,
        "updated_datetime": max(order.updated_at, main.updated_at) if main is not None else order.updated_at,
        "expected_datetime": effective.finish_due_at,
        "address": _public_text(order.address),
        "address_id": record.address_id,
        "zipcode": None,
        "lat": round(order.latitude, 6) if order.latitude is not None else None,
        "long": round(order.longitude, 6) if order.longitude is not None else None,
        "media_url": record.media_url,
    }
    if events is not None:
        item["extended_attributes"] = {
            # A joined request reads "duplicate" whatever its main order's state.
            "status_extended": mapping.extended_status(
                order.status if order.status is Status.JOINED else effective.status, effective.resolution),
            "status_label": STATUS_LABELS[effective.status],
            "channel": order.channel.value, "grade": order.grade.value if order.grade else None,
            "owner": owner, "category": order.category_code,
            "photos": [record.media_url] if record.media_url else [],
            "notes": [_note(e) for e in events],
        }
    return item


def _note(event: OrderEvent) -> dict[str, Any]:
    return {"update_id": str(event.id), "datetime": event.at, "status": mapping.EXTENDED[event.to_status],
            "description": _step_words(event)}


def _step_words(event: OrderEvent) -> str:
    label = ACTION_LABELS[event.action]
    unit = event.payload.get("unit_name") if isinstance(event.payload, dict) else None
    return f"{label}：{unit}" if unit else label


_MAIN_OWNER = aliased(Unit)


def _select() -> Any:
    """Each request with its order, its main order when joined, the service and the owning unit's name (the
    main order's, when joined): one row each, whatever the page's size."""
    return (select(WorkOrder, _MAIN, Open311Request, Open311Service,
                   func.coalesce(_MAIN_OWNER.name, Unit.name))
            .join(Open311Request, Open311Request.order_id == WorkOrder.id)
            .join(Open311Service, Open311Service.code == Open311Request.service_code)
            .join(Unit, Unit.id == WorkOrder.owner_unit_id)
            .outerjoin(_MAIN, and_(WorkOrder.status == Status.JOINED, _MAIN.id == WorkOrder.duplicate_of_id))
            .outerjoin(_MAIN_OWNER, _MAIN_OWNER.id == _MAIN.owner_unit_id)
            .where(WorkOrder.confidential.is_(False)))


def _items(session: Session, rows: list[Any], *, extensions: bool) -> list[dict[str, Any]]:
    steps: dict[int, list[OrderEvent]] = {}
    if extensions and rows:
        # Every request's public steps in one query, not one per request.
        events = session.scalars(select(OrderEvent).where(OrderEvent.order_id.in_([row[0].id for row in rows]),
                                                          OrderEvent.action.notin_(PRIVATE_ACTIONS))
                                 .order_by(OrderEvent.at, OrderEvent.id))
        for event in events:
            steps.setdefault(event.order_id, []).append(event)
    return [request_item(order, main, record, service, owner, steps.get(order.id, []) if extensions else None)
            for order, main, record, service, owner in rows]


def find_requests(session: Session, filters: Filters) -> list[dict[str, Any]]:
    """GET requests: by ids (which override every other filter), else by service, time and status, newest
    first."""
    query = _select()
    if filters.ids:
        query = query.where(WorkOrder.number.in_(filters.ids))
    else:
        if filters.service_codes:
            query = query.where(Open311Request.service_code.in_(filters.service_codes))
        query = query.where(WorkOrder.created_at >= filters.window.start, WorkOrder.created_at <= filters.window.end)
        if filters.statuses:
            wanted = mapping.statuses_of(filters.statuses)
            query = query.where(or_(and_(WorkOrder.status != Status.JOINED, WorkOrder.status.in_(wanted)),
                                    and_(WorkOrder.status == Status.JOINED, _MAIN.status.in_(wanted))))
    query = query.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
    query = query.limit(filters.page.limit).offset(filters.page.offset)
    return _items(session, list(session.execute(query).all()), extensions=filters.extensions)


def find_request(session: Session, number: str, *, extensions: bool) -> dict[str, Any]:
    """Raises Open311Error 404 for a number no Open311 request has."""
    row = session.execute(_select().where(WorkOrder.number == number)).first()
    if row is None:
        raise Open311Error(404, f"service_request_id {number} 不存在（unknown service_request_id）")
    return _items(session, [row], extensions=extensions)[0]


# ---- updates ---------------------------------------------------------------------------------------------

# The steps an update reports: the moves a resident follows (urges and notes leave the status as it is).
_MOVES = tuple(a for a in (*TRANSITION_ACTIONS, Action.CREATE) if a not in PRIVATE_ACTIONS)
# Of a main order's steps, those its joined requests follow until the answer reaches them (their own 随主件答复):
# not the main order's registration, voiding or joining, nor its approval, which that answer stands for.
_MATTERS_MOVES = tuple(a for a in _MOVES if a not in NOT_THE_MATTERS and a is not Action.APPROVE)
_TRAIL = aliased(OrderEvent)


def updates(session: Session, client: Client, window: Window) -> list[dict[str, Any]]:
    """servicerequestupdates: what happened to the client's requests in ``window``, one item per public step
    (the moves a resident follows), oldest first. A request joined to its matter's main order (一事多办) goes on
    with the main order's steps since it was made, as its reporter's tracking page does."""
    columns = (OrderEvent, WorkOrder.id, WorkOrder.number, _STEPPING.resolution, _STEPPING.reply_text, _STEPPING.status)
    own = (select(*columns).join(WorkOrder, WorkOrder.id == OrderEvent.order_id)
           .join(_STEPPING, _STEPPING.id == WorkOrder.id)
           .where(OrderEvent.action.in_(_MOVES)))
    joined_at = (select(func.max(_TRAIL.at)).where(_TRAIL.order_id == WorkOrder.id,
                                                       _TRAIL.action == Action.MERGE).scalar_subquery())
    answered_at = (select(func.min(_TRAIL.at)).where(_TRAIL.order_id == WorkOrder.id,
                                                         _TRAIL.action == Action.FOLLOW).scalar_subquery())
    of_matter = (select(*columns).join(_STEPPING, _STEPPING.id == OrderEvent.order_id)
                 .join(WorkOrder, WorkOrder.duplicate_of_id == _STEPPING.id)
                 .where(OrderEvent.action.in_(_MATTERS_MOVES), OrderEvent.at > joined_at,
                        or_(answered_at.is_(None), OrderEvent.at < answered_at)))
    found: list[tuple[datetime, int, dict[str, Any]]] = []
    for query, joined in ((own, False), (of_matter, True)):
        rows = session.execute(query.join(Open311Request, Open311Request.order_id == WorkOrder.id)
                               .where(Open311Request.key_id == client.id, OrderEvent.at >= window.start,
                                      OrderEvent.at <= window.end, OrderEvent.to_status.is_not(None))).all()
        for event, order_id, number, resolution, reply_text, status in rows:
            closed = mapping.BASIC[event.to_status] == mapping.CLOSED
            answer = reply_text if closed and event.to_status in RESIDENT_VISIBLE_REPLY else None
            latest = closed and status is event.to_status
            found.append((event.at, event.id, {
                "update_id": f"{event.id}-{order_id}" if joined else str(event.id), "service_request_id": number,
                "status": mapping.extended_status(event.to_status, resolution if latest else None),
                "updated_datetime": event.at,
                "description": _public_text(answer) if answer else _step_words(event),
                "media_url": None}))
    return [item for _at, _id, item in sorted(found, key=lambda step: step[:2])]
