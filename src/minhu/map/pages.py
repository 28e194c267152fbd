"""The map page (一张图) and the cookie-authenticated data it draws; the outlines a resident's report page draws."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from minhu.core.errors import NotFound
from minhu.geo.models import POST_LABELS
from minhu.geo.schemas import vacancy_rate
from minhu.map import service
from minhu.map.service import LAYER_LABELS, Layer
from minhu.orders.states import STATUS_LABELS, Status
from minhu.org import queries as org_queries
from minhu.org.auth import PageUser, csrf_token
from minhu.org.roles import GRID_KIND_LABELS, UNIT_KIND_LABELS
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)


@router.get("/map")
def map_page(request: Request, user: PageUser) -> Response:
    return render(request, "map/map.html", user=user, csrf=csrf_token(request), layers=LAYER_LABELS,
                  statuses=[(s.value, STATUS_LABELS[s]) for s in Status])


@router.get("/map/layers/{layer}.geojson")
def layer(layer: Layer, user: PageUser, db: DB) -> Response:
    with db.read() as session:
        return Response(service.layer_geojson(session, layer), media_type="application/geo+json")


# What a resident's report page draws under the pin: the jurisdiction's outlines, its roads and water — nothing
# about orders or people.
PUBLIC_LAYERS = frozenset({Layer.STREETS, Layer.COMMUNITIES, Layer.ROADS, Layer.WATER})


@router.get("/public/map/{layer}.geojson")
def public_layer(layer: Layer, db: DB) -> Response:
    if layer not in PUBLIC_LAYERS:
        raise NotFound("该图层不公开", code="layer_not_public")
    with db.read() as session:
        return Response(service.layer_geojson(session, layer), media_type="application/geo+json",
                        headers={"Cache-Control": "public, max-age=300"})


@router.get("/map/orders.geojson")
def orders(user: PageUser, db: DB) -> dict[str, Any]:
    with db.read() as session:
        return service.order_points(session, user)


@router.get("/map/heat.json")
def heat(user: PageUser, db: DB, days: Annotated[int, Query(ge=1, le=service.MAX_HEAT_DAYS)] = service.HEAT_DAYS
         ) -> dict[str, Any]:
    with db.read() as session:
        return service.grid_heat(session, user, days=days)


@router.get("/map/units/{code}")
def unit_card(request: Request, code: Annotated[str, Path(max_length=32)], user: PageUser, db: DB) -> Response:
    """The popup of a clicked unit: who answers for it and what is open there."""
    with db.read() as session:
        unit = org_queries.find_unit_by_code(session, code)
        if unit is None:
            raise NotFound(f"单位 {code} 不存在", code="unit_not_found")
        view = service.unit_view(session, unit, user)
        return render(request, "map/_unit.html", view=view, kind_label=UNIT_KIND_LABELS[unit.kind],
                      grid_kind=GRID_KIND_LABELS[unit.grid_kind] if unit.grid_kind else None,
                      vacancy=vacancy_rate(unit.staff_posts, unit.staff_filled), post_labels=POST_LABELS,
                      status_labels=STATUS_LABELS)
