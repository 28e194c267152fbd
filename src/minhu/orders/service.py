"""The writers of the work order. ``apply_action`` is the only function that changes a status.

Every change appends one ``OrderEvent`` in the caller's transaction, and fires a signal whose
receivers write in that same transaction, so an order, its trail and their side effects commit
together or not at all. Services flush; the caller's ``db.transaction()`` commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from minhu.core import clock, files, idempotency
from minhu.core.db import Base, Database
from minhu.core.errors import Conflict, Forbidden, InvalidInput, field_error
from minhu.core.types import json_safe
from minhu.deadlines.models import LimitKind
from minhu.geo import service as geo_service
from minhu.geo.index import UnitHit
from minhu.geo.models import LocationSource
from minhu.orders import callbacks, clocks, numbering, permissions, queries, states
from minhu.orders.enums import (
    RETURN_REASON_LABELS,
    RULING_LABELS,
    UNREASONABLE_KIND_LABELS,
    CallbackMethod,
    Grade,
    Resolution,
    Ruling,
    Satisfaction,
)
from minhu.orders.errors import IllegalAction, NoteRequired, StaleOrder
from minhu.orders.models import (
    Attachment,
    CallbackAttempt,
    OrderCall,
    OrderEscalation,
    OrderEvent,
    OrderExtension,
    OrderSupervision,
    WorkOrder,
)
from minhu.orders.schemas import ActionRequest, OrderCreate
from minhu.orders.signals import (
    OrderChange,
    OrderMoving,
    OrderPlacing,
    order_created,
    order_moved,
    order_moving,
    order_placing,
)
from minhu.orders.states import Action, Status
from minhu.org import queries as org_queries
from minhu.org.models import Unit, User
from minhu.org.roles import DISPATCHABLE_KINDS, ROLE_LABELS, Role, UnitKind
from minhu.routing import grading
from minhu.routing import rules as routing_rules
from minhu.routing import service as routing
from minhu.routing.models import GRADES, Category, RoutingDecision

DEFAULT_PREFIX = "MH"
INTAKE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER})
# Built once: the values travel as parameters, so SQLAlchemy reuses the compiled statement.
_ORDERS = Base.metadata.tables[WorkOrder.__tablename__]
_EVENTS = Base.metadata.tables[OrderEvent.__tablename__]
_INSERT_ORDER = insert(_ORDERS).returning(_ORDERS.c.id)
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
_INSERT_DECISION = insert(Base.metadata.tables[RoutingDecision.__tablename__])


def _event_values(order: WorkOrder, action: Action, *, actor: User | None, from_status: Status | None,
                  note: str = "", payload: dict[str, Any] | None = None,
                  anonymous_name: str = "系统") -> dict[str, Any]:
    return {
        "order_id": order.id, "action": action, "from_status": from_status, "to_status": order.status,
        "actor_id": actor.id if actor else None,
        "actor_name": actor.full_name if actor else anonymous_name,
        "actor_role": actor.role if actor else None,
        "actor_unit_id": actor.unit_id if actor else None,
        "actor_unit_name": actor.unit.name if actor else None,
        "note": note, "payload": json_safe(payload or {}), "at": clock.now(),
    }


def _append_event(session: Session, order: WorkOrder, action: Action, *, actor: User | None,
                  from_status: Status | None, note: str = "", payload: dict[str, Any] | None = None,
                  anonymous_name: str = "系统") -> OrderEvent:
    event = OrderEvent(**_event_values(order, action, actor=actor, from_status=from_status, note=note,
                                       payload=payload, anonymous_name=anonymous_name))
    session.add(event)
    return event


def _here(session: Session, unit: Unit) -> Unit:
    """``unit`` as an instance of ``session``. The actor's unit and cached units were loaded by other sessions:
    assigning one whose row this session already holds fails at flush, so every such unit is merged first
    (``load=False``: no query; the instance this session holds, if any, is the one returned)."""
    return session.merge(unit, load=False)


def _intake_unit(session: Session, actor: User | None) -> Unit:
    """Where a new order waits: the actor's unit for centre staff, else the topmost centre (in ``session``)."""
    if actor is not None and permissions.is_centre(actor):
        return _here(session, actor.unit)
    centre = org_queries.find_centre(session)
    if centre is None:
        raise InvalidInput("尚未配置受理中心（指挥中心）单位，无法登记工单", code="no_intake_centre")
    return centre


@dataclass(frozen=True)
class PlacedOrder:
    """Where a new order stands and how routing reads it, found before the write transaction."""

    placement: geo_service.Placement | None
    route: routing.Route | None = None
    # The earlier order, left unsolved, that this request repeats (its number): routing raised the grade.
    repeat_of: str | None = None


def place_order(session: Session, data: OrderCreate) -> PlacedOrder:
    """Locate a new order (coordinates, else address) and route it: categories, grade, owner.

    Callers on the hot path do this in a read session, so the writer's lock never waits on it —
    the first order after a map change rebuilds the spatial index here, and classifying takes a
    few milliseconds.
    """
    placement = geo_service.place(session, lon=data.longitude, lat=data.latitude, address=data.address)
    units = placement.units if placement is not None else {}
    where = placement.location if placement is not None else None

    def unit_of(hit: UnitHit | None) -> Unit | None:
        return units.get(hit.id) if hit is not None else None

    # A domain above (evaluation's threads) may recognise a repeat of a request its callback found unsolved.
    placing = OrderPlacing(session, data)
    order_placing.send(placing)
    route = routing.route(session, title=data.title, content=data.content,
                          street=unit_of(where.street if where else None),
                          community=unit_of(where.community if where else None),
                          place=unit_of(where.finest if where else None),
                          repeat_unsolved=placing.repeat_of is not None)
    return PlacedOrder(placement, route, placing.repeat_of.number if placing.repeat_of is not None else None)


