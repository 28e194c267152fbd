"""JSON routes of the one map: layers, live order points, a unit with its people and open orders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from minhu.core.errors import NotFound
from minhu.geo.schemas import UnitDetail, post_read, vacancy_rate
from minhu.map import service
from minhu.map.service import Layer
from minhu.orders.states import Status
from minhu.org import queries as org_queries
from minhu.org.auth import ApiUser
from minhu.org.roles import UNIT_KIND_LABELS
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["一张图"], route_class=FormRoute)

GEOJSON = "application/geo+json"


@router.get("/map/layers/{layer}", responses={**ERRORS(401, 422), 200: {"content": {GEOJSON: {}}}})
def map_layer(layer: Layer, user: ApiUser, db: DB) -> Response:
    """A layer of the jurisdiction (streets, communities, grids, water, roads) as GeoJSON, WGS-84."""
    with db.read() as session:
        return Response(service.layer_geojson(session, layer), media_type=GEOJSON)


@router.get("/map/orders", responses={**ERRORS(401, 422), 200: {"content": {GEOJSON: {}}}})
def map_orders(user: ApiUser, db: DB, status: Annotated[list[Status] | None, Query(description="默认：全部未办结状态")]
               = None) -> dict[str, Any]:
    """Live orders the caller may see, as GeoJSON points (``inferred``: the point came from the address)."""
    with db.read() as session:
        return service.order_points(session, user, statuses=status)


@router.get("/map/heat", responses=ERRORS(401, 422))
def map_heat(user: ApiUser, db: DB, days: Annotated[int, Query(ge=1, le=service.MAX_HEAT_DAYS,
                                                               description="最近多少天（默认 30）")] = service.HEAT_DAYS
             ) -> dict[str, Any]:
    """The heat layer: how many orders the caller may see were registered in each grid (by grid code) lately."""
    with db.read() as session:
        return service.grid_heat(session, user, days=days)


@router.get("/units/{code}", response_model=UnitDetail, responses=ERRORS(401, 404, 422))
def unit_detail(code: Annotated[str, Path(max_length=32)], user: ApiUser, db: DB) -> UnitDetail:
    """A unit with its attributes, geometry, people on duty and how many open orders the caller sees there."""
    with db.read() as session:
        unit = org_queries.find_unit_by_code(session, code)
        if unit is None:
            raise NotFound(f"单位 {code} 不存在", code="unit_not_found")
        view = service.unit_view(session, unit, user)
        return UnitDetail(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind,
                          kind_label=UNIT_KIND_LABELS[unit.kind], parent_code=unit.parent.code if unit.parent else None,
                          households=unit.households, grid_kind=unit.grid_kind, staff_posts=unit.staff_posts,
                          staff_filled=unit.staff_filled,
                          vacancy_rate=vacancy_rate(unit.staff_posts, unit.staff_filled),
                          valid_from=unit.valid_from, valid_to=unit.valid_to, geometry=unit.geometry,
                          people=[post_read(p) for p in view.people], open_orders=view.open_orders)
