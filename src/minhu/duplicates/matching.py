"""Finding the matter a new order repeats (一事多办), at intake and on the order page.

An order's fingerprint (``OrderFingerprint``) is written with it. A new request is compared with the orders of
the last ``WINDOW`` that are not voided nor closed more than ``CLOSED_WITHIN`` ago and that share something with
it: a point within its category's reach (searched in the map cells around its point), its
community, or its caller's phone — whatever its door, and with or without a phone. Each is scored (``scoring``);
those at the forest's threshold for suggesting or above are the candidates, best first, each with its reasons.
A candidate that is itself a merged duplicate stands for its main order: a matter is joined through its main
order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, text
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import Base
from minhu.duplicates import places, scoring
from minhu.duplicates.models import WIDE_CONDITION, OrderFingerprint
from minhu.duplicates.text import Reading, place_grams, read
from minhu.geo.coords import distance_metres
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status

WINDOW = timedelta(days=60)
CLOSED_WITHIN = timedelta(days=30)
# The search is in two steps. First the doors (cells around the point, the community, the phone) give light rows,
# read from their indexes alone: at most NEAR_ROWS each, newest first. Those beyond their category's reach are
# dropped there — two lamps 300 m apart are two lamps — and the newest SCORED of the rest are read whole and scored.
NEAR_ROWS = 5_000
# A caller's newest orders, and a community's (the door of orders located without a point): a caller who rings
# every day, or a busy community, bounds what one intake reads.
PHONE_ROWS = 20
COMMUNITY_ROWS = 300
SCORED = 60
MAX_CANDIDATES = 5

_PRINTS = Base.metadata.tables[OrderFingerprint.__tablename__]
_ORDERS = Base.metadata.tables[WorkOrder.__tablename__]
_INSERT = insert(_PRINTS)
_LIGHT = (_PRINTS.c.order_id, _PRINTS.c.latitude, _PRINTS.c.longitude, _PRINTS.c.reach)
# A candidate joined to another matter stands for its main order: the main's number, title, registration time and
# status come in the same row.
_MAINS = _ORDERS.alias("main_orders")
_WHOLE = (_PRINTS.c.order_id, _PRINTS.c.created_at, _PRINTS.c.latitude, _PRINTS.c.longitude,
          _PRINTS.c.community_id, _PRINTS.c.citizen_phone, _PRINTS.c.category_code, _PRINTS.c.reading,
          _ORDERS.c.number, _ORDERS.c.title, _ORDERS.c.status, _ORDERS.c.closed_at, _ORDERS.c.duplicate_of_id,
          _MAINS.c.number.label("main_number"), _MAINS.c.title.label("main_title"),
          _MAINS.c.created_at.label("main_created_at"), _MAINS.c.status.label("main_status"))
_JOINED = (_PRINTS.join(_ORDERS, _ORDERS.c.id == _PRINTS.c.order_id)
           .outerjoin(_MAINS, _MAINS.c.id == _ORDERS.c.duplicate_of_id))


def _door(where: Any, rows: int = NEAR_ROWS) -> Any:
    return (select(*_LIGHT)
            .where(where, _PRINTS.c.created_at >= bindparam("since"), _PRINTS.c.created_at <= bindparam("until"))
            .order_by(_PRINTS.c.created_at.desc()).limit(rows))


_IN_BOX = and_(_PRINTS.c.cell.in_(bindparam("cells", expanding=True)),
               _PRINTS.c.latitude.between(bindparam("lat_min"), bindparam("lat_max")),
               _PRINTS.c.longitude.between(bindparam("lon_min"), bindparam("lon_max")))
_BY_NEAR_CELLS = _door(_IN_BOX)
_BY_WIDE_CELLS = _door(and_(_IN_BOX, text(f"order_fingerprints.{WIDE_CONDITION}")))
_BY_COMMUNITY = _door(_PRINTS.c.community_id == bindparam("community_id"), COMMUNITY_ROWS)
_BY_PHONE = _door(_PRINTS.c.citizen_phone == bindparam("phone"), PHONE_ROWS)
_WHOLE_ROWS = select(*_WHOLE).select_from(_JOINED).where(_PRINTS.c.order_id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class Report:
    """A request as the comparison sees it (a new one at intake, or an order already registered)."""

    title: str
    content: str
    at: datetime
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    community_id: int | None = None
    phone: str | None = None
    category_code: str | None = None
    order_id: int | None = None

    def reading(self) -> Reading:
        return read(self.title, self.content, self.address)


@dataclass(frozen=True)
class Match:
    """An order that may be the same matter — the main order, when the one found was joined to one —, the
    score, and the reasons in words."""

    order_id: int
    number: str
    title: str
    created_at: datetime
    status: Status
    score: float
    reasons: tuple[str, ...]
    # Sure enough to join by itself: the score without the same-phone bonus (which no labelled pair measured)
    # reaches the join threshold.
    joinable: bool = False

    def as_payload(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "number": self.number, "score": round(self.score, 3),
                "reasons": list(self.reasons), "joinable": self.joinable}


def warm_up() -> None:
    """Load what the first comparison would otherwise wait for (jieba's dictionary, about a second; the forest)."""
    scoring.forest()
    read("路灯不亮", "小区3栋门口的路灯坏了")


# What a fingerprint keeps of a long text: its most said bigrams and its heaviest words. A 2,000-character
# complaint keeps the same evidence as its first few hundred characters carry, in a row of a few kilobytes.
KEPT_BIGRAMS = 400
KEPT_WORDS = 200


def reading_data(reading: Reading) -> dict[str, Any]:
    words = reading.words or {}
    return {"places": sorted(reading.places), "matter": dict(reading.matter.most_common(KEPT_BIGRAMS)),
            "title": sorted(reading.title), "topics": sorted(reading.topics),
            "title_places": sorted(reading.title_places), "districts": sorted(reading.districts),
            "words": dict(sorted(words.items(), key=lambda item: (-item[1], item[0]))[:KEPT_WORDS])}


_READING_OF = select(_PRINTS.c.reading).where(_PRINTS.c.order_id == bindparam("order_id"))


def stored_reading(session: Session, order_id: int) -> Reading | None:
    """The reading kept with an order (None for an order registered before fingerprints were kept)."""
    data = session.execute(_READING_OF, {"order_id": order_id}).scalar_one_or_none()
    return reading_of(data) if data is not None else None


def reading_of(data: dict[str, Any]) -> Reading:
    names = frozenset(data.get("places") or ())
    return Reading(names, place_grams(names),
                   Counter(data.get("matter") or {}), frozenset(data.get("title") or ()),
                   frozenset(data.get("topics") or ()), frozenset(data.get("title_places") or ()),
                   frozenset(data.get("districts") or ()), dict(data.get("words") or {}))


def fingerprint_values(report: Report, order_id: int, reading: Reading | None = None) -> dict[str, Any]:
    has_point = report.latitude is not None and report.longitude is not None
    return {"order_id": order_id, "created_at": report.at,
            "cell": places.cell_of(report.latitude, report.longitude) if has_point else None,  # type: ignore[arg-type]
            "reach": places.reach_of(report.category_code),
            "latitude": report.latitude, "longitude": report.longitude, "community_id": report.community_id,
            "citizen_phone": report.phone or None, "category_code": report.category_code,
            "reading": reading_data(reading or report.reading())}


def remember(session: Session, report: Report, order_id: int, reading: Reading | None = None) -> None:
    """Write the order's fingerprint (in the transaction that writes the order)."""
    session.execute(_INSERT, fingerprint_values(report, order_id, reading))


def report_of(order: WorkOrder) -> Report:
    return Report(title=order.title, content=order.content, at=order.created_at, address=order.address,
                  latitude=order.latitude, longitude=order.longitude, community_id=order.community_id,
                  phone=order.citizen_phone, category_code=order.category_code, order_id=order.id)


def find(session: Session, report: Report, *, reading: Reading | None = None) -> list[Match]:
    """The earlier (and, for an order already registered, later) orders that may be the same matter as
    ``report``, best first, at most ``MAX_CANDIDATES``, each scoring at least the forest's threshold for
    suggesting."""
    reading = reading or report.reading()
    model = scoring.forest()
    params = {"since": report.at - WINDOW, "until": report.at + WINDOW}
    light: dict[int, Any] = {}
    has_point = report.latitude is not None and report.longitude is not None
    if has_point:
        lat, lon = report.latitude, report.longitude
        for door, metres_out in ((_BY_NEAR_CELLS, places.DEFAULT_REACH), (_BY_WIDE_CELLS, places.SEARCH_METRES)):
            area = {"cells": list(places.cells_around(lat, lon, metres_out)),  # type: ignore[arg-type]
                    **places.box_around(lat, lon, metres_out)}  # type: ignore[arg-type]
            for row in session.execute(door, {**params, **area}):
                light.setdefault(row.order_id, row)
    if report.community_id is not None:
        for row in session.execute(_BY_COMMUNITY, {**params, "community_id": report.community_id}):
            light.setdefault(row.order_id, row)
    if report.phone:
        for row in session.execute(_BY_PHONE, {**params, "phone": report.phone}):
            light.setdefault(row.order_id, row)
    light.pop(report.order_id, None)  # type: ignore[arg-type]
    metres: dict[int, float] = {}
    for order_id, row in list(light.items()):
        if has_point and row.latitude is not None and row.longitude is not None:
            metres[order_id] = distance_metres(report.latitude, report.longitude,  # type: ignore[arg-type]
                                               row.latitude, row.longitude)
            if metres[order_id] > (row.reach or places.reach_of(report.category_code)):
                del light[order_id]
    kept = sorted(light, reverse=True)[:SCORED]  # the newest (ids grow with time)
    rows = {row.order_id: row for row in session.execute(_WHOLE_ROWS, {"ids": kept})} if kept else {}
    closed_since = clock.now() - CLOSED_WITHIN
    best: dict[int, Match] = {}
    for row in rows.values():
        if row.status == Status.VOIDED.value or (row.closed_at is not None and row.closed_at < closed_since):
            continue
        found = scoring.evidence(reading, reading_of(row.reading), a_time=report.at, b_time=row.created_at,
                                 same_phone=bool(report.phone) and report.phone == row.citizen_phone,
                                 metres=metres.get(row.order_id),
                                 reach_metres=places.reach_of(row.category_code or report.category_code),
                                 same_community=report.community_id is not None
                                 and report.community_id == row.community_id)
        score = scoring.probability(found, model)
        if score < model.suggest:
            continue
        main_id = row.duplicate_of_id or row.order_id
        number, title, created_at, status = ((row.main_number, row.main_title, row.main_created_at, row.main_status)
                                             if row.duplicate_of_id else
                                             (row.number, row.title, row.created_at, row.status))
        if main_id == report.order_id or status == Status.VOIDED.value:
            continue
        if main_id not in best or best[main_id].score < score:
            joinable = (scoring.probability(replace(found, same_phone=False), model) if found.same_phone
                        else score) >= model.join
            best[main_id] = Match(main_id, number, title, created_at, Status(status), score,
                                  tuple(scoring.reasons(found)), joinable)
    return sorted(best.values(), key=lambda m: m.score, reverse=True)[:MAX_CANDIDATES]