def _repeat_payload(placed: PlacedOrder) -> dict[str, Any]:
    """The creation event's record of a repeat: which order it repeats, and the grade routing raised for it."""
    if placed.repeat_of is None or placed.route is None:
        return {}
    decision = placed.route.grade
    raised = decision.reasons[-1] == grading.REPEAT_REASON
    before = GRADES[GRADES.index(decision.grade) - 1] if raised else decision.grade
    return {"repeat_of": placed.repeat_of,
            **_grade_raise(before, decision, why=f"（工单 {placed.repeat_of}）")}


def create_order(session: Session, data: OrderCreate, *, actor: User | None,
                 claim: idempotency.Claim | None = None, placed: PlacedOrder | None = None) -> WorkOrder:
    """Register a request (受理). Hotline staff accept as they register; other doors wait for acceptance.

    With a ``claim``, the idempotency key is written in the same transaction as the order.
    Raises Forbidden for a role that does not register orders, InvalidInput when no command
    centre exists to own the order.
    """
    if actor is not None and not permissions.may_register(actor):
        raise Forbidden("您的角色不能登记工单", code="not_an_intake_role")
    now = clock.now()
    status = Status.ACCEPTED if actor is not None and actor.role in INTAKE_ROLES else Status.NEW
    owner = _intake_unit(session, actor)
    placed = placed or place_order(session, data)
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
        "duplicate_of_id": None, "ruling": None, "ruling_reason": None,
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
        setattr(order, attribute, _here(session, unit) if unit is not None else None)
    event_values = _event_values(order, Action.CREATE, actor=actor, from_status=None,
                                 payload={"channel": data.channel, **_repeat_payload(placed)}, anonymous_name="市民")
    event_id = session.execute(_INSERT_EVENT, event_values).scalar_one()
    event = OrderEvent(id=event_id, **event_values)
    if claim is not None:
        idempotency.remember(session, claim, resource_ref=order.number)
    if placed.route is not None:
        session.execute(_INSERT_DECISION, _decision_values(order_id, placed.route))
    make_transient_to_detached(event)
    make_transient_to_detached(order)
    session.add(order)
    order_created.send(OrderChange(session, order, event))
    if placed.route is not None and placed.route.auto_dispatch and status is Status.ACCEPTED:
        _auto_dispatch(session, order, placed.route)
    return order


def _ruling_to_rule(session: Session, order: WorkOrder, from_status: Status, note: str, actor: User) -> int:
    """A ruling on a returned order's ownership becomes a line of the matrix (in one click), superseding a
    rule that gave the category to another unit."""
    if from_status is not Status.RETURNED:
        raise field_error("make_rule", "只有对退单的裁定可以转为责任规则")
    if order.category_code is None:
        raise field_error("category_code", "请先确定分类，再把裁定转为责任规则")
    category = session.get(Category, order.category_code)
    if category is not None and category.level == 1:
        # A first-level category is a whole field (公共安全, 城乡建设): a ruling on one order must not send all
        # of it to one unit across the district.
        raise field_error("make_rule", f"一级分类“{category.name}”范围太大：请先选定二级或三级分类，再写入责任清单")
    rule = routing_rules.add_ruling(session, category_code=order.category_code, owner_unit_id=order.owner_unit.id,
                                    source=f"派单员裁定（工单 {order.number}）", decided_on=clock.city_now().date(),
                                    note=note, actor=actor)
    return rule.id


def _record_choice(session: Session, order: WorkOrder, unit_id: int) -> None:
    """What the dispatcher chose against what routing suggested: the first dispatch counts."""
    session.execute(update(RoutingDecision).where(RoutingDecision.order_id == order.id,
                                                  RoutingDecision.chosen_at.is_(None))
                    .values(chosen_category=order.category_code, chosen_owner_id=unit_id,
                            chosen_at=clock.now()))


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
    apply_system_action(session, order, Action.DISPATCH, by=AUTO_DISPATCHER, unit=unit,
                        note=f"自动派单：{route.owner.reason}",
                        payload={"unit_id": unit.id, "unit_name": unit.name, "auto": True,
                                 "category": route.category.code if route.category else None,
                                 "confidence": route.confidence})


def _placement_values(placement: geo_service.Placement | None) -> dict[str, Any]:
    """The order's columns for where it stands. An address match also gives the order its point, so it
    shows on the map; ``location_source`` says the point was inferred, not given."""
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
    if placement.source is LocationSource.ADDRESS:
        values["latitude"], values["longitude"] = placement.lat, placement.lon
    return values


def _number_prefix(session: Session) -> str:
    return org_queries.cached_root_prefix(session) or DEFAULT_PREFIX


