"""JSON routes of work orders under /api/v1: parse, authorize, one service call, respond."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Response, UploadFile
from fastapi.responses import FileResponse

from minhu.core.errors import Forbidden, NotFound
from minhu.core.files import open_stored
from minhu.core.text import StorableInstant, StorableText
from minhu.core.types import MAX_ROW_ID
from minhu.orders import permissions, present, queries, transfer
from minhu.orders import service as order_service
from minhu.orders.enums import Channel, OrderType
from minhu.orders.queries import OrderFilters
from minhu.orders.schemas import ActionRequest, EventRead, OrderCreate, OrderPage, OrderRead, PhoneRead
from minhu.orders.states import TRANSITION_ACTIONS, Action, Status
from minhu.org.auth import ApiUser
from minhu.web.deps import DB, AppSettings, IdempotencyKey
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["工单"], route_class=FormRoute)

OrderNumber = Annotated[str, Path(max_length=32, description="工单编号，如 WC20261122000123")]


@router.post("/orders", response_model=OrderRead, status_code=201, responses=ERRORS(401, 403, 409, 413, 422))
def create_order(body: OrderCreate, user: ApiUser, db: DB, idempotency_key: IdempotencyKey) -> Response:
    """Register a request. With an ``Idempotency-Key`` a retry returns the first order (200), never a second."""
    registered = order_service.create_order_once(db, body, actor=user, key=idempotency_key,
                                                 scope=f"user:{user.id}")
    read = present.order_read(registered.order, user, registered.decision)
    # Serialized here, from the model just built: left to FastAPI, a sync route's answer is validated
    # again in another trip through the thread pool before it is serialized (the schema is the same).
    return Response(read.model_dump_json(), status_code=201 if registered.created else 200,
                    media_type="application/json")


@router.get("/orders", response_model=OrderPage, responses=ERRORS(401, 422))
def list_orders(
    user: ApiUser, db: DB,
    status: Annotated[list[Status] | None, Query(description="可多选")] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="承办单位（含下级）")] = None,
    category: Annotated[StorableText | None, Query(max_length=32)] = None,
    channel: Channel | None = None,
    type: OrderType | None = None,
    created_from: StorableInstant | None = None,
    created_to: StorableInstant | None = None,
    q: Annotated[StorableText | None, Query(max_length=100, description="编号、标题、内容、地址")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> OrderPage:
    """Visible orders, newest first; follow ``next_cursor`` for the next page."""
    filters = OrderFilters(statuses=status or [], unit_id=unit_id, category_code=category, channel=channel,
                           type=type, created_from=created_from, created_to=created_to, text=q or None)
    with db.read() as session:
        rows, next_cursor = queries.list_orders(session, viewer=user, filters=filters, cursor=cursor,
                                                limit=limit)
        return OrderPage(items=[present.order_brief(o) for o in rows], next_cursor=next_cursor)


@router.get("/orders/{number}", response_model=OrderRead, responses=ERRORS(401, 404))
def read_order(number: OrderNumber, user: ApiUser, db: DB) -> OrderRead:
    """One order, with ``allowed_actions``: what the caller may do now."""
    with db.read() as session:
        order = queries.get_visible(session, number, viewer=user)
        read = present.order_read(order, user, queries.decision_of(session, order))
    order_service.note_phone_shown(db, order, viewer=user)
    return read


@router.post("/orders/{number}/actions/{action}", response_model=OrderRead,
             responses=ERRORS(401, 404, 409, 422))
def act_on_order(number: OrderNumber, action: Action, body: ActionRequest, user: ApiUser, db: DB) -> OrderRead:
    """Take a lifecycle action (see the state diagram). 409 lists the actions allowed now."""
    if action not in TRANSITION_ACTIONS:
        raise NotFound(f"没有名为 {action.value} 的流转动作", code="unknown_action")
    with db.transaction() as session:
        order = queries.get_for_update(session, number, viewer=user)
        order_service.apply_action(session, order, action, actor=user, params=body)
        return present.order_read(order, user)


@router.get("/orders/{number}/events", response_model=list[EventRead], responses=ERRORS(401, 404))
def list_events(number: OrderNumber, user: ApiUser, db: DB) -> list[EventRead]:
    """The order's whole trail (全留痕), oldest first. Another order it names that the caller may not see (a
    duplicate candidate, a thread's main order) is left unnamed."""
    with db.read() as session:
        order = queries.get_visible(session, number, viewer=user)
        events = queries.events_of(session, order)
        unseen = queries.unseen_in_trail(session, events, viewer=user)
        return [present.event_read(e, unseen=unseen) for e in events]


@router.post("/orders/{number}/phone", response_model=PhoneRead, responses=ERRORS(401, 403, 404, 429))
def reveal_phone(number: OrderNumber, user: ApiUser, db: DB) -> PhoneRead:
    """The citizen's full phone number; the reveal is recorded in the trail."""
    with db.transaction() as session:
        order = queries.get_for_update(session, number, viewer=user)
        phone = order_service.reveal_phone(session, order, actor=user)
    return PhoneRead(number=number, citizen_phone=phone)


@router.post("/orders/{number}/attachments", response_model=OrderRead, status_code=201,
             responses=ERRORS(401, 403, 404, 413, 422))
def upload_attachment(number: OrderNumber, file: Annotated[UploadFile, File()], user: ApiUser, db: DB,
                      settings: AppSettings) -> OrderRead:
    """Attach a photo, document or recording (type sniffed from content, 10 MiB at most)."""
    order_service.attach_file(db, number, actor=user, filename=file.filename or "", stream=file.file,
                              root=settings.attachments_dir, max_bytes=settings.max_upload_bytes)
    with db.read() as session:
        return present.order_read(queries.get_visible(session, number, viewer=user), user)


@router.get("/attachments/{attachment_id}", response_class=FileResponse, responses=ERRORS(401, 404))
def download_attachment(attachment_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], user: ApiUser, db: DB,
                        settings: AppSettings) -> FileResponse:
    with db.read() as session:
        attachment = queries.get_visible_attachment(session, attachment_id, viewer=user)
    return FileResponse(open_stored(settings.attachments_dir, attachment.storage_key),
                        media_type=attachment.content_type, filename=attachment.filename)



@router.get("/city/escalations", responses=ERRORS(401, 403))
def city_escalations(user: ApiUser, db: DB) -> dict[str, Any]:
    """The orders escalated to the city (上报市级), as the document ``minhu export city`` writes."""
    if not permissions.is_centre(user):
        raise Forbidden("只有指挥中心可以导出上报市级的工单", code="centre_only")
    return transfer.city_package(db, exported_by=user)
