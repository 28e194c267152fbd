"""JSON routes of the people figures and of grid workers' patrols and visits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from minhu.org.auth import ApiUser
from minhu.people import figures, permissions, service
from minhu.people.schemas import PeopleFiguresPage, RoundCreate, RoundRead, figures_page, round_read
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.period import parse_day, period
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["人员"], route_class=FormRoute)

From = Annotated[str, Query(alias="from", max_length=10, description="第一天 YYYY-MM-DD（含）")]
To = Annotated[str, Query(alias="to", max_length=10, description="最后一天 YYYY-MM-DD（含）")]


@router.get("/people/figures", response_model=PeopleFiguresPage, responses=ERRORS(401, 403, 422))
def people_figures(user: ApiUser, db: DB, first: From = "", last: To = "") -> PeopleFiguresPage:
    """Grid workers' and areas' figures (主动发现, A 级就地解决, patrols, visits) and communities' staffing."""
    permissions.check_viewer(user)
    span = period(parse_day(first, "from"), parse_day(last, "to"))
    with db.read() as session:
        return figures_page(figures.people_figures(session, span, user))


@router.post("/grid-rounds", response_model=RoundRead, status_code=201, responses=ERRORS(401, 403, 422))
def record_round(body: RoundCreate, user: ApiUser, db: DB) -> RoundRead:
    """A grid worker records a patrol (巡查) or household visit (入户走访) on their grid."""
    with db.transaction() as session:
        return round_read(service.record_round(session, actor=user, kind=body.kind, at=body.at, note=body.note,
                                               household=body.household))