def create_order_once(db: Database, data: OrderCreate, *, actor: User | None, key: str | None,
                      scope: str) -> tuple[WorkOrder, bool]:
    """Create an order at most once per idempotency key; returns (the order, created now).

    The order comes back detached but loaded (owner unit, attachments), ready to present.
    The key is looked up before the write transaction, which then only inserts: when two
    requests race with one key, the loser's insert fails on the unique constraint and its
    retry finds the winner's order. Raises Conflict when the key was used for another body.
    """
    if key is None:
        with db.read() as session:
            placed = place_order(session, data)
        with db.transaction() as session:
            return create_order(session, data, actor=actor, placed=placed), True
    claim = idempotency.Claim(scope=scope, key=idempotency.validate_key(key),
                              body_hash=idempotency.request_hash(data.model_dump(mode="json")))
    for _attempt in range(3):
        with db.read() as session:
            existing = idempotency.find(session, claim)
            if existing is not None:
                first = queries.find_by_number(session, existing)
                if first is None:  # pragma: no cover - keys and orders are written together
                    raise RuntimeError(f"idempotency key names a missing order {existing}")
                return first, False
            placed = place_order(session, data)
        try:
            with db.transaction() as session:
                return create_order(session, data, actor=actor, claim=claim, placed=placed), True
        except IntegrityError:
            continue
    raise RuntimeError("idempotent create kept colliding")  # pragma: no cover - needs 3 lost races


def _check_params(session: Session, order: WorkOrder, action: Action, actor: User,
                  params: ActionRequest) -> dict[str, Any]:
    """Validate what an action needs beyond its note; returns the event payload."""
    if action is Action.DISPATCH:
        if params.unit_id is None:
            raise field_error("unit_id", "派单须选择承办单位")
        unit = _dispatchable(session, params.unit_id, "unit_id")
        payload: dict[str, Any] = {"unit_id": unit.id, "unit_name": unit.name}
        if params.category_code is not None:
            category = session.get(Category, params.category_code)
            if category is None or not category.active:
                raise field_error("category_code", f"分类 {params.category_code} 不存在", code="invalid_category")
            payload["category"] = category.code
        return payload
    if action is Action.WHISTLE:
        return _check_whistle(session, order, params)
    if action is Action.RETURN:
        if params.return_reason is None:
            raise field_error("return_reason", "请选择退单原因")
        _check_return_period(order)
        return {"reason": params.return_reason.value, "reason_label": RETURN_REASON_LABELS[params.return_reason]}
    if action is Action.ESCALATE:
        return _check_escalate(order, params)
    if action is Action.ASK_EXTENSION:
        return _check_extension(order, params)
    if action is Action.ACCEPT_ESCALATION:
        return _check_accept_escalation(session, order, actor, params)
    if action is Action.CALLBACK:
        return _check_callback(session, order, params)
    if action is Action.RULE:
        return _check_ruling(order, params)
    if action is Action.MERGE:
        return _check_merge(session, order, params)
    return {}


def _check_callback(session: Session, order: WorkOrder, params: ActionRequest) -> dict[str, Any]:
    if params.reached is None:
        raise field_error("reached", "请填写是否联系到市民")
    method = params.method or CallbackMethod.PHONE
    if params.reached:
        if params.resolution is None or params.satisfaction is None:
            field = "resolution" if params.resolution is None else "satisfaction"
            raise field_error(field, "联系到市民时须记录解决情况和满意度")
        return {"reached": True, "resolution": params.resolution, "satisfaction": params.satisfaction,
                "method": method, "attempt": order.callback_attempts + 1}
    # An unanswered try before the policy's interval would let three quick redials close a callback as
    # unreachable; the citizen gets a real chance to answer.
    due = callbacks.next_try_at(session, order)
    if due is not None and clock.now() < due:
        shown = due.astimezone(clock.city_tz()).strftime("%Y-%m-%d %H:%M")
        raise Conflict(f"距上次未接通不足规定间隔，请于 {shown} 后再拨", code="callback_too_soon",
                       details={"next_try_at": due.isoformat()})
    attempt = order.callback_attempts + 1
    return {"reached": False, "method": method, "attempt": attempt,
            "max_attempts": callbacks.policy().max_attempts, "unreachable": callbacks.is_last_try(order)}


def _record_attempt(session: Session, order: WorkOrder, *, method: CallbackMethod, reached: bool, note: str,
                    actor: User | None, now: datetime, actor_name: str = "") -> None:
    order.callback_attempts += 1
    session.add(CallbackAttempt(order_id=order.id, at=now, method=method, reached=reached, note=note,
                                actor_id=actor.id if actor else None,
                                actor_name=actor.full_name if actor else actor_name))


def _set_callback_outcome(session: Session, order: WorkOrder, payload: dict[str, Any], *, note: str,
                          actor: User | None, now: datetime, actor_name: str = "") -> None:
    """The answer the callback got, in the columns the rates read; unreached means closed as unreachable."""
    reached = bool(payload["reached"])
    order.callback_method = payload["method"]
    order.callback_reached = reached
    order.unreachable = not reached
    order.resolution = payload.get("resolution") if reached else None
    order.satisfaction = payload.get("satisfaction") if reached else None
    _record_attempt(session, order, method=payload["method"], reached=reached, note=note, actor=actor, now=now,
                    actor_name=actor_name)


