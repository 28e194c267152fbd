"""JSON route of the hot issues under /api/v1/insight: the list the 热点问题 page shows, for dashboards and other
systems."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from minhu.insight import permissions, queries
from minhu.insight.queries import HotList
from minhu.insight.schemas import HotIssueRead, HotListRead, HotOrderRead
from minhu.org.auth import ApiUser
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1/insight", tags=["热点问题"], route_class=FormRoute)

Days = Annotated[int, Query(ge=1, le=queries.MAX_DAYS, description="最近多少天（含今天）的工单")]


def hot_list_read(found: HotList) -> HotListRead:
    return HotListRead(
        first=found.first, last=found.last, days=found.days, orders=found.orders, computed_at=found.computed_at,
        issues=[HotIssueRead(rank=i.rank, heat=i.heat, title=i.title, place=i.place, first=i.first, last=i.last,
                             count=i.count, citizens=i.citizens, likes=i.likes, growth=i.growth,
                             representative=i.representative_id,
                             orders=[HotOrderRead(number=o.number, title=o.title, created_at=o.at,
                                                  url=f"/api/v1/orders/{o.number}") for o in found.orders_in(i)])
                for i in found.issues])


@router.get("/hot", response_model=HotListRead, responses=ERRORS(401, 403, 404, 422))
def list_hot_issues(user: ApiUser, db: DB, days: Days = queries.DEFAULT_DAYS) -> HotListRead:
    """The hot issues (热点问题) of the last ``days`` days, hottest first; 404 ``no_orders`` when the period holds
    no order."""
    permissions.check_hot_viewer(user)
    with db.read() as session:
        return hot_list_read(queries.hot_list(session, viewer=user, days=days))
