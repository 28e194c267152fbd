"""Intake (受理): a request located, routed and registered as a work order with its first event, in one
plain insert each (the hot path), numbered by the order-number sequence; dispatched by the system at once
when routing is sure of its category and owner."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from minhu.core import clock, idempotency
from minhu.core.db import Base, Database
from minhu.core.errors import Forbidden, InvalidInput
from minhu.geo import service as geo_service
from minhu.geo.index import UnitHit
from minhu.geo.models import LocationSource
from minhu.orders import clocks, lifecycle, numbering, permissions, queries, trail
from minhu.orders.enums import Grade, OrderType
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.schemas import ActionRequest, OrderCreate
from minhu.orders.signals import OrderChange, OrderPlacing, order_created, order_placing
from minhu.orders.states import Action, Status
from minhu.org import queries as org_queries
from minhu.org.models import Unit, User
from minhu.org.roles import Role
from minhu.routing import grading
from minhu.routing import service as routing
from minhu.routing.models import GRADES, RoutingDecision

DEFAULT_PREFIX = "MH"
INTAKE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER})
# Built once: the values travel as parameters, so SQLAlchemy reuses the compiled statement.
_ORDERS = Base.metadata.tables[WorkOrder.__tablename__]
_EVENTS = Base.metadata.tables[OrderEvent.__tablename__]
_INSERT_ORDER = insert(_ORDERS).returning(_ORDERS.c.id)
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
_INSERT_DECISION = insert(Base.metadata.tables[RoutingDecision.__tablename__])


log = logging.getLogger(__name__)

@dataclass(frozen=True)
class PlacedOrder:
    """Where a new order stands and how routing reads it, found before the write transaction."""

    placement: geo_service.Placement | None
    route: routing.Route | None = None
    # The earlier order, left unsolved, that this request repeats (its number): routing raised the grade.
    repeat_of: str | None = None
    # Earlier orders that may be the same matter (一事多办), best first, and the one it joins at once.
    duplicates: tuple[dict[str, Any], ...] = ()
    join: str | None = None
    # Who joined it, when a person chose the matter (else intake joined it by itself).
    join_by: str | None = None
    # The answer given on the call (直接答复), which closes the order as it is registered.
    answer: str | None = None
    # What the reporting grid worker did to solve it there (就地解决): the order is replied as it is registered.
    solved: str | None = None
    # What domains above write with the order, in its transaction (the duplicates' fingerprint).
    with_order: tuple[Callable[[Session, WorkOrder], None], ...] = ()


def place_order(session: Session, data: OrderCreate, *, reporter: User | None = None,
                category: str | None = None) -> PlacedOrder:
    """Locate a new order (coordinates, else address; a grid worker's own report without coordinates, in
    the ``reporter``'s grid) and route it: categories, grade, owner (of ``category`` when the reporter chose
    one).

    Callers on the hot path do this in a read session, so the writer's lock never waits on it —
    the first order after a map change rebuilds the spatial index here, and classifying takes a
    few milliseconds.
    """
    home = reporter.unit_id if reporter is not None and reporter.role is Role.GRIDWORKER else None
    placement = geo_service.place(session, lon=data.longitude, lat=data.latitude, address=data.address,
                                  home_grid_id=home, spread_key=f"{data.title}\n{data.content}")
    units = placement.units if placement is not None else {}
    where = placement.location if placement is not None else None

    def unit_of(hit: UnitHit | None) -> Unit | None:
        return units.get(hit.id) if hit is not None else None

    # Domains above may recognise a repeat of a request its callback found unsolved (evaluation's threads) or
    # earlier reports of the same matter (duplicates).
    placing = OrderPlacing(session, data, latitude=placement.lat if placement is not None else data.latitude,
                           longitude=placement.lon if placement is not None else data.longitude,
                           community_id=where.community.id if where is not None and where.community else None)
    order_placing.send(placing)
    route = routing.route(session, title=data.title, content=data.content,
                          street=unit_of(where.street if where else None),
                          community=unit_of(where.community if where else None),
                          place=unit_of(where.finest if where else None),
                          repeat_unsolved=placing.repeat_of is not None, chosen=category)
    return PlacedOrder(placement, route, placing.repeat_of.number if placing.repeat_of is not None else None,
                       duplicates=tuple(placing.duplicates), join=placing.join, with_order=tuple(placing.with_order))


def warm_up(db: Database) -> None:
    """Place one made-up order as the server starts, writing nothing: the first citizens' orders would otherwise
    each pay for what a process does once (statements compiled, the duplicate check's and routing's first reads)
    while a storm's first requests share the interpreter. Routing's tables it read are forgotten after, so a
    catalog loaded between this and the first order is the one routed by. A failure here leaves it all to the
    first order: a server starts either way."""
    made_up = OrderCreate(type=OrderType.COMPLAINT, title="路灯不亮", content="小区门口的路灯坏了，晚上一片漆黑。",
                          address="和平大道")
    try:
        with db.read() as session:
            place_order(session, made_up)
    except Exception:  # see above: never a reason not to start
        log.warning("placing a made-up order at start failed; the first order will warm up instead", exc_info=True)
    finally:
        routing.forget_routing()


def _repeat_payload(placed: PlacedOrder) -> dict[str, Any]:
    """The creation event's record of a repeat: which order it repeats, and the grade routing raised for it."""
    if placed.repeat_of is None or placed.route is None:
        return {}
    decision = placed.route.grade
    raised = decision.reasons[-1] == grading.REPEAT_REASON
    before = GRADES[GRADES.index(decision.grade) - 1] if raised else decision.grade
    return {"repeat_of": placed.repeat_of,
            **lifecycle.grade_raise(before, decision, why=f"（工单 {placed.repeat_of}）")}