def _check_ruling(order: WorkOrder, params: ActionRequest) -> dict[str, Any]:
    if params.ruling is None:
        raise field_error("ruling", "请选择认定结果")
    if params.unreasonable_kind is not None and params.ruling is not Ruling.UNREASONABLE:
        raise field_error("unreasonable_kind", "只有认定为诉求不合理时才选择不合理情形")
    payload: dict[str, Any] = {"ruling": params.ruling, "ruling_label": RULING_LABELS[params.ruling],
                               "previous": order.ruling}
    if params.unreasonable_kind is not None:
        payload["unreasonable_kind"] = params.unreasonable_kind
        payload["unreasonable_label"] = UNREASONABLE_KIND_LABELS[params.unreasonable_kind]
    return payload


def _check_merge(session: Session, order: WorkOrder, params: ActionRequest) -> dict[str, Any]:
    if params.duplicate_of is None:
        raise field_error("duplicate_of", "请填写主工单编号")
    main = queries.find_by_number(session, params.duplicate_of)
    if main is None:
        raise field_error("duplicate_of", f"工单 {params.duplicate_of} 不存在", code="invalid_order")
    # Merging into a duplicate merges into what it repeats: every duplicate points at a main order directly.
    seen = {main.id}
    while main.duplicate_of_id is not None:
        main = session.get_one(WorkOrder, main.duplicate_of_id)
        if main.id in seen:  # pragma: no cover - the rule above never builds a cycle
            break
        seen.add(main.id)
    if main.id == order.id:
        raise field_error("duplicate_of", "工单不能合并到自身", code="invalid_order")
    if main.status is Status.VOIDED:
        raise field_error("duplicate_of", f"主工单 {main.number} 已作废，不能作为合并目标", code="invalid_order")
    return {"duplicate_of_id": main.id, "duplicate_of": main.number}


# How long a unit called onto an order (吹哨) has to report (报到), and how long a unit that received an
# order may still return it (退单), until the deadlines policy sets them.
REPORT_LIMIT = timedelta(hours=24)
RETURN_LIMIT = timedelta(hours=24)


def _check_whistle(session: Session, order: WorkOrder, params: ActionRequest) -> dict[str, Any]:
    if not params.unit_ids:
        raise field_error("unit_ids", "请选择要吹哨调度的单位")
    already = {c.unit_id for c in order.calls if c.reported_at is None}
    units = []
    for unit_id in dict.fromkeys(params.unit_ids):
        unit = _dispatchable(session, unit_id, "unit_ids")
        if unit.id == order.owner_unit_id:
            raise field_error("unit_ids", f"{unit.name} 是牵头单位，无需吹哨")
        if unit.id in already:
            raise field_error("unit_ids", f"{unit.name} 已被吹哨，尚未报到")
        units.append(unit)
    return {"units": [{"id": u.id, "name": u.name} for u in units]}


def _check_return_period(order: WorkOrder) -> None:
    if not permissions.return_period_over(order):
        return
    due, received = order.return_due_at, order.dispatched_at
    assert due is not None  # return_period_over said so
    if received is not None and due <= received:
        raise InvalidInput("重办的工单不能退单，请继续办理或申请升级", code="return_period_over")
    shown = due.astimezone(clock.city_tz()).strftime("%Y-%m-%d %H:%M")
    raise InvalidInput(f"退单时限已过（{shown} 前可退单）；如确非本单位职责，请申请升级或联系指挥中心",
                       code="return_period_over")


def _check_extension(order: WorkOrder, params: ActionRequest) -> dict[str, Any]:
    if order.pending_extension is not None:
        raise InvalidInput("已有延期申请待指挥中心审核", code="extension_pending")
    if params.extend_to is None:
        raise field_error("extend_to", "请填写申请延期到的时间")
    if params.extend_to <= clock.now():
        raise field_error("extend_to", "延期时间不能早于现在")
    if order.finish_due_at is not None and params.extend_to <= order.finish_due_at:
        shown = order.finish_due_at.astimezone(clock.city_tz()).strftime("%Y-%m-%d %H:%M")
        raise field_error("extend_to", f"延期时间须晚于当前办结时限 {shown}")
    return {"extend_to": params.extend_to.astimezone(clock.city_tz()).isoformat()}


def _check_escalate(order: WorkOrder, params: ActionRequest) -> dict[str, Any]:
    if order.pending_escalation is not None:
        raise InvalidInput("已有升级申请待上级审核", code="escalation_pending")
    current = order.grade or Grade.A
    if current is Grade.D:
        raise field_error("grade", "工单已是 D 级，无法再升级")
    wanted = params.grade or GRADES[GRADES.index(current) + 1]
    if GRADES.index(wanted) <= GRADES.index(current):
        raise field_error("grade", f"升级后的等级须高于当前的 {current.value} 级")
    return {"from_grade": order.grade, "to_grade": wanted}


def _street_above(unit: Unit) -> Unit | None:
    node: Unit | None = unit
    while node is not None and node.kind is not UnitKind.STREET:
        node = node.parent
    return node


