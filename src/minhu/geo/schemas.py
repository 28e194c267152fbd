"""Pydantic shapes of the jurisdiction API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from minhu.geo.coords import Crs
from minhu.geo.index import Location, UnitHit
from minhu.geo.models import POST_LABELS, ZONE_KIND_LABELS, Post, PostKind, ZoneKind
from minhu.org.roles import GridKind, UnitKind


class UnitRef(BaseModel):
    id: int
    code: str
    name: str
    kind: UnitKind


class ZoneRef(BaseModel):
    code: str
    name: str
    kind: ZoneKind
    kind_label: str
    distance_m: float = Field(description="点到该责任区的距离（米）；在其中为 0")


class PostRead(BaseModel):
    post: PostKind
    post_label: str
    person: str
    phone: str | None
    unit_code: str | None
    zone_code: str | None
    starts_on: date
    ends_on: date | None


class LocationRead(BaseModel):
    inside: bool = Field(description="是否在辖区内；辖区外不是错误，而是一个回答")
    lon: float = Field(description="WGS-84 经度（GCJ-02 输入已换算）")
    lat: float = Field(description="WGS-84 纬度")
    crs_given: Crs
    street: UnitRef | None
    community: UnitRef | None
    grid: UnitRef | None
    zones: list[ZoneRef]
    people: list[PostRead] | None = Field(default=None, description="在岗责任人（people=true 时给出）")


class CandidateRead(BaseModel):
    name: str
    kind: str
    lon: float
    lat: float
    confidence: float = Field(ge=0, le=1)
    matched: str
    location: LocationRead


class UnitDetail(BaseModel):
    id: int
    code: str
    name: str
    kind: UnitKind
    kind_label: str
    parent_code: str | None
    households: int | None
    grid_kind: GridKind | None
    staff_posts: int | None
    staff_filled: int | None
    vacancy_rate: float | None = Field(description="空岗率 = (编制 - 在岗) / 编制")
    valid_from: date | None
    valid_to: date | None
    geometry: dict[str, Any] | None
    people: list[PostRead]
    open_orders: int


def unit_ref(hit: UnitHit | None) -> UnitRef | None:
    return None if hit is None else UnitRef(id=hit.id, code=hit.code, name=hit.name, kind=hit.kind)


def post_read(post: Post) -> PostRead:
    return PostRead(post=post.kind, post_label=POST_LABELS[post.kind], person=post.person, phone=post.phone,
                    unit_code=post.unit.code if post.unit else None, zone_code=post.zone.code if post.zone else None,
                    starts_on=post.starts_on, ends_on=post.ends_on)


def location_read(location: Location, crs: Crs, people: list[Post] | None = None) -> LocationRead:
    return LocationRead(
        inside=location.inside, lon=round(location.lon, 7), lat=round(location.lat, 7), crs_given=crs,
        street=unit_ref(location.street), community=unit_ref(location.community), grid=unit_ref(location.grid),
        zones=[ZoneRef(code=z.code, name=z.name, kind=ZoneKind(z.kind), kind_label=ZONE_KIND_LABELS[ZoneKind(z.kind)],
                       distance_m=z.distance_m) for z in location.zones],
        people=[post_read(p) for p in people] if people is not None else None)


def vacancy_rate(posts: int | None, filled: int | None) -> float | None:
    if not posts or filled is None:
        return None
    return round((posts - filled) / posts, 4)

