"""The chiefs' pages (四长): the list of chiefs with their figures, and a chief's page — the duty list of their
ground and its open orders with their lights — where an administrator edits the duty list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from minhu.chiefs import permissions, queries, service
from minhu.chiefs.schemas import DutyListWrite
from minhu.core.errors import DomainError
from minhu.geo.models import POST_LABELS, PostKind
from minhu.orders.lights import LIGHT_LABELS
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.routing import service as routing
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.forms import validated
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
PostId = Annotated[int, Path(ge=1, le=2_147_483_647)]
CHIEF_LABELS = {k: POST_LABELS[k] for k in (PostKind.AREA_CHIEF, PostKind.RIVER_CHIEF, PostKind.ROAD_CHIEF,
                                            PostKind.GRID_CHIEF)}
# A checked item of the edit form: "category code|wording|source list".
ITEM_SEPARATOR = "|"
CATALOG_SOURCE = "目录"


@router.get("/chiefs")
def chiefs_page(request: Request, user: PageUser, db: DB,
                kind: Annotated[str, Query(max_length=16)] = "") -> Response:
    chosen = PostKind(kind) if kind in {k.value for k in CHIEF_LABELS} else None
    with db.read() as session:
        chiefs = queries.list_chiefs(session, viewer=user, kind=chosen)
    return render(request, "chiefs/list.html", user=user, csrf=csrf_token(request), chiefs=chiefs, kinds=CHIEF_LABELS,
                  kind=chosen, sees_all=permissions.sees_every_chief(user), flashes=pop_flashes(request))


@router.get("/chiefs/{post_id}")
def chief_page(request: Request, user: PageUser, db: DB, post_id: PostId) -> Response:
    editing = permissions.may_edit(user)
    with db.read() as session:
        chief = queries.read_chief(session, post_id, viewer=user)
        listed = queries.street_list_choices(session) if editing else []
        categories = routing.category_choices(session) if editing else []
    chosen = {i.category_code for i in chief.duty_items}
    return render(request, "chiefs/chief.html", user=user, csrf=csrf_token(request), chief=chief, editing=editing,
                  listed=[c for c in listed if c.category_code not in chosen],
                  categories=[c for c in categories if c.code not in chosen], separator=ITEM_SEPARATOR,
                  light_labels=LIGHT_LABELS, flashes=pop_flashes(request))


@router.post("/chiefs/{post_id}/duties", dependencies=[CsrfProtected])
async def save_duties(request: Request, user: PageUser, db: DB, post_id: PostId) -> Response:
    """The edit form: the items kept and those ticked from the streets' lists, and the catalog's categories
    chosen. A refused list comes back as a message naming each bad item; nothing is changed then."""
    permissions.check_editor(user)
    form = await request.form()
    items: list[dict[str, str]] = []
    for value in form.getlist("item"):
        code, _, rest = str(value).partition(ITEM_SEPARATOR)
        wording, _, source = rest.partition(ITEM_SEPARATOR)
        items.append({"category_code": code.strip(), "item": wording, "source": source})
    items += [{"category_code": str(code).strip(), "source": CATALOG_SOURCE} for code in form.getlist("category")
              if str(code).strip()]
    # A street words one category several ways: ticking two of its items lists the category once.
    items = list({item["category_code"]: item for item in reversed(items)}.values())[::-1]
    try:
        data = validated(DutyListWrite, {"items": items}, {"items": "责任清单"})
        with db.transaction() as session:
            service.set_duties(session, post_id, data.items, actor=user)
    except DomainError as exc:
        if exc.status != 422:
            raise
        flash(request, exc.message, "error")
    else:
        flash(request, f"已保存责任清单（{len(items)} 项）")
    return RedirectResponse(f"/chiefs/{post_id}", status_code=303)