def _check_accept_escalation(session: Session, order: WorkOrder, actor: User,
                             params: ActionRequest) -> dict[str, Any]:
    """The unit that takes the order on: the street (or a unit of it) for B, a department chosen by the
    centre for C. D goes to the city by the centre's own action."""
    pending = order.pending_escalation
    assert pending is not None  # may_take checked it
    if pending.to_grade is Grade.D:
        raise InvalidInput("D 级事项请使用“上报市级”", code="use_escalate_city")
    if params.unit_id is None:
        street = _street_above(pending.requested_unit) if pending.to_grade is Grade.B else None
        if street is None:
            raise field_error("unit_id", "请选择升级后的承办单位")
        unit = street
    else:
        unit = _dispatchable(session, params.unit_id, "unit_id")
        if not permissions.is_centre(actor) and not unit.is_within(actor.unit):
            raise field_error("unit_id", f"{unit.name} 不属于本街道，请选择本街道的科室或执法中心",
                              code="invalid_unit")
    return {"from_grade": pending.from_grade, "to_grade": pending.to_grade, "unit_id": unit.id,
            "unit_name": unit.name}


def _dispatchable(session: Session, unit_id: int, field: str) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or unit.kind not in DISPATCHABLE_KINDS or not unit.active:
        raise field_error(field, f"承办单位 {unit_id} 不存在或不可派单", code="invalid_unit")
    return unit


def _hand_over(session: Session, order: WorkOrder, unit: Unit, now: datetime, *,
               returnable: bool = True) -> dict[str, list[str | None]]:
    """The order reaches ``unit``: its clocks — to return, sign, respond and finish — start now. Returns
    the deadlines that moved, for the trail."""
    order.owner_unit = unit
    order.dispatched_at = now
    order.responded_at = None
    # Without a return period the limit ends as it starts: the order cannot be returned.
    order.return_due_at = now + RETURN_LIMIT if returnable else now
    return clocks.start(session, order, clocks.DISPATCH_LIMITS, now)


def _deadline_payload(changes: dict[str, list[str | None]]) -> dict[str, Any]:
    return {"deadlines": changes} if changes else {}


def _decide_escalation(order: WorkOrder, actor: User, now: datetime, *, accepted: bool, note: str) -> None:
    pending = order.pending_escalation
    if pending is not None:
        pending.decided_by_id, pending.decided_at = actor.id, now
        pending.accepted, pending.decision_note = accepted, note


# --- the one writer of status ---------------------------------------------------------------------------
# Each action's own work is a small handler beside the table; ``_move`` is the one place a status changes,
# for a person (``apply_action``) or for the system (``apply_system_action``): it checks nothing the callers
# have not, and does everything every move does (the clocks of closing, the signals, the one event).

# The names the trail gives the system when it moves an order itself.
AUTO_DISPATCHER = "系统（自动派单）"
SWEEP_NAME = "系统（时限监管）"
ONLINE_RATER = "市民（网上直评）"


@dataclass
class Move:
    """One action being taken: what the handlers read and write. ``payload`` is what the event keeps;
    ``moved`` the deadlines the action moved ({limit: [old, new]}); ``unit`` a unit the caller already holds
    for the hand-over (auto-dispatch), so none is loaded again."""

    session: Session
    order: WorkOrder
    action: Action
    transition: states.Transition
    actor: User | None
    actor_name: str
    note: str
    payload: dict[str, Any]
    from_status: Status
    now: datetime
    params: ActionRequest | None = None
    unit: Unit | None = None
    moved: dict[str, list[str | None]] = field(default_factory=dict)

    @property
    def person(self) -> User:
        """The actor of an action only people take (the table gives the system no such row)."""
        assert self.actor is not None
        return self.actor


def _on_dispatch(m: Move) -> None:
    order = m.order
    order.category_code = m.payload.get("category") or order.category_code
    unit = _here(m.session, m.unit) if m.unit is not None else m.session.get_one(Unit, m.payload["unit_id"])
    m.moved = _hand_over(m.session, order, unit, m.now)
    if m.actor is None:  # auto-dispatch: routing's decision already says it dispatched itself
        return
    _record_choice(m.session, order, m.payload["unit_id"])
    if m.params is not None and m.params.make_rule:
        m.payload["rule_id"] = _ruling_to_rule(m.session, order, m.from_status, m.note, m.person)


def _on_return(m: Move) -> None:
    """退单, or the sweep's sign time-out: the order goes back to the centre's queue."""
    unit = m.order.owner_unit
    m.payload = {**m.payload, "returned_by_unit": unit.name}
    if m.action is Action.SIGN_TIMEOUT:
        m.payload["unit_id"] = unit.id
    m.order.owner_unit = _intake_unit(m.session, None)


def _on_whistle(m: Move) -> None:
    for called in m.payload["units"]:
        # Through the collection, so the order knows its calls within this same session.
        m.order.calls.append(OrderCall(order_id=m.order.id, unit_id=called["id"], called_by_id=m.person.id,
                                       called_at=m.now, report_due_at=m.now + REPORT_LIMIT))


def _on_report(m: Move) -> None:
    call = permissions.open_call_for(m.person, m.order)
    assert call is not None  # may_take checked it
    call.reported_at, call.report = m.now, m.note
    m.payload = {"unit_id": call.unit_id, "unit_name": call.unit.name, "late": call.late}


def _on_reply(m: Move) -> None:
    m.order.reply_text = m.note
    m.order.replied_at = m.now
    m.order.responded_at = m.order.responded_at or m.now


def _on_handle(m: Move) -> None:
    m.order.responded_at = m.order.responded_at or m.now  # the first progress note is the first contact


def _on_approve(m: Move) -> None:
    m.moved = clocks.start(m.session, m.order, [LimitKind.CALLBACK], m.now)


