"""What the work-order domain announces; routing, deadlines and evaluation subscribe.

``order_placing``, ``order_moving`` and ``order_shown`` let a domain above orders add to what orders writes or
shows without orders importing it: receivers name the earlier order a new request repeats, add to the
payload of the event about to be written (it is append-only afterwards), or add a panel to the order page.
``order_noted`` announces the supervision records that leave the status as it is (催办, 超期提醒, 督办), and
``order_lit`` a light the time-limit sweep found turned yellow or red; like the others, receivers write in the
sender's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from minhu.core.signals import Signal
from minhu.deadlines.models import LimitKind
from minhu.orders.lights import Light
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.schemas import OrderCreate
from minhu.orders.states import Action
from minhu.org.models import User


@dataclass(frozen=True)
class OrderChange:
    session: Session
    order: WorkOrder
    event: OrderEvent


@dataclass(frozen=True)
class OrderMoving:
    """An action applied to ``order`` whose event is about to be written; ``payload`` is what it will keep.
    ``actor`` is None when the system moves the order itself (auto-dispatch, the sweep, a rating link)."""

    session: Session
    order: WorkOrder
    action: Action
    actor: User | None
    payload: dict[str, Any]


@dataclass
class OrderPlacing:
    """A request located and about to be routed at intake (its point and community as located, when found).
    A receiver that recognises it as the repeat of an earlier order the callback found unsolved names that order
    in ``repeat_of``, and routing raises the grade for it; one that finds earlier orders of the same matter
    lists them in ``duplicates`` (best first, as the creation event keeps them: number, score, reasons), and
    names the one the new order joins at once in ``join`` (its number), when it is sure. What a receiver writes
    with the new order, in its transaction, it appends to ``with_order``."""

    session: Session
    data: OrderCreate
    repeat_of: WorkOrder | None = None
    latitude: float | None = None
    longitude: float | None = None
    community_id: int | None = None
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    join: str | None = None
    with_order: list[Callable[[Session, WorkOrder], None]] = field(default_factory=list)


@dataclass(frozen=True)
class Panel:
    """A section another domain adds to the order page: its template, that template's data (``panel.context``),
    and the values it pre-fills in the page's action forms, ``{action: {field: value}}``."""

    template: str
    context: dict[str, Any]
    prefill: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderShown:
    """The order page being built for ``viewer``; receivers append to ``panels`` (and read the trail from
    ``events`` rather than query it again)."""

    session: Session
    order: WorkOrder
    viewer: User
    allowed: frozenset[Action]
    events: tuple[OrderEvent, ...] = ()  # the order's trail, oldest first, as the page read it
    panels: list[Panel] = field(default_factory=list)


@dataclass(frozen=True)
class LightChange:
    """The sweep found ``order``'s ``limit`` turned ``light`` (yellow or red) for the deadline ``due_at``."""

    session: Session
    order: WorkOrder
    limit: LimitKind
    light: Light
    due_at: datetime
    at: datetime


order_created: Signal[OrderChange] = Signal("order_created")
order_moved: Signal[OrderChange] = Signal("order_moved")
order_moving: Signal[OrderMoving] = Signal("order_moving")
order_shown: Signal[OrderShown] = Signal("order_shown")
order_noted: Signal[OrderChange] = Signal("order_noted")
order_lit: Signal[LightChange] = Signal("order_lit")
order_placing: Signal[OrderPlacing] = Signal("order_placing")