@dataclass(frozen=True)
class Registered:
    """A registered order (detached, loaded, ready to present), whether this call created it, and what routing
    suggested for it as recorded (None when nothing was routed)."""

    order: WorkOrder
    created: bool
    decision: RoutingDecision | None


def create_order(session: Session, data: OrderCreate, *, actor: User | None,
                 claim: idempotency.Claim | None = None, placed: PlacedOrder | None = None) -> WorkOrder:
    """Register a request (受理). Hotline staff accept as they register; other doors wait for acceptance.

    With a ``claim``, the idempotency key is written in the same transaction as the order.
    Raises Forbidden for a role that does not register orders, InvalidInput when no command
    centre exists to own the order.
    """
    return _register(session, data, actor=actor, claim=claim, placed=placed).order


def _register(session: Session, data: OrderCreate, *, actor: User | None, claim: idempotency.Claim | None = None,
              placed: PlacedOrder | None = None, sender: str | None = None) -> Registered:
    if actor is not None and not permissions.may_register(actor):
        raise Forbidden("您的角色不能登记工单", code="not_an_intake_role")
    now = clock.now()
    status = Status.ACCEPTED if actor is not None and actor.role in INTAKE_ROLES else Status.NEW
    owner = trail.intake_unit(session, actor)
    placed = placed or place_order(session, data, reporter=actor)
    # The number is drawn just before the inserts: on PostgreSQL its sequence row stays locked until
    # commit, and every concurrent create waits on it.
    values: dict[str, Any] = {
        "number": numbering.next_number(session, _number_prefix(session)),
        "channel": data.channel, "type": data.type, "urgency": data.urgency, "status": status,
        "citizen_name": data.citizen_name, "citizen_phone": data.citizen_phone, "anonymous": data.anonymous,
        "confidential": data.confidential, "title": data.title, "content": data.content,
        "address": data.address, "latitude": data.latitude, "longitude": data.longitude,
        **_placement_values(placed.placement),
        "owner_unit_id": owner.id, "created_by_id": actor.id if actor else None,
        "created_at": now, "updated_at": now,
        "version": 1, "dispatched_at": None, "return_due_at": None, "suspended_at": None, "finish_left_minutes": None,
        # Every column is given, so the object built below has nothing left to load.
        "category_code": placed.route.category.code if placed.route and placed.route.category else None,
        "grade": placed.route.grade.grade if placed.route else None,
        "replied_at": None, "closed_at": None, "reply_text": None, "resolution": None, "satisfaction": None,
        "callback_method": None, "callback_reached": None, "callback_attempts": 0, "unreachable": False,
        "duplicate_of_id": None, "sub_centre_id": None, "ruling": None, "ruling_reason": None, "anonymised_at": None,
    }
    values.update(clocks.creation_values(session, values, waits_for_acceptance=status is Status.NEW, now=now))
    # Intake is the hot path: plain inserts cost a fraction of the ORM's unit of work. The rows
    # written then become ORM objects in this session without being read back.
    order_id = session.execute(_INSERT_ORDER, values).scalar_one()
    order = WorkOrder(id=order_id, **values)
    order.attachments = []
    order.calls = []
    order.escalations = []
    order.extensions = []
    order.owner_unit = owner
    # Loaded elsewhere (the map's cache): adopted without a query, like the owner above.
    for attribute, unit_id in (("street", order.street_id), ("community", order.community_id),
                               ("grid", order.grid_id)):
        unit = placed.placement.units[unit_id] if placed.placement is not None and unit_id else None
        setattr(order, attribute, trail.adopt(session, unit) if unit is not None else None)
    event_values = trail.event_values(order, Action.CREATE, actor=actor, from_status=None,
                                 payload={"channel": data.channel, **_repeat_payload(placed),
                                          **({"duplicates": list(placed.duplicates)} if placed.duplicates else {})},
                                 anonymous_name=sender or "市民")
    event_id = session.execute(_INSERT_EVENT, event_values).scalar_one()
    event = OrderEvent(id=event_id, **event_values)
    if claim is not None:
        idempotency.remember(session, claim, resource_ref=order.number)
    decision = None
    if placed.route is not None:
        decision_values = _decision_values(order_id, placed.route)
        session.execute(_INSERT_DECISION, decision_values)
        # The record as written, without reading it back: the caller presents it with the order.
        decision = RoutingDecision(**decision_values)
        decision.suggested_owner = placed.route.owner.unit
    make_transient_to_detached(event)
    make_transient_to_detached(order)
    session.add(order)
    # What is written with the order is there before anyone is told of it (a forwarding system's id before the
    # webhook of the registration, which carries it).
    for write in placed.with_order:
        write(session, order)
    order_created.send(OrderChange(session, order, event))
    if placed.join is not None:
        _join(session, order, placed)
    elif placed.answer is not None and actor is not None:
        lifecycle.apply_action(session, order, Action.DIRECT_REPLY, actor=actor,
                               params=ActionRequest(expected_version=order.version, note=placed.answer))
    elif placed.solved is not None and actor is not None:
        lifecycle.solve_on_the_spot(session, order, actor=actor, note=placed.solved)
    elif placed.route is not None and placed.route.auto_dispatch and status is Status.ACCEPTED:
        _auto_dispatch(session, order, placed.route)
    return Registered(order, True, decision)