def _on_callback(m: Move) -> None:
    """A reviewer's call that got an answer (or closed as unreachable), or the citizen's own online rating."""
    _set_callback_outcome(m.session, m.order, m.payload, note=m.note, actor=m.actor, now=m.now,
                          actor_name=m.actor_name)


def _on_callback_unreached(m: Move) -> None:
    _record_attempt(m.session, m.order, method=m.payload["method"], reached=False, note=m.note, actor=m.actor,
                    now=m.now)
    m.payload = {**m.payload, "next_try_at": (m.now + callbacks.policy().retry_after).isoformat()}


def _on_reopen(m: Move) -> None:
    order = m.order
    # The next callback starts afresh: the rates read these only once the order is archived again.
    order.resolution = None
    order.satisfaction = None
    order.callback_method = None
    order.callback_reached = None
    order.unreachable = False
    order.callback_attempts = 0
    # The matter came back unsolved: routing's rule raises its grade before the clocks restart, which read it.
    decision = grading.rehandled(order.grade)
    raise_ = _grade_raise(order.grade, decision)
    order.grade = decision.grade
    # Re-handling goes back to the unit that replied: it is not an order it may return.
    m.moved = _hand_over(m.session, order, order.owner_unit, m.now, returnable=False)
    m.payload = {"unit_id": order.owner_unit_id, "unit_name": order.owner_unit.name, **raise_}


def _grade_raise(before: Grade | None, decision: grading.GradeDecision, *, why: str = "") -> dict[str, Any]:
    """The trail's record of a grade routing's rules raised: from, to, and the rule's reason."""
    if before is not None and before is decision.grade:
        return {}
    return {"grade_raised": {"from": before, "to": decision.grade, "reason": decision.reasons[-1] + why}}


def _on_escalate(m: Move) -> None:
    m.order.escalations.append(OrderEscalation(
        order_id=m.order.id, from_grade=m.order.grade, to_grade=m.payload["to_grade"], reason=m.note,
        requested_by_id=m.person.id, requested_unit_id=m.order.owner_unit_id, requested_at=m.now))


def _on_accept_escalation(m: Move) -> None:
    _decide_escalation(m.order, m.person, m.now, accepted=True, note=m.note)
    m.order.grade = m.payload["to_grade"]
    m.moved = _hand_over(m.session, m.order, m.session.get_one(Unit, m.payload["unit_id"]), m.now)


def _on_refuse_escalation(m: Move) -> None:
    _decide_escalation(m.order, m.person, m.now, accepted=False, note=m.note)


def _on_escalate_city(m: Move) -> None:
    _decide_escalation(m.order, m.person, m.now, accepted=True, note=m.note)
    m.payload = {"from_grade": m.order.grade, "to_grade": Grade.D}
    m.order.grade = Grade.D
    m.order.owner_unit = _intake_unit(m.session, m.actor)


def _on_suspend(m: Move) -> None:
    m.moved = clocks.suspend(m.session, m.order, m.now)


def _on_resume(m: Move) -> None:
    m.moved = clocks.resume(m.session, m.order, m.now)


def _on_ask_extension(m: Move) -> None:
    extend_to = m.params.extend_to if m.params is not None else None
    assert extend_to is not None  # _check_extension checked it
    m.order.extensions.append(OrderExtension(order_id=m.order.id, reason=m.note, requested_by_id=m.person.id,
                                             requested_at=m.now, old_due_at=m.order.finish_due_at,
                                             new_due_at=extend_to))


def _on_decide_extension(m: Move) -> None:
    extension = m.order.pending_extension
    assert extension is not None  # may_take checked it
    approved = m.action is Action.APPROVE_EXTENSION
    extension.decided_by_id, extension.decided_at = m.person.id, m.now
    extension.approved, extension.decision_note = approved, m.note
    if approved:
        m.moved = clocks.move(m.session, m.order, LimitKind.FINISH, extension.new_due_at, m.now)


def _on_city_feedback(m: Move) -> None:
    m.order.reply_text = m.note
    m.order.replied_at = m.now


def _on_rule(m: Move) -> None:
    m.order.ruling = m.payload["ruling"]
    m.order.ruling_reason = m.note


def _on_merge(m: Move) -> None:
    m.order.duplicate_of_id = m.payload["duplicate_of_id"]


def _nothing(m: Move) -> None:
    """Accepting, signing, sending back, archiving, voiding, restoring: the status says it all."""


HANDLERS: dict[Action, Callable[[Move], None]] = {
    Action.ACCEPT: _nothing,
    Action.DIRECT_REPLY: _on_reply,
    Action.DISPATCH: _on_dispatch,
    Action.SIGN: _nothing,
    Action.RETURN: _on_return,
    Action.HANDLE: _on_handle,
    Action.REPLY: _on_reply,
    Action.APPROVE: _on_approve,
    Action.SEND_BACK: _nothing,
    Action.CALLBACK: _on_callback,
    Action.CALLBACK_UNREACHED: _on_callback_unreached,
    Action.RATE: _on_callback,
    Action.ARCHIVE: _nothing,
    Action.REOPEN: _on_reopen,
    Action.VOID: _nothing,
    Action.RESTORE: _nothing,
    Action.WHISTLE: _on_whistle,
    Action.REPORT: _on_report,
    Action.ESCALATE: _on_escalate,
    Action.ACCEPT_ESCALATION: _on_accept_escalation,
    Action.REFUSE_ESCALATION: _on_refuse_escalation,
    Action.ESCALATE_CITY: _on_escalate_city,
    Action.CITY_FEEDBACK: _on_city_feedback,
    Action.SIGN_TIMEOUT: _on_return,
    Action.SUSPEND: _on_suspend,
    Action.RESUME: _on_resume,
    Action.ASK_EXTENSION: _on_ask_extension,
    Action.APPROVE_EXTENSION: _on_decide_extension,
    Action.REFUSE_EXTENSION: _on_decide_extension,
    Action.RULE: _on_rule,
    Action.MERGE: _on_merge,
}


