"""Orders as a given viewer may see them: identity hidden or phone masked where the role requires."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, object_session

from minhu.core import clock
from minhu.core.security import mask_phone
from minhu.orders import permissions
from minhu.orders.lights import Light, lights_of
from minhu.orders.models import Attachment, OrderEvent, WorkOrder
from minhu.orders.queries import NAMED_NUMBER, public_steps
from minhu.orders.schemas import (
    AllowedAction,
    AttachmentRead,
    CallRead,
    EscalationRead,
    EventRead,
    ExtensionRead,
    LightRead,
    OrderBrief,
    OrderPlace,
    OrderRead,
    OrderTrack,
    RoutingRead,
    SuggestionRead,
    UnitBrief,
)
from minhu.orders.states import ACTION_LABELS, STATUS_LABELS, Action, Status
from minhu.org.models import Unit, User
from minhu.routing import service as routing
from minhu.routing.models import RoutingDecision

HIDDEN_NAME = "（匿名）"
# In a trail, in place of the number of an order the reader may not see (another unit's): it answers them 404.
UNSEEN_ORDER = "范围外的工单"


def unit_brief(unit: Unit) -> UnitBrief:
    return UnitBrief(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind.value)


def attachment_read(attachment: Attachment) -> AttachmentRead:
    return AttachmentRead(id=attachment.id, filename=attachment.filename, content_type=attachment.content_type,
                          size=attachment.size, url=f"/api/v1/attachments/{attachment.id}",
                          created_at=attachment.created_at)


def worst_light(order: WorkOrder) -> str | None:
    found = {light.light for light in lights_of(order, clock.now())}
    return next((light.value for light in (Light.RED, Light.YELLOW, Light.GREEN) if light in found), None)


# An order an inner unit returned to the street that dispatched it waits in the street's queue, not the centre's.
RETURNED_TO_STREET = "已退回街道"


def status_label(order: WorkOrder) -> str:
    if order.status is Status.RETURNED and order.sub_centre_id is not None:
        return RETURNED_TO_STREET
    return STATUS_LABELS[order.status]


def order_brief(order: WorkOrder) -> OrderBrief:
    return OrderBrief(number=order.number, status=order.status, status_label=status_label(order),
                      type=order.type, channel=order.channel, urgency=order.urgency, title=order.title,
                      address=order.address, owner_unit=unit_brief(order.owner_unit),
                      created_at=order.created_at, finish_due_at=order.finish_due_at, light=worst_light(order))


def order_place(order: WorkOrder) -> OrderPlace:
    located = order.location_source is not None
    return OrderPlace(street=unit_brief(order.street) if order.street else None,
                      community=unit_brief(order.community) if order.community else None,
                      grid=unit_brief(order.grid) if order.grid else None, source=order.location_source,
                      confidence=order.location_confidence,
                      inside=(order.place_unit_id is not None) if located else None)


def routing_read(decision: RoutingDecision | None) -> RoutingRead | None:
    if decision is None:
        return None
    owner = decision.suggested_owner
    return RoutingRead(suggestions=[SuggestionRead.model_validate(s) for s in decision.suggestions
                                    if float(s.get("confidence") or 0) >= routing.SHOWN_CONFIDENCE],
                       suggested_grade=decision.suggested_grade, grade_reasons=list(decision.grade_reasons),
                       suggested_owner=unit_brief(owner) if owner is not None else None,
                       owner_reason=decision.owner_reason, auto_dispatched=decision.auto_dispatched,
                       model_version=decision.model_version)


def _category_path(order: WorkOrder) -> str | None:
    """Every role reads what the order is (城乡建设 › 道路 › 非机动车道), not only its code."""
    session = object_session(order)
    if order.category_code is None or session is None:
        return None
    return routing.category_path(session, order.category_code)


def sees_routing(viewer: User) -> bool:
    """What routing suggested is the centre's working tool, not the handlers' business."""
    return permissions.is_centre(viewer)


def order_read(order: WorkOrder, viewer: User, decision: RoutingDecision | None = None, *,
               in_list: bool = False) -> OrderRead:
    """``in_list``: one row of many (the call-back queue), which shows the number masked even to those who see it
    on the order: the full number is for the order being worked, where its view is in the trail."""
    full_phone = permissions.sees_full_phone(viewer, order) and not in_list
    name = order.citizen_name if permissions.sees_identity(viewer, order) else (
        HIDDEN_NAME if order.citizen_name else None)
    phone = order.citizen_phone if full_phone else mask_phone(order.citizen_phone)
    allowed = [AllowedAction(action=t.action, label=ACTION_LABELS[t.action], note_label=t.note_label)
               for t in permissions.allowed_actions(viewer, order)]
    return OrderRead(
        **order_brief(order).model_dump(),
        content=order.content, citizen_name=name, citizen_phone=phone,
        phone_masked=bool(order.citizen_phone) and not full_phone, anonymous=order.anonymous,
        confidential=order.confidential, latitude=order.latitude, longitude=order.longitude, place=order_place(order),
        category_code=order.category_code, category_path=_category_path(order), grade=order.grade,
        updated_at=order.updated_at,
        accept_due_at=order.accept_due_at, replied_at=order.replied_at, closed_at=order.closed_at,
        reply_text=order.reply_text, resolution=order.resolution, satisfaction=order.satisfaction,
        ruling=order.ruling, ruling_reason=order.ruling_reason, duplicate_of_id=order.duplicate_of_id,
        callback_method=order.callback_method, callback_reached=order.callback_reached,
        callback_attempts=order.callback_attempts, unreachable=order.unreachable,
        version=order.version, allowed_actions=allowed, can_attach=permissions.may_attach(viewer, order),
        can_supervise=permissions.may_supervise(viewer, order),
        can_reveal_phone=bool(order.citizen_phone) and not full_phone and permissions.may_unmask_phone(viewer, order),
        routing=routing_read(decision) if sees_routing(viewer) else None,
        calls=[CallRead(unit_id=c.unit_id, unit_name=c.unit.name, called_at=c.called_at,
                        report_due_at=c.report_due_at, reported_at=c.reported_at, report=c.report, late=c.late)
               for c in order.calls],
        escalations=[EscalationRead(from_grade=e.from_grade, to_grade=e.to_grade, reason=e.reason,
                                    requested_unit=unit_brief(e.requested_unit), requested_at=e.requested_at,
                                    decided_at=e.decided_at, accepted=e.accepted, decision_note=e.decision_note)
                     for e in order.escalations],
        extensions=[ExtensionRead(reason=x.reason, requested_at=x.requested_at, old_due_at=x.old_due_at,
                                  new_due_at=x.new_due_at, decided_at=x.decided_at, approved=x.approved,
                                  decision_note=x.decision_note) for x in order.extensions],
        dispatched_at=order.dispatched_at, return_due_at=order.return_due_at,
        lights=[LightRead(limit=x.limit.value, label=x.label, due_at=x.due_at, light=x.light.value)
                for x in lights_of(order, clock.now())],
        deadlines_provisional=order.deadlines_provisional,
        attachments=[attachment_read(a) for a in order.attachments],
    )


def event_read(event: OrderEvent, *, unseen: frozenset[str] = frozenset()) -> EventRead:
    """One step of the trail; the ``unseen`` order numbers (``queries.unseen_in_trail``) are not named in it."""
    return EventRead(action=event.action, action_label=ACTION_LABELS[event.action],
                     from_status=event.from_status, to_status=event.to_status, actor_name=event.actor_name,
                     actor_role=event.actor_role.value if event.actor_role else None,
                     actor_unit_name=event.actor_unit_name, note=_unnamed(event.note, unseen),
                     payload=_unnamed(event.payload, unseen), at=event.at)


def _unnamed(value: Any, unseen: frozenset[str]) -> Any:
    """``value`` without the ``unseen`` orders: a candidate entry naming one dropped, a number in a text replaced."""
    if not unseen:
        return value
    if isinstance(value, str):
        return NAMED_NUMBER.sub(lambda m: UNSEEN_ORDER if m.group(0) in unseen else m.group(0), value)
    if isinstance(value, dict):
        return {key: _unnamed(item, unseen) for key, item in value.items()}
    if isinstance(value, list):
        return [_unnamed(item, unseen) for item in value
                if not (isinstance(item, dict) and item.get("number") in unseen)]
    return value


# The unit's reply reaches the resident once the centre has reviewed it, not while it may be sent back.
RESIDENT_VISIBLE_REPLY = frozenset({Status.REVIEWED, Status.CALLED_BACK, Status.ARCHIVED})


def _step(event: OrderEvent, *, of_matter: bool = False) -> tuple[datetime, str]:
    label = ACTION_LABELS[event.action] + (f"：{event.payload['unit_name']}" if "unit_name" in event.payload else "")
    return event.at, f"同一事项{label}" if of_matter else label


# What a resident reads for a joined order's own status: the staff's 已并入主件 says nothing to a citizen.
RESIDENT_JOINED_LABEL = "已合并办理"
# Of the main order's steps, those a resident of another report follows: not its registration, voiding or
# restoring (the main order's own story).
NOT_THE_MATTERS = frozenset({Action.CREATE, Action.VOID, Action.RESTORE, Action.MERGE, Action.UNMERGE})


def order_track(session: Session, order: WorkOrder) -> OrderTrack:
    """What the resident follows. A report joined to its matter's main order (一事多办) follows that order's
    handling: its steps since the join, without the main order's number or anyone's name."""
    own = public_steps(session, order)
    steps = [_step(e) for e in own]
    joined = order.status is Status.JOINED and order.duplicate_of_id is not None
    if joined:
        main = session.get_one(WorkOrder, order.duplicate_of_id)
        since = max((e.at for e in own if e.action is Action.MERGE), default=order.created_at)
        steps += [_step(e, of_matter=True) for e in public_steps(session, main)
                  if e.at > since and e.action not in NOT_THE_MATTERS]
        steps.sort(key=lambda step: step[0])
    return OrderTrack(number=order.number, status=order.status,
                      status_label=RESIDENT_JOINED_LABEL if joined else STATUS_LABELS[order.status],
                      title=order.title, created_at=order.created_at,
                      reply_text=order.reply_text if order.status in RESIDENT_VISIBLE_REPLY else None, steps=steps,
                      joined=joined)
