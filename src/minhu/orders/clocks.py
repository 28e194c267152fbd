"""The order's clocks: which limits start when, and their deadlines under the order's policy.

Accepting starts nothing new (the 受理 limit stops); creating starts 受理 (for orders that wait for it) and
the citizen's 办结 clock; each dispatch restarts the receiving unit's 签收, 响应 and 办结 clocks; the
centre's approval starts 回访. A policy line may set an urging point of its own (``urge_offset``, 5天催办 for a
3-day limit): it is kept beside the deadline and moves with it. With no policy loaded, intake keeps its
provisional limits (30 minutes to accept; 2 hours, a day or three days to finish by urgency) and nothing
turns yellow.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.deadlines import service as deadlines
from minhu.deadlines.models import LimitKind
from minhu.orders.enums import Urgency
from minhu.orders.models import WorkOrder
from minhu.routing import service as routing

ACCEPT_LIMIT = timedelta(minutes=30)
PROVISIONAL_FINISH_LIMITS: dict[Urgency, timedelta] = {
    Urgency.EMERGENCY: timedelta(hours=2),
    Urgency.URGENT: timedelta(hours=24),
    Urgency.NORMAL: timedelta(days=3),
}
# The limits a dispatch (re)starts for the unit that receives the order.
DISPATCH_LIMITS = (LimitKind.SIGN, LimitKind.RESPOND, LimitKind.FINISH)
# The limits whose urging point a policy line may set (the order has a ``<limit>_urge_at`` column).
URGED_LIMITS = frozenset({LimitKind.SIGN, LimitKind.RESPOND, LimitKind.FINISH})


def _limit_class(session: Session, category_code: str | None) -> str | None:
    category = routing.tables(session).categories.get(category_code) if category_code else None
    return category.limit_class.value if category is not None else None


def order_keys(session: Session, values: Mapping[str, Any]) -> dict[str, str | None]:
    """What the policy's lines are matched on, from an order's column values."""
    def value(name: str) -> str | None:
        raw = values.get(name)
        return None if raw is None else str(getattr(raw, "value", raw))
    return {"grade": value("grade"), "type": value("type"), "urgency": value("urgency"),
            "channel": value("channel"), "limit_class": _limit_class(session, values.get("category_code"))}


def creation_values(session: Session, values: Mapping[str, Any], *, waits_for_acceptance: bool,
                    now: datetime) -> dict[str, Any]:
    """The deadline columns of a new order (the caller inserts them with the rest)."""
    policy = deadlines.active_policy(session)
    urgency = Urgency(values["urgency"])
    result: dict[str, Any] = {
        "policy_id": policy.id if policy is not None else None, "deadlines_provisional": False,
        # Without a policy nothing turns yellow: the warning is the deadline itself (red still shows).
        "accept_due_at": now + ACCEPT_LIMIT if waits_for_acceptance else None,
        "accept_warn_at": now + ACCEPT_LIMIT if waits_for_acceptance else None,
        "finish_due_at": now + PROVISIONAL_FINISH_LIMITS[urgency],
        "finish_warn_at": now + PROVISIONAL_FINISH_LIMITS[urgency],
        **{f"{limit.value}_{edge}": None for limit in (LimitKind.SIGN, LimitKind.RESPOND, LimitKind.CALLBACK)
           for edge in ("due_at", "warn_at")},
        **{f"{limit.value}_urge_at": None for limit in URGED_LIMITS},
        "responded_at": None,
    }
    if policy is None:
        return result
    keys = order_keys(session, values)
    limits = [LimitKind.ACCEPT, LimitKind.FINISH] if waits_for_acceptance else [LimitKind.FINISH]
    for limit in limits:
        deadline = deadlines.compute(session, limit, now, keys, policy_id=policy.id)
        assert deadline is not None  # the policy exists and has a default line for every limit
        result[f"{limit.value}_due_at"], result[f"{limit.value}_warn_at"] = deadline.due_at, deadline.warn_at
        if limit in URGED_LIMITS:
            result[f"{limit.value}_urge_at"] = deadline.urge_at
        result["deadlines_provisional"] = result["deadlines_provisional"] or deadline.provisional
    return result


def move(session: Session, order: WorkOrder, limit: LimitKind, due: datetime | None,
         at: datetime) -> dict[str, list[str | None]]:
    """Set ``limit``'s deadline by hand (an extension, a suspension, a resumption); None stops it."""
    old = getattr(order, f"{limit.value}_due_at")
    setattr(order, f"{limit.value}_due_at", due)
    setattr(order, f"{limit.value}_warn_at",
            deadlines.warn_between(session, at, due, policy_id=order.policy_id) if due is not None else None)
    if limit in URGED_LIMITS:
        setattr(order, f"{limit.value}_urge_at", None if due is None else deadlines.urge_between(
            session, limit, at, due, _keys_of(session, order), policy_id=order.policy_id))
    return {limit.value: [_city_iso(old), _city_iso(due)]}


def suspend(session: Session, order: WorkOrder, at: datetime) -> dict[str, list[str | None]]:
    """Stop the 办结 clock, keeping the working time it had left."""
    due = order.finish_due_at
    order.suspended_at = at
    order.finish_left_minutes = deadlines.working_minutes_left(session, at, due) if due is not None else None
    return move(session, order, LimitKind.FINISH, None, at) if due is not None else {}


def resume(session: Session, order: WorkOrder, at: datetime) -> dict[str, list[str | None]]:
    """Restart the 办结 clock with the working time it had left when it stopped."""
    left = order.finish_left_minutes
    order.suspended_at, order.finish_left_minutes = None, None
    if left is None:
        return {}
    due = deadlines.after_working_minutes(session, at, left)
    order.deadlines_provisional = order.deadlines_provisional or due.provisional
    return move(session, order, LimitKind.FINISH, due.at, at)


def _keys_of(session: Session, order: WorkOrder) -> dict[str, str | None]:
    return order_keys(session, {c: getattr(order, c) for c in ("grade", "type", "urgency", "channel", "category_code")})


def _city_iso(instant: datetime | None) -> str | None:
    return instant.astimezone(clock.city_tz()).isoformat() if instant is not None else None


def start(session: Session, order: WorkOrder, limits: tuple[LimitKind, ...] | list[LimitKind],
          at: datetime) -> dict[str, list[str | None]]:
    """(Re)start ``limits`` on ``order`` from ``at``; returns {limit: [old deadline, new deadline]} for the
    trail, so no deadline ever moves without saying so. Orders created before any policy keep theirs."""
    keys = _keys_of(session, order)
    changes: dict[str, list[str | None]] = {}
    for limit in limits:
        deadline = deadlines.compute(session, limit, at, keys, policy_id=order.policy_id)
        if deadline is None:
            continue
        old = getattr(order, f"{limit.value}_due_at")
        setattr(order, f"{limit.value}_due_at", deadline.due_at)
        setattr(order, f"{limit.value}_warn_at", deadline.warn_at)
        if limit in URGED_LIMITS:
            setattr(order, f"{limit.value}_urge_at", deadline.urge_at)
        order.deadlines_provisional = order.deadlines_provisional or deadline.provisional
        if old != deadline.due_at:  # a restart that lands on the same instant moves nothing
            changes[limit.value] = [_city_iso(old), _city_iso(deadline.due_at)]
    return changes