def apply_action(session: Session, order: WorkOrder, action: Action, *, actor: User,
                 params: ActionRequest) -> OrderEvent:
    """Move ``order`` along the transition table and append its event.

    Raises IllegalAction (409) when the action is not open to this actor in this state,
    StaleOrder (409) when the order changed since the actor saw it, NoteRequired or
    InvalidInput (422) when the action lacks what it needs.
    """
    transition = states.find(order.status, action)
    if transition is None or not permissions.may_take(actor, order, transition):
        allowed = [t.action.value for t in permissions.allowed_actions(actor, order)]
        raise IllegalAction(order.number, action.value, order.status.value, allowed)
    if order.version != params.expected_version:
        raise StaleOrder(order.number, seen=params.expected_version, current=order.version)
    note = params.note
    if transition.note_label and not note.strip():
        raise NoteRequired(action.value, transition.note_label)
    payload = _check_params(session, order, action, actor, params)
    if action is Action.CALLBACK and not payload["reached"] and not payload["unreachable"]:
        # Its own row of the table, so the trail says what happened; the order stays waiting for the next try.
        action = Action.CALLBACK_UNREACHED
        unanswered = states.find(order.status, action)
        assert unanswered is not None  # the table has the row wherever CALLBACK is taken
        transition = unanswered
    return _move(Move(session, order, action, transition, actor, actor.full_name, note, payload, order.status,
                      clock.now(), params=params), expected_version=params.expected_version)


def apply_system_action(session: Session, order: WorkOrder, action: Action, *, by: str, note: str = "",
                        payload: dict[str, Any] | None = None, unit: Unit | None = None) -> OrderEvent:
    """A move the system makes itself — auto-dispatch, the sweep's sign time-out, the citizen's online
    rating — along a row of the table open to the system (``Transition.by_system``), with the same checks,
    signals and event as a person's. ``by`` names the system in the trail.

    Raises IllegalAction when no such row leaves the order's state.
    """
    transition = states.find(order.status, action)
    if transition is None or not transition.by_system:
        raise IllegalAction(order.number, action.value, order.status.value, [])
    return _move(Move(session, order, action, transition, None, by, note, dict(payload or {}), order.status,
                      clock.now(), unit=unit))


def _move(m: Move, *, expected_version: int | None = None) -> OrderEvent:
    """The one place a status changes: the handler's work, the closing clock, both signals, one event."""
    order = m.order
    order.status = m.transition.target
    order.updated_at = m.now
    HANDLERS[m.action](m)
    # A ruling on an archived order records without closing it again: the rates count it by its archive time.
    if m.transition.target in (Status.ARCHIVED, Status.VOIDED) and m.from_status is not m.transition.target:
        order.closed_at = m.now
    elif m.from_status is Status.VOIDED:
        order.closed_at = None

    moving = OrderMoving(m.session, order, m.action, m.actor, {**m.payload, **_deadline_payload(m.moved)})
    order_moving.send(moving)
    event = _append_event(m.session, order, m.action, actor=m.actor, from_status=m.from_status, note=m.note,
                          payload=moving.payload, anonymous_name=m.actor_name)
    try:
        m.session.flush()
    except StaleDataError as exc:
        raise StaleOrder(order.number, seen=expected_version, current=None) from exc
    order_moved.send(OrderChange(m.session, order, event))
    return event


# --- supervision: urging, notices and 督办 record on the order without moving it ------------------------
# They add to the session without flushing: the sweep records hundreds in one transaction, and one flush
# at its end writes them in a few statements.


def _check_supervisor(actor: User | None, order: WorkOrder) -> None:
    if order.status not in states.OPEN_STATUSES:
        raise InvalidInput("工单已办结或作废，无需催办、督办", code="order_closed")
    if actor is not None and not permissions.may_supervise(actor, order):
        raise Forbidden("只有指挥中心和领导可以催办、督办", code="not_a_supervisor")


def urge(session: Session, order: WorkOrder, *, actor: User | None, note: str,
         payload: dict[str, Any] | None = None) -> OrderEvent:
    """催办: a message to the unit that owns the order, in its trail. ``actor`` None: the sweep."""
    _check_supervisor(actor, order)
    if not note.strip():
        raise NoteRequired(Action.URGE.value, "催办内容")
    event = _append_event(session, order, Action.URGE, actor=actor, from_status=order.status, note=note,
                          payload={"unit_id": order.owner_unit_id, "unit_name": order.owner_unit.name,
                                   **(payload or {})}, anonymous_name=SWEEP_NAME)
    return event


