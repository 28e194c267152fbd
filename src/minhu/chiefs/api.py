"""JSON routes of the chiefs (四长): who answers for which ground, their duty lists and the open orders that name
them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from minhu.chiefs import queries, service
from minhu.chiefs.schemas import ChiefBrief, ChiefRead, DutyListWrite
from minhu.geo.models import PostKind
from minhu.org.auth import ApiUser
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["四长"], route_class=FormRoute)
PostId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/chiefs", response_model=list[ChiefBrief], responses=ERRORS(401, 422))
def list_chiefs(user: ApiUser, db: DB,
                kind: Annotated[PostKind | None, Query(description="职务；默认片区长、河湖长、路段长")] = None
                ) -> list[ChiefBrief]:
    """The chiefs in post today: every one for the centre and leaders, a chief's own posts for a chief; each with
    the size of its duty list and its orders (named, open, yellow, red)."""
    with db.read() as session:
        return queries.list_chiefs(session, viewer=user, kind=kind)


@router.get("/chiefs/{post_id}", response_model=ChiefRead, responses=ERRORS(401, 404, 422))
def get_chief(post_id: PostId, user: ApiUser, db: DB) -> ChiefRead:
    """One chief: the duty list of their ground and its open orders (those the reader may see), worst lights
    first."""
    with db.read() as session:
        return queries.read_chief(session, post_id, viewer=user)


@router.put("/chiefs/{post_id}/duties", response_model=ChiefRead, responses=ERRORS(401, 403, 404, 422))
def set_duties(post_id: PostId, body: DutyListWrite, user: ApiUser, db: DB) -> ChiefRead:
    """Replace the duty list of the chief's zone or grid (administrators). A retired category is refused
    (``category_retired``), as are unknown and repeated ones, naming every bad item; nothing is changed then."""
    with db.transaction() as session:
        service.set_duties(session, post_id, body.items, actor=user)
    with db.read() as session:
        return queries.read_chief(session, post_id, viewer=user)
