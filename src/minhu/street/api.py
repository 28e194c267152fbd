"""JSON routes of the street sub-centre: the street's queue (its dispatcher's) and each street's settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from minhu.core.errors import NotFound
from minhu.core.types import MAX_ROW_ID
from minhu.orders.present import order_brief, unit_brief
from minhu.org import queries as org_queries
from minhu.org.auth import ApiUser
from minhu.org.models import StreetSetting, Unit
from minhu.org.roles import UnitKind
from minhu.street import queue, service
from minhu.street.schemas import StreetItemRead, StreetQueueRead, StreetSettingsRead, StreetSettingsWrite
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["街道分中心"], route_class=FormRoute)
StreetId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="街道单位编号")]


def _item_read(item: queue.StreetItem) -> StreetItemRead:
    proposed = item.proposal.unit if item.proposal is not None else None
    return StreetItemRead(order=order_brief(item.order), proposed_unit=unit_brief(proposed) if proposed else None,
                          proposal_reason=item.proposal.reason if item.proposal is not None else None,
                          reply_by=item.reply_by)


def _settings_read(street: Unit, setting: StreetSetting) -> StreetSettingsRead:
    return StreetSettingsRead(street=unit_brief(street), sub_centre=setting.sub_centre,
                              review_inner_replies=setting.review_inner_replies,
                              a_level_straight=setting.a_level_straight,
                              updated_at=setting.updated_at if setting.updated_by_id is not None else None)


@router.get("/street/queue", response_model=StreetQueueRead, responses=ERRORS(401, 403))
def read_queue(user: ApiUser, db: DB) -> StreetQueueRead:
    """The street dispatcher's queue: to dispatch inside, to review, dispatched inside and open."""
    street = service.check_street_dispatcher(user)
    with db.read() as session:
        found = queue.street_queue(session, street, viewer=user)
        return StreetQueueRead(street=unit_brief(street), to_dispatch=[_item_read(i) for i in found.to_dispatch],
                               to_review=[_item_read(i) for i in found.to_review],
                               inside=[_item_read(i) for i in found.inside])


def _street(session: Session, street_id: int) -> Unit:
    street = session.get(Unit, street_id)
    if street is None or street.kind is not UnitKind.STREET:
        raise NotFound(f"街道 {street_id} 不存在", code="street_not_found")
    return street


@router.get("/streets/{street_id}/settings", response_model=StreetSettingsRead, responses=ERRORS(401, 403, 404, 422))
def read_settings(street_id: StreetId, user: ApiUser, db: DB) -> StreetSettingsRead:
    """A street's sub-centre settings (an administrator's, or the street's own dispatcher's)."""
    service.check_settings_keeper(user, street_id)
    with db.read() as session:
        street = _street(session, street_id)
        return _settings_read(street, org_queries.street_setting(session, street.id))


@router.put("/streets/{street_id}/settings", response_model=StreetSettingsRead,
            responses=ERRORS(401, 403, 404, 422))
def write_settings(street_id: StreetId, body: StreetSettingsWrite, user: ApiUser, db: DB) -> StreetSettingsRead:
    """Whether the street runs a sub-centre, reviews its inner units' replies, lets A-level orders flow on."""
    with db.transaction() as session:
        street = _street(session, street_id)
        setting = service.update_settings(session, street, actor=user, sub_centre=body.sub_centre,
                                          review_inner_replies=body.review_inner_replies,
                                          a_level_straight=body.a_level_straight)
        return _settings_read(street, setting)