def _decision_values(order_id: int, route: routing.Route) -> dict[str, Any]:
    return {"order_id": order_id, "at": clock.now(), "model_version": route.model_version,
            "suggestions": [{"code": s.code, "name": s.name, "path": s.path, "confidence": s.confidence,
                             "source": s.source} for s in route.suggestions],
            "suggested_category": route.category.code if route.category else None,
            "suggested_grade": route.grade.grade, "grade_reasons": list(route.grade.reasons),
            "suggested_owner_id": route.owner.unit.id if route.owner.unit else None,
            "rule_id": route.owner.rule.id if route.owner.rule else None, "owner_reason": route.owner.reason,
            "confidence": route.confidence, "auto_dispatched": route.auto_dispatch, "chosen_category": None,
            "chosen_owner_id": None, "chosen_at": None}


def _auto_dispatch(session: Session, order: WorkOrder, route: routing.Route) -> None:
    """Dispatch as the system: the category was sure and the matrix named the owner. The trail says why."""
    unit = route.owner.unit
    assert unit is not None
    lifecycle.apply_system_action(session, order, Action.DISPATCH, by=trail.AUTO_DISPATCHER, unit=unit,
                        note=f"自动派单：{route.owner.reason}",
                        payload={"unit_id": unit.id, "unit_name": unit.name, "auto": True,
                                 "category": route.category.code if route.category else None,
                                 "confidence": route.confidence})


