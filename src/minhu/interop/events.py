"""The events webhook subscribers receive, and the listeners that queue them.

Three families, each named ``order.…``:

- a status change, ``order.<action>`` (``order.create``, ``order.dispatch``, ``order.sign`` …): every row of
  the transition table, and the order's registration;
- a light the time-limit sweep found turned, ``order.light.yellow`` and ``order.light.red``;
- a supervision record, ``order.urge`` (催办), ``order.overdue_notice`` (超期提醒), ``order.supervise`` (督办),
  by a person or by the sweep.

The listeners run in the transaction of the change: the outbox rows commit with it or not at all, one per
active subscription whose filter takes the event, keyed by the event so a repeated sweep queues nothing new.
The payload names the order, its state, its category, grade and owner, and who acted: never the citizen's
name, phone or words, which a receiving system has no business holding.

Installed by ``app.create_app``, the worker and the tests' fixtures through ``install`` (idempotent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.deadlines.models import LIMIT_LABELS
from minhu.forwarding import queries as forwarding_queries
from minhu.notify import service as notify_service
from minhu.notify import templates as notify_templates
from minhu.orders.lights import LIGHT_LABELS, Light
from minhu.orders.models import WorkOrder
from minhu.orders.signals import LightChange, OrderChange, order_created, order_lit, order_moved, order_noted
from minhu.orders.states import ACTION_LABELS, STATUS_LABELS, TRANSITION_ACTIONS, Action
from minhu.routing.models import Category

SUPERVISION_ACTIONS = (Action.URGE, Action.OVERDUE_NOTICE, Action.SUPERVISE)


def event_name(action: Action) -> str:
    return f"order.{action.value}"


def light_event_name(light: Light) -> str:
    return f"order.light.{light.value}"


# Every event a subscription may ask for, by family, with its zh-CN label (the page's choices and the docs).
STATUS_EVENTS: dict[str, str] = {event_name(a): ACTION_LABELS[a] for a in Action
                                 if a in TRANSITION_ACTIONS or a is Action.CREATE}
LIGHT_EVENTS: dict[str, str] = {light_event_name(light): f"亮{'黄' if light is Light.YELLOW else '红'}灯（"
                                f"{LIGHT_LABELS[light]}）" for light in (Light.YELLOW, Light.RED)}
SUPERVISION_EVENTS: dict[str, str] = {event_name(a): ACTION_LABELS[a] for a in SUPERVISION_ACTIONS}
EVENT_GROUPS: tuple[tuple[str, dict[str, str]], ...] = (
    ("工单状态变化", STATUS_EVENTS), ("时限灯", LIGHT_EVENTS), ("催办、督办", SUPERVISION_EVENTS))
EVENT_LABELS: dict[str, str] = {"*": "全部事件", "order.*": "全部工单事件", "order.light.*": "全部时限灯",
                                notify_service.TEST_EVENT: "测试事件", **STATUS_EVENTS, **LIGHT_EVENTS,
                                **SUPERVISION_EVENTS}


def order_payload(session: Session, order: WorkOrder, *, event_id: str, event: str,
                  actor: str | None) -> dict[str, Any]:
    """What every event says of its order: where it stands and who holds it, with a link to its page."""
    category = session.get(Category, order.category_code) if order.category_code else None
    owner = order.owner_unit
    return {
        "event_id": event_id, "event": event, "order_number": order.number,
        "status": order.status.value, "status_label": STATUS_LABELS[order.status],
        "grade": order.grade.value if order.grade is not None else None,
        "category": {"code": category.code, "name": category.name} if category is not None else None,
        "owner_unit": {"code": owner.code, "name": owner.name},
        "actor": actor,
        "url": f"{notify_templates.site_url()}/orders/{order.number}",
    }


def _queue(session: Session, order: WorkOrder, *, event: str, event_id: str, occurred_at: datetime,
           actor: str | None, extra: dict[str, Any]) -> None:
    payload = {**order_payload(session, order, event_id=event_id, event=event, actor=actor), **extra}
    # Which system forwarded the order is asked only when a subscription is bound to one.
    bound = any(s.system_id is not None for s in notify_service.subscribers_to(session, event))
    notify_service.enqueue_webhook(session, event=event, payload=payload, dedupe_key=event_id, order_id=order.id,
                                   occurred_at=occurred_at,
                                   forwarded=forwarding_queries.source_of(session, order.id) if bound else None)


def _order_event(change: OrderChange) -> None:
    """A status change, the registration, or a supervision record of ``change.event``."""
    session, order, event = change.session, change.order, change.event
    name = event_name(event.action)
    if name not in STATUS_EVENTS and name not in SUPERVISION_EVENTS:
        return
    if not notify_service.subscribers_to(session, name):
        return  # nothing to build: most deployments subscribe to nothing
    if event in session.new:  # supervision records are written at the caller's next flush: the id is needed now
        session.flush()
    extra: dict[str, Any] = {"action": event.action.value, "action_label": ACTION_LABELS[event.action],
                             "from_status": event.from_status.value if event.from_status is not None else None}
    if event.action in SUPERVISION_ACTIONS:
        extra["auto"] = event.actor_id is None  # by the time-limit sweep
        if event.action is Action.SUPERVISE:
            extra["due_at"] = (event.payload or {}).get("due_at")
    _queue(session, order, event=name, event_id=f"order-event:{event.id}", occurred_at=event.at,
           actor=event.actor_name, extra=extra)


def _light(change: LightChange) -> None:
    name = light_event_name(change.light)
    if not notify_service.subscribers_to(change.session, name):
        return
    # Keyed by the deadline: a light turns once per deadline, however often the sweep runs.
    event_id = (f"order-light:{change.order.id}:{change.limit.value}:{change.light.value}:"
                f"{int(change.due_at.timestamp())}")
    _queue(change.session, change.order, event=name, event_id=event_id, occurred_at=change.at, actor=None,
           extra={"light": change.light.value, "limit": change.limit.value, "limit_label": LIMIT_LABELS[change.limit],
                  "due_at": change.due_at.astimezone(clock.city_tz()).isoformat()})


def install() -> None:
    order_created.connect(_order_event)
    order_moved.connect(_order_event)
    order_noted.connect(_order_event)
    order_lit.connect(_light)


def uninstall() -> None:
    order_created.disconnect(_order_event)
    order_moved.disconnect(_order_event)
    order_noted.disconnect(_order_event)
    order_lit.disconnect(_light)
