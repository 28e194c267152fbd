"""``POST /api/v1/intake``: the door of systems that forward orders, each with its own API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from minhu.forwarding import service
from minhu.forwarding.schemas import ForwardedCreate, Receipt
from minhu.orders.states import STATUS_LABELS
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["系统来件"], route_class=FormRoute)


@router.post("/intake", response_model=Receipt, status_code=201, responses=ERRORS(401, 409, 413, 422))
def forward_order(body: ForwardedCreate, db: DB,
                  x_api_key: Annotated[str | None, Header(max_length=200, description="来件系统的接口密钥")] = None,
                  ) -> Response:
    """Register a request another system forwards (市12345平台、领导信箱……). The system's own id
    (``external_id``) is kept with the order: delivering it again returns the first order (200), never a second;
    the same id with other content is refused (409). The order's later changes go back to the system through
    the webhook subscription bound to it."""
    sender = service.authenticate(db, x_api_key)
    registered = service.receive(db, sender, body)
    order = registered.order
    receipt = Receipt(number=order.number, external_id=body.external_id, status=order.status.value,
                      status_label=STATUS_LABELS[order.status], created=registered.created,
                      joined_to=service.joined_to(db, order))
    return Response(receipt.model_dump_json(), status_code=201 if registered.created else 200,
                    media_type="application/json")