def _join(session: Session, order: WorkOrder, placed: PlacedOrder) -> None:
    """Join the matter intake was sure of (一事多办): the order follows its main order instead of being handled
    again. The trail names the main order and why."""
    match = next(d for d in placed.duplicates if d["number"] == placed.join)
    reasons = "，".join(match["reasons"])
    if placed.join_by is not None:
        note = f"{match['chosen_by']}，并入 {match['number']}" + (f"（{reasons}）" if reasons else "")
    else:
        note = f"自动并入 {match['number']}：{reasons}"
    lifecycle.apply_system_action(session, order, Action.MERGE, by=placed.join_by or trail.AUTO_JOINER, note=note,
                                  payload={"duplicate_of_id": match["order_id"], "duplicate_of": match["number"],
                                           "auto": placed.join_by is None, "score": match["score"]})


def _placement_values(placement: geo_service.Placement | None) -> dict[str, Any]:
    """The order's columns for where it stands. An address match (or a grid worker's grid) also gives the
    order its point, so it shows on the map; ``location_source`` says the point was inferred, not given."""
    if placement is None:
        return {"street_id": None, "community_id": None, "grid_id": None, "place_unit_id": None,
                "location_source": None, "location_confidence": None}
    where = placement.location
    finest = where.finest
    values: dict[str, Any] = {
        "street_id": where.street.id if where.street else None,
        "community_id": where.community.id if where.community else None,
        "grid_id": where.grid.id if where.grid else None,
        "place_unit_id": finest.id if finest else None,
        "location_source": placement.source, "location_confidence": placement.confidence,
    }
    if placement.source is not LocationSource.COORDINATES:
        values["latitude"], values["longitude"] = placement.lat, placement.lon
    return values


def _number_prefix(session: Session) -> str:
    return org_queries.cached_root_prefix(session) or DEFAULT_PREFIX


@dataclass(frozen=True)
class Chosen:
    """What the person registering decided on the call: the matter the caller's report joins (its main order's
    id and number; 一事多办), or the answer given on the call (直接答复: the order is closed as it is registered,
    never dispatched nor joined); or the category the reporter picked (an Open311 service, a grid worker's A-level
    item); or, from a grid worker, what they did to solve it there (就地解决: replied as it is registered)."""

    join: tuple[int, str] | None = None
    answer: str | None = None
    category: str | None = None
    solved: str | None = None


