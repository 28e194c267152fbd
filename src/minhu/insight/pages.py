"""The hot-issue page (热点问题): the clusters of the last days' orders, hottest first, each with its heat, title,
place, span and links to its orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from minhu.core.errors import InvalidInput, NotFound
from minhu.insight import permissions, queries
from minhu.org.auth import PageUser, csrf_token
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)

# The periods offered beside the field.
PRESET_DAYS = (7, 30, 90)


def _days(value: str) -> tuple[int, str | None]:
    """The days asked for, or the default with the reason the asked value was not taken."""
    text = value.strip()
    if not text:
        return queries.DEFAULT_DAYS, None
    try:
        return queries.check_days(int(text)), None
    except (ValueError, InvalidInput):
        return queries.DEFAULT_DAYS, (f"天数应为 1 至 {queries.MAX_DAYS} 的整数（收到：{text[:20]}），"
                                      f"已显示最近 {queries.DEFAULT_DAYS} 天")


@router.get("/insight/hot")
def show_hot_issues(request: Request, user: PageUser, db: DB,
                    days: Annotated[str, Query(max_length=10)] = "") -> Response:
    """The hot issues of the last ``days`` days (default 30)."""
    permissions.check_hot_viewer(user)
    chosen, problem = _days(days)
    found, empty = None, None
    with db.read() as session:
        try:
            found = queries.hot_list(session, viewer=user, days=chosen)
        except NotFound as error:
            empty = error.message
    return render(request, "insight/hot.html", user=user, csrf=csrf_token(request), found=found, empty=empty,
                  days=chosen, presets=PRESET_DAYS, problem=problem)
