"""What each action needs beyond its note — a unit to dispatch to, a reason to return, a date to extend
to, a callback's answer — checked before the order moves; each check returns the event's payload."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import Conflict, InvalidInput, field_error
from minhu.orders import callbacks, permissions, queries
from minhu.orders.enums import (
    RETURN_REASON_LABELS,
    RULING_LABELS,
    UNREASONABLE_KIND_LABELS,
    CallbackMethod,
    Grade,
    Ruling,
)
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import ActionRequest
from minhu.orders.states import Action, Status
from minhu.org import queries as org_queries
from minhu.org.models import Unit, User
from minhu.org.roles import DISPATCHABLE_KINDS
from minhu.routing import service as routing
from minhu.routing.models import GRADES, Category


def check_params(session: Session, order: WorkOrder, action: Action, actor: User,
                 params: ActionRequest) -> dict[str, Any]:
    """Validate what an action needs beyond its note; returns the event payload."""
    if action is Action.DISPATCH:
        if params.unit_id is None:
            raise field_error("unit_id", "派单须选择承办单位")
        unit = dispatchable(session, params.unit_id, "unit_id")
        payload: dict[str, Any] = {"unit_id": unit.id, "unit_name": unit.name}
        if params.category_code is not None:
            category = session.get(Category, params.category_code)
            if category is None or not category.active:
                raise field_error("category_code", f"分类 {params.category_code} 不存在" if category is None else
                                  f"分类“{category.name}”已停用，请选择其他分类", code="invalid_category")
            payload["category"] = category.code
            if category.code != order.category_code and params.grade is None:
                # Another category is another grade: the one intake would have given it, here.
                payload["grade"] = routing.assess(session, category, title=order.title, content=order.content,
                                                  street=order.street, community=order.community,
                                                  place=order.place_unit,
                                                  repeat_unsolved=queries.repeats_unsolved(session, order)).grade.grade
        if params.grade is not None:
            payload["grade"] = params.grade
        if payload.get("grade") == order.grade:
            del payload["grade"]  # the trail names a grade only when the dispatch changes it
        return payload
    if action is Action.INNER_DISPATCH:
        return _check_inner_dispatch(session, order, actor, params)
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


def _check_whistle(session: Session, order: WorkOrder, params: ActionRequest) -> dict[str, Any]:
    if not params.unit_ids:
        raise field_error("unit_ids", "请选择要吹哨调度的单位")
    already = {c.unit_id for c in order.calls if c.reported_at is None}
    units = []
    for unit_id in dict.fromkeys(params.unit_ids):
        unit = dispatchable(session, unit_id, "unit_ids")
        if unit.id == order.owner_unit_id:
            raise field_error("unit_ids", f"{unit.name} 是牵头单位，无需吹哨")
        if unit.id in already:
            raise field_error("unit_ids", f"{unit.name} 已被吹哨，尚未报到")
        units.append(unit)
    return {"units": [{"id": u.id, "name": u.name} for u in units]}


def _check_inner_dispatch(session: Session, order: WorkOrder, actor: User, params: ActionRequest) -> dict[str, Any]:
    """A street dispatches only to a unit inside it — an office, its enforcement centre, a community, a grid."""
    street = actor.unit
    if params.unit_id is None:
        raise field_error("unit_id", "内派须选择本街道的科室、执法中心、社区或网格")
    unit = dispatchable(session, params.unit_id, "unit_id")
    check_inner_unit(street, unit, order)
    return inner_dispatch_payload(street, unit)


def check_inner_unit(street: Unit, unit: Unit, order: WorkOrder) -> None:
    """Raises InvalidInput (field ``unit_id``) for a unit outside ``street``, the street itself, or the unit that
    holds the order already."""
    if unit.id == street.id or not unit.is_within(street):
        raise field_error("unit_id", f"{unit.name} 不属于{street.name}：街道只能内派给本街道的科室、执法中心、"
                          "社区或网格", code="unit_outside_street")
    if unit.id == order.owner_unit_id:
        raise field_error("unit_id", f"工单已在 {unit.name} 办理，请选择其他单位", code="invalid_unit")


def inner_dispatch_payload(street: Unit, unit: Unit) -> dict[str, Any]:
    return {"unit_id": unit.id, "unit_name": unit.name, "street_id": street.id, "street_name": street.name}


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


def _check_accept_escalation(session: Session, order: WorkOrder, actor: User,
                             params: ActionRequest) -> dict[str, Any]:
    """The unit that takes the order on: the street (or a unit of it) for B, a department chosen by the
    centre for C. D goes to the city by the centre's own action."""
    pending = order.pending_escalation
    assert pending is not None  # may_take checked it
    if pending.to_grade is Grade.D:
        raise InvalidInput("D 级事项请使用“上报市级”", code="use_escalate_city")
    if params.unit_id is None:
        street = org_queries.street_above(session, pending.requested_unit) if pending.to_grade is Grade.B else None
        if street is None:
            raise field_error("unit_id", "请选择升级后的承办单位")
        unit = street
    else:
        unit = dispatchable(session, params.unit_id, "unit_id")
        if not permissions.is_centre(actor) and not unit.is_within(actor.unit):
            raise field_error("unit_id", f"{unit.name} 不属于本街道，请选择本街道的科室或执法中心",
                              code="invalid_unit")
    return {"from_grade": pending.from_grade, "to_grade": pending.to_grade, "unit_id": unit.id,
            "unit_name": unit.name}


def dispatchable(session: Session, unit_id: int, field: str) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or unit.kind not in DISPATCHABLE_KINDS or not unit.active:
        raise field_error(field, f"承办单位 {unit_id} 不存在或不可派单", code="invalid_unit")
    return unit