def create_order_once(db: Database, data: OrderCreate, *, actor: User | None, key: str | None,
                      scope: str, sender: str | None = None,
                      with_order: tuple[Callable[[Session, WorkOrder], None], ...] = (),
                      chosen: Chosen | None = None) -> Registered:
    """Create an order at most once per idempotency key; returns it, whether it was created now, and its
    routing record.

    The order comes back detached but loaded (owner unit, attachments), ready to present.
    The key is looked up before the write transaction, which then only inserts: when two
    requests race with one key, the loser's insert fails on the unique constraint and its
    retry finds the winner's order. The write shares its commit with concurrent creates
    (``Database.grouped``) and returns only once that commit is durable. Raises Conflict
    when the key was used for another body.

    ``sender`` names in the trail a sender that is no person (a system forwarding orders); ``with_order`` is what
    the caller writes with the order, in its transaction; ``chosen`` what the person registering decided.
    """
    if key is None:
        with db.read() as session:
            placed = _with(place_order(session, data, reporter=actor, category=_category(chosen)), with_order,
                           chosen, actor)
        return db.grouped(partial(_register, data=data, actor=actor, placed=placed, sender=sender))
    claim = idempotency.Claim(scope=scope, key=idempotency.validate_key(key),
                              body_hash=idempotency.request_hash(data.model_dump(mode="json")))
    for _attempt in range(3):
        with db.read() as session:
            existing = idempotency.find(session, claim)
            if existing is not None:
                first = queries.find_by_number(session, existing)
                if first is None:  # pragma: no cover - keys and orders are written together
                    raise RuntimeError(f"idempotency key names a missing order {existing}")
                return Registered(first, False, queries.decision_of(session, first))
            placed = _with(place_order(session, data, reporter=actor, category=_category(chosen)), with_order,
                           chosen, actor)
        try:
            return db.grouped(partial(_register, data=data, actor=actor, claim=claim, placed=placed, sender=sender))
        except IntegrityError:
            continue
    raise RuntimeError("idempotent create kept colliding")  # pragma: no cover - needs 3 lost races


def _category(chosen: Chosen | None) -> str | None:
    return chosen.category if chosen is not None else None


def _with(placed: PlacedOrder, writes: tuple[Callable[[Session, WorkOrder], None], ...], chosen: Chosen | None,
          actor: User | None) -> PlacedOrder:
    if writes:
        placed = replace(placed, with_order=placed.with_order + writes)
    if chosen is None:
        return placed
    if chosen.answer is not None:
        return replace(placed, answer=chosen.answer, join=None)
    if chosen.solved is not None:
        _check_on_the_spot(placed, actor, chosen.category)
        return replace(placed, solved=chosen.solved, join=None)
    if chosen.join is not None:
        main_id, number = chosen.join
        found = [d for d in placed.duplicates if d["number"] == number]
        reason = f"{actor.full_name if actor else '登记人'}判定为同一事项"
        decided = {**(found[0] if found else {"order_id": main_id, "number": number, "score": None, "reasons": []}),
                   "chosen_by": reason}
        placed = replace(placed, join=number, join_by=actor.full_name if actor else None,
                         duplicates=(decided, *(d for d in placed.duplicates if d["number"] != number)))
    return placed


def _check_on_the_spot(placed: PlacedOrder, actor: User | None, category: str | None) -> None:
    """Before the write: only a grid worker's A-level matter on their own grid is solved on the spot. Raises
    InvalidInput naming what stands in the way (the grade's reasons, the grid the place falls in)."""
    if actor is None or actor.role is not Role.GRIDWORKER:
        raise Forbidden("只有网格员可以登记就地解决的问题", code="not_a_grid_worker")
    grid = placed.placement.location.grid if placed.placement is not None else None
    if grid is None or grid.id != actor.unit_id:
        raise InvalidInput("问题所在位置不在您的网格内，不能就地解决；请按发现问题上报",
                           details=[{"field": "address", "message": "位置不在本网格"}], code="outside_grid")
    route = placed.route
    if route is None or route.category is None or route.category.code != category:
        raise InvalidInput("请选择就地解决的 A 级事项", details=[{"field": "category_code", "message": "没有这一事项"}],
                           code="unknown_category")
    if route.grade.grade is not Grade.A:
        grade = route.grade.grade.value
        why = "；".join(route.grade.reasons)
        because = f"（{why}）" if why else ""
        raise InvalidInput(f"该事项为 {grade} 级，只有 A 级简易事件可以就地解决；请按发现问题上报{because}",
                           details=[{"field": "category_code", "message": "不是 A 级事项"}], code="not_a_level")
