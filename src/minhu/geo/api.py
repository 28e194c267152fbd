"""JSON routes of the jurisdiction: locate a point, geocode an address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from minhu.core.errors import InvalidInput
from minhu.geo import service
from minhu.geo.coords import Crs, point_problem, to_wgs84
from minhu.geo.schemas import CandidateRead, LocationRead, location_read
from minhu.org.auth import ApiUser
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["辖区与定位"], route_class=FormRoute)


def checked_point(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) when they are a point on Earth. Raises InvalidInput naming the field, and saying so when
    the two look swapped (a latitude of 114 with a longitude of 30 is Wuhan written the wrong way round)."""
    problem = point_problem(lon, lat)
    if problem is not None:
        raise InvalidInput(problem.message, details=[{"field": problem.field, "message": problem.message}],
                           code="coordinates_swapped" if problem.swapped else "invalid_input")
    return lat, lon


@router.get("/locate", response_model=LocationRead, responses=ERRORS(401, 422))
def locate(user: ApiUser, db: DB,
           lat: Annotated[float, Query(description="纬度")],
           lon: Annotated[float, Query(description="经度")],
           crs: Annotated[Crs, Query(description="输入坐标系：wgs84（GPS）或 gcj02（高德、腾讯、微信）")] = Crs.WGS84,
           people: Annotated[bool, Query(description="同时给出在岗责任人")] = False) -> LocationRead:
    """The street, community and grid covering a point, and the zones (lakes, roads, areas) at or near it.

    A point outside the jurisdiction answers ``inside: false`` — not an error.
    """
    lat, lon = checked_point(lat, lon)
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    with db.read() as session:
        where = service.locate(session, wgs_lon, wgs_lat)
        on_duty = service.people_on_duty(session, where) if people else None
        return location_read(where, crs, on_duty)


@router.get("/geocode", response_model=list[CandidateRead], responses=ERRORS(401, 422))
def geocode(user: ApiUser, db: DB,
            q: Annotated[str, Query(min_length=1, max_length=200, description="地址文本")],
            limit: Annotated[int, Query(ge=1, le=20)] = 5) -> list[CandidateRead]:
    """Candidate places for an address, best first, each with a confidence and where it stands."""
    with db.read() as session:
        state = service.map_state(session)
        return [CandidateRead(name=c.name, kind=c.kind, lon=c.lon, lat=c.lat, confidence=c.confidence,
                              matched=c.matched, location=location_read(state.index.locate(c.lon, c.lat), Crs.WGS84))
                for c in state.gazetteer.geocode(q, limit=limit)]
