"""The time-limit sweep: what the clocks demand, done exactly once.

At yellow the handling unit is urged (催办); at red the unit's leader is told (超期提醒); after a while in
red a supervision (督办) is opened and the supervisors are told; an order nobody signed in time goes back
to the dispatcher. Each action is keyed by the deadline it acted on (``clock_actions``, unique), written in
the same transaction as the order's event — so two sweepers, a crash or a restart that missed an hour
never repeat one, and a catch-up does what the clocks say now, once (an order already red is not urged
for having been yellow an hour ago).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import DomainError
from minhu.deadlines.models import LIMIT_LABELS, LimitKind
from minhu.orders import service as order_service
from minhu.orders.lights import Light, due_column, in_light
from minhu.orders.models import WorkOrder
from minhu.supervision.models import ClockAction, SweepAction

log = logging.getLogger("minhu.sweep")


@dataclass(frozen=True)
class SweepPolicy:
    # How long an order stays red before a supervision (督办) is opened, and how long that supervision runs.
    supervise_after: timedelta = timedelta(hours=24)
    supervision_runs: timedelta = timedelta(days=2)
    batch: int = 500


@dataclass(frozen=True)
class Rule:
    action: SweepAction
    limit: LimitKind
    light: Light


# In this order: an order sent back for want of a signature has no other clock left to act on.
RULES = (
    Rule(SweepAction.SIGN_TIMEOUT, LimitKind.SIGN, Light.RED),
    Rule(SweepAction.SUPERVISE, LimitKind.FINISH, Light.RED),
    Rule(SweepAction.OVERDUE, LimitKind.FINISH, Light.RED),
    Rule(SweepAction.OVERDUE, LimitKind.RESPOND, Light.RED),
    Rule(SweepAction.URGE, LimitKind.FINISH, Light.YELLOW),
    Rule(SweepAction.URGE, LimitKind.RESPOND, Light.YELLOW),
    Rule(SweepAction.URGE, LimitKind.SIGN, Light.YELLOW),
)


@dataclass
class SweepResult:
    done: Counter[str] = field(default_factory=Counter)
    failed: int = 0

    def __str__(self) -> str:
        parts = [f"{key} {count}" for key, count in sorted(self.done.items())]
        return "，".join(parts) or "无到期动作"


def _due_now(rule: Rule, now: datetime, policy: SweepPolicy) -> ColumnElement[bool]:
    """WHERE the rule's action is due on an order and has not been taken for this deadline."""
    due = due_column(rule.limit)
    condition = in_light(rule.limit, rule.light, now)
    if rule.action is SweepAction.SUPERVISE:
        condition = and_(condition, due <= now - policy.supervise_after)
    taken = exists().where(ClockAction.order_id == WorkOrder.id, ClockAction.action == rule.action.value,
                           ClockAction.limit == rule.limit.value, ClockAction.due_at == due)
    return and_(condition, ~taken)


def _claim(session: Session, order_id: int, rule: Rule, due_at: datetime, now: datetime) -> bool:
    """Record the action for this deadline; False when another sweeper already has."""
    values = {"order_id": order_id, "action": rule.action.value, "limit": rule.limit.value, "due_at": due_at,
              "at": now}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(insert(ClockAction).values(values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _act(session: Session, order: WorkOrder, rule: Rule, due_at: datetime, policy: SweepPolicy,
         now: datetime) -> None:
    label = LIMIT_LABELS[rule.limit]
    shown = due_at.astimezone(clock.city_tz()).strftime("%Y-%m-%d %H:%M")
    payload = {"limit": rule.limit.value, "due_at": due_at.astimezone(clock.city_tz()).isoformat(), "auto": True}
    if rule.action is SweepAction.SIGN_TIMEOUT:
        order_service.time_out_sign(session, order,
                                    note=f"签收时限 {shown} 已过，{order.owner_unit.name} 未签收，退回派单员")
    elif rule.action is SweepAction.URGE:
        order_service.urge(session, order, actor=None, payload=payload,
                           note=f"{label}时限 {shown} 临近，请 {order.owner_unit.name} 抓紧办理")
    elif rule.action is SweepAction.OVERDUE:
        order_service.note_overdue(session, order, payload=payload,
                                   note=f"{label}时限 {shown} 已过，已告知 {order.owner_unit.name} 负责人")
    elif rule.action is SweepAction.SUPERVISE:
        hours = policy.supervise_after.total_seconds() / 3600
        order_service.supervise(session, order, actor=None, payload=payload, due_at=now + policy.supervision_runs,
                                note=f"{label}超期已逾 {hours:g} 小时，启动督办")


def _candidates(db: Database, rule: Rule, now: datetime, policy: SweepPolicy) -> Iterator[list[tuple[int, datetime]]]:
    """Batches of (order id, deadline) the rule must act on, in id order."""
    last_id = 0
    due = due_column(rule.limit)
    while True:
        with db.read() as session:
            rows = [(order_id, at) for order_id, at in session.execute(
                select(WorkOrder.id, due).where(_due_now(rule, now, policy), WorkOrder.id > last_id)
                .order_by(WorkOrder.id).limit(policy.batch)) if at is not None]
        if not rows:
            return
        last_id = rows[-1][0]
        yield rows


def sweep(db: Database, *, policy: SweepPolicy | None = None) -> SweepResult:
    """Take every action the clocks demand now. Safe to run from several processes at once."""
    now = clock.now()
    policy = policy or SweepPolicy()
    result = SweepResult()
    for rule in RULES:
        for batch in _candidates(db, rule, now, policy):
            with db.transaction() as session:
                for order_id, due_at in batch:
                    try:
                        with session.begin_nested():
                            order = session.get_one(WorkOrder, order_id, with_for_update={"of": WorkOrder})
                            # Re-read under the lock: a person may have moved the order since the query.
                            if getattr(order, f"{rule.limit.value}_due_at") != due_at or not session.scalar(
                                    select(true()).where(WorkOrder.id == order_id, _due_now(rule, now, policy))):
                                continue
                            if not _claim(session, order_id, rule, due_at, now):
                                continue
                            _act(session, order, rule, due_at, policy, now)
                            result.done[f"{rule.action.value}:{rule.limit.value}"] += 1
                    except (DomainError, SQLAlchemyError):
                        log.exception("sweep: %s on order %s failed", rule.action.value, order_id)
                        result.failed += 1
    return result