def record(session: Session, order: WorkOrder, action: Action, *, actor: User | None, note: str = "",
           payload: dict[str, Any] | None = None) -> OrderEvent:
    """An event that records on the order without moving it (the domains above keep their own links to an
    order, such as its thread, in its trail). Raises ValueError for a lifecycle action."""
    if action in states.TRANSITION_ACTIONS or action is Action.CREATE:
        raise ValueError(f"{action} changes an order's status: use apply_action")
    event = _append_event(session, order, action, actor=actor, from_status=order.status, note=note,
                          payload=payload)
    session.flush()
    return event


def note_overdue(session: Session, order: WorkOrder, *, note: str, payload: dict[str, Any]) -> OrderEvent:
    """超期提醒 by the sweep: the owning unit's leader is told (the notification goes with the event)."""
    event = _append_event(session, order, Action.OVERDUE_NOTICE, actor=None, from_status=order.status, note=note,
                          payload={"unit_id": order.owner_unit_id, "unit_name": order.owner_unit.name, **payload},
                          anonymous_name=SWEEP_NAME)
    return event


def supervise(session: Session, order: WorkOrder, *, actor: User | None, note: str, due_at: datetime,
              payload: dict[str, Any] | None = None) -> OrderSupervision:
    """督办: a formal supervision with its own deadline. Raises InvalidInput for a deadline already past."""
    _check_supervisor(actor, order)
    if not note.strip():
        raise NoteRequired(Action.SUPERVISE.value, "督办事由")
    now = clock.now()
    if due_at <= now:
        raise field_error("due_at", "督办时限须晚于现在")
    supervision = OrderSupervision(order_id=order.id, reason=note, opened_by_id=actor.id if actor else None,
                                   opened_at=now, due_at=due_at)
    session.add(supervision)
    _append_event(session, order, Action.SUPERVISE, actor=actor, from_status=order.status, note=note,
                  payload={"unit_id": order.owner_unit_id, "unit_name": order.owner_unit.name,
                           "due_at": due_at.astimezone(clock.city_tz()).isoformat(), **(payload or {})},
                  anonymous_name=SWEEP_NAME)
    return supervision


def time_out_sign(session: Session, order: WorkOrder, *, note: str) -> OrderEvent:
    """An order nobody signed in time goes back to the dispatcher (by the sweep, along the state table).
    Raises IllegalAction when the order no longer waits for its signature."""
    return apply_system_action(session, order, Action.SIGN_TIMEOUT, by=SWEEP_NAME, note=note)


def rate_online(session: Session, order: WorkOrder, *, resolution: Resolution, satisfaction: Satisfaction,
                comment: str = "") -> OrderEvent:
    """网上直评: the citizen's own answer through a rating link closes the callback like a reviewer's call.

    The caller (evaluation.rating_links) has checked the link; this takes the transition table's RATE row.
    Raises IllegalAction when the order no longer waits for its callback.
    """
    payload: dict[str, Any] = {"reached": True, "resolution": resolution, "satisfaction": satisfaction,
                               "method": CallbackMethod.ONLINE, "attempt": order.callback_attempts + 1}
    return apply_system_action(session, order, Action.RATE, by=ONLINE_RATER, note=comment, payload=payload)


def attach_file(db: Database, number: str, *, actor: User, filename: str, stream: BinaryIO, root: Path,
                max_bytes: int) -> Attachment:
    """Keep a file with the order and note it in the trail.

    The file is written to disk before the write transaction, which then holds the (single SQLite)
    writer only for two inserts; if the transaction fails the file is removed again.
    Raises NotFound, Forbidden, TooLarge past ``max_bytes``, InvalidInput for a kind we do not keep.
    """
    with db.read() as session:
        _check_may_attach(actor, queries.get_visible(session, number, viewer=actor))
    stored = files.store(stream, root, max_bytes=max_bytes)
    try:
        with db.transaction() as session:
            order = queries.get_for_update(session, number, viewer=actor)
            return add_attachment(session, order, actor=actor, filename=filename, stored=stored)
    except BaseException:
        files.remove_stored(root, stored.storage_key)
        raise


def _check_may_attach(actor: User | None, order: WorkOrder) -> None:
    if actor is not None and not permissions.may_attach(actor, order):
        raise Forbidden("无权为此工单上传附件", code="attach_forbidden")


def add_attachment(session: Session, order: WorkOrder, *, actor: User | None, filename: str,
                   stored: files.StoredFile) -> Attachment:
    """Record a file already kept on disk as the order's attachment, with its trail entry."""
    _check_may_attach(actor, order)
    attachment = Attachment(order_id=order.id, filename=files.display_name(filename, stored),
                            content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                            storage_key=stored.storage_key, uploaded_by_id=actor.id if actor else None)
    session.add(attachment)
    session.flush()
    _append_event(session, order, Action.ATTACH, actor=actor, from_status=order.status,
                  note=attachment.filename, anonymous_name="市民",
                  payload={"attachment_id": attachment.id, "content_type": stored.content_type,
                           "size": stored.size})
    session.flush()
    return attachment


def reveal_phone(session: Session, order: WorkOrder, *, actor: User) -> str | None:
    """The citizen's full number, with a trail entry naming who saw it. Raises Forbidden."""
    if not permissions.may_unmask_phone(actor, order):
        raise Forbidden("无权查看此工单的完整电话", code="phone_confidential")
    _append_event(session, order, Action.VIEW_PHONE, actor=actor, from_status=order.status,
                  payload={"role": ROLE_LABELS[actor.role]})
    session.flush()
    return order.citizen_phone
