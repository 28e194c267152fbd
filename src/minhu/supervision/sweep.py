"""The time-limit sweep: what the clocks demand, done exactly once.

At yellow the handling unit is urged (催办) — or at the urging point its policy line sets, which may fall
after the deadline (3天办结、5天催办: urged two working days after a three-day limit, red or not); an order
still waiting for acceptance past its 受理 limit is urged on the centre's dispatchers; at red the unit's
leader is told (超期提醒); after a while in red a supervision (督办) is opened and the supervisors are told;
an order nobody signed in time goes back to the dispatcher. Each action is keyed by the deadline it acted on
(``clock_actions``, unique), written in the same transaction as the order's event — so two sweepers, a
crash or a restart that missed an hour never repeat one, and a catch-up does what the clocks say now, once
(an order already red is not urged for having been yellow an hour ago).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, Session, lazyload

from minhu.core import clock
from minhu.core.db import Database, conflict_insert
from minhu.core.errors import DomainError
from minhu.deadlines.models import LIMIT_LABELS, LimitKind
from minhu.orders import service as order_service
from minhu.orders.clocks import URGED_LIMITS
from minhu.orders.lights import Light, due_column, in_light, lights_of, running, warn_column
from minhu.orders.models import WorkOrder
from minhu.orders.signals import LightChange, order_lit
from minhu.supervision import alerts
from minhu.supervision.models import ClockAction, SweepAction, SweepMark

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

    @property
    def key(self) -> str:
        return f"{self.action.value}:{self.limit.value}"

    @property
    def at_urging_point(self) -> bool:
        """An urge that follows the order's urging point (``<limit>_urge_at``) where its policy line set one."""
        return self.action is SweepAction.URGE and self.limit in URGED_LIMITS


def urge_column(limit: LimitKind) -> InstrumentedAttribute[datetime | None]:
    column: InstrumentedAttribute[datetime | None] = getattr(WorkOrder, f"{limit.value}_urge_at")
    return column


# In this order: an order sent back for want of a signature has no other clock left to act on.
RULES = (
    Rule(SweepAction.SIGN_TIMEOUT, LimitKind.SIGN, Light.RED),
    Rule(SweepAction.URGE, LimitKind.ACCEPT, Light.RED),
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


def _moment(rule: Rule, policy: SweepPolicy) -> tuple[InstrumentedAttribute[datetime | None], timedelta]:
    """The instant whose passing makes the rule's action due, and how long after it."""
    if rule.light is Light.YELLOW:
        return warn_column(rule.limit), timedelta()
    lag = policy.supervise_after if rule.action is SweepAction.SUPERVISE else timedelta()
    return due_column(rule.limit), lag


def _urge_due(rule: Rule, now: datetime, since: datetime | None) -> ColumnElement[bool]:
    """WHERE an urge is due: at yellow where the order has no urging point of its own (as the light says), else
    once its urging point has passed — before the deadline only while the order is not yet red (a catch-up
    does not urge what is already late), at or after the deadline whatever the light."""
    due, warn, urge = due_column(rule.limit), warn_column(rule.limit), urge_column(rule.limit)
    at_yellow = and_(urge.is_(None), in_light(rule.limit, Light.YELLOW, now))
    at_point = and_(running(rule.limit), urge.is_not(None), urge <= now, or_(due > now, urge >= due))
    if since is not None:
        at_yellow, at_point = and_(at_yellow, warn > since), and_(at_point, urge > since)
    return or_(at_yellow, at_point)


def _due_now(rule: Rule, now: datetime, policy: SweepPolicy, since: datetime | None = None) -> ColumnElement[bool]:
    """WHERE the rule's action is due on an order and has not been taken for this deadline; with ``since``,
    only where the moment that made it due passed after ``since`` (what changed since the last sweep)."""
    due = due_column(rule.limit)
    if rule.at_urging_point:
        condition = _urge_due(rule, now, since)
    else:
        moment, lag = _moment(rule, policy)
        condition = and_(in_light(rule.limit, rule.light, now), moment <= now - lag)
        if since is not None:
            condition = and_(condition, moment > since - lag)
    taken = exists().where(ClockAction.order_id == WorkOrder.id, ClockAction.action == rule.action.value,
                           ClockAction.limit == rule.limit.value, ClockAction.due_at == due)
    return and_(condition, ~taken)


def _still_due(order: WorkOrder, rule: Rule, due_at: datetime, now: datetime, policy: SweepPolicy) -> bool:
    """The same test as ``_due_now`` on the locked row: a person may have moved the order since the query."""
    if getattr(order, f"{rule.limit.value}_due_at") != due_at:
        return False
    lights = {x.limit: x.light for x in lights_of(order, now)}
    urge = getattr(order, f"{rule.limit.value}_urge_at") if rule.at_urging_point else None
    if urge is not None:
        return rule.limit in lights and urge <= now and (due_at > now or urge >= due_at)
    if lights.get(rule.limit) is not rule.light:
        return False
    return rule.action is not SweepAction.SUPERVISE or due_at <= now - policy.supervise_after


def _claim(session: Session, rule: Rule, due: list[tuple[int, datetime]], now: datetime) -> set[int]:
    """Record the action for these (order, deadline) pairs; returns the orders this sweeper claimed — not
    those another sweeper already has."""
    if not due:
        return set()
    rows = [{"order_id": order_id, "action": rule.action.value, "limit": rule.limit.value, "due_at": due_at,
             "at": now} for order_id, due_at in due]
    statement = (conflict_insert(session, ClockAction).values(rows).on_conflict_do_nothing()
                 .returning(ClockAction.order_id))
    return set(session.scalars(statement))


def _act(session: Session, order: WorkOrder, rule: Rule, due_at: datetime, policy: SweepPolicy,
         now: datetime) -> None:
    """The order's event, and the notifications that go with it, in the same transaction."""
    # A supervision acts on a light already announced; an urge at a policy's own urging point is no light.
    own_point = rule.at_urging_point and getattr(order, f"{rule.limit.value}_urge_at") is not None
    if rule.action is not SweepAction.SUPERVISE and not own_point:
        order_lit.send(LightChange(session, order, rule.limit, rule.light, due_at, now))
    alerts.notify(session, order, rule.action, due_at=due_at, at=now, limit=rule.limit,
                  dedupe_key=f"sweep:{rule.key}:{order.id}:{due_at.isoformat()}")
    label = LIMIT_LABELS[rule.limit]
    shown = due_at.astimezone(clock.city_tz()).strftime("%Y-%m-%d %H:%M")
    payload = {"limit": rule.limit.value, "due_at": due_at.astimezone(clock.city_tz()).isoformat(), "auto": True}
    if rule.action is SweepAction.SIGN_TIMEOUT:
        order_service.time_out_sign(session, order,
                                    note=f"签收时限 {shown} 已过，{order.owner_unit.name} 未签收，退回派单员")
    elif rule.action is SweepAction.URGE and rule.limit is LimitKind.ACCEPT:
        order_service.urge(session, order, actor=None, payload=payload,
                           note=f"受理时限 {shown} 已过，工单仍未受理，请{order.owner_unit.name}尽快受理")
    elif rule.action is SweepAction.URGE and due_at <= now:
        order_service.urge(session, order, actor=None, payload=payload,
                           note=f"{label}时限 {shown} 已过仍未{label}，请 {order.owner_unit.name} 立即办理")
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


def _candidates(db: Database, rule: Rule, now: datetime, policy: SweepPolicy,
                since: datetime | None) -> Iterator[list[tuple[int, datetime]]]:
    """Batches of (order id, deadline) the rule must act on, in id order."""
    last_id = 0
    due = due_column(rule.limit)
    while True:
        with db.read() as session:
            rows = [(order_id, at) for order_id, at in session.execute(
                select(WorkOrder.id, due).where(_due_now(rule, now, policy, since), WorkOrder.id > last_id)
                .order_by(WorkOrder.id).limit(policy.batch)) if at is not None]
        if not rows:
            return
        last_id = rows[-1][0]
        yield rows


def _locked(session: Session, ids: list[int]) -> dict[int, WorkOrder]:
    """The batch's orders, locked on PostgreSQL until commit (SQLite's one writer locks them all)."""
    statement = (select(WorkOrder).where(WorkOrder.id.in_(ids))
                 # The sweep needs the owner, not where the order stands nor its calls and requests.
                 .options(lazyload(WorkOrder.street), lazyload(WorkOrder.community), lazyload(WorkOrder.grid),
                          lazyload(WorkOrder.calls), lazyload(WorkOrder.escalations), lazyload(WorkOrder.extensions)))
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(of=WorkOrder)
    return {order.id: order for order in session.scalars(statement)}


def _act_on_batch(db: Database, rule: Rule, batch: list[tuple[int, datetime]], now: datetime,
                  policy: SweepPolicy, result: SweepResult) -> int:
    """Claim and act on a batch in one transaction; returns how many orders failed (all of the batch when
    an action fails: its claims roll back with it, and the next pass tries again)."""
    done = 0
    try:
        with db.transaction() as session:
            orders = _locked(session, [order_id for order_id, _ in batch])
            due = [(order_id, due_at) for order_id, due_at in batch
                   if order_id in orders and _still_due(orders[order_id], rule, due_at, now, policy)]
            claimed = _claim(session, rule, due, now)
            for order_id, due_at in due:
                if order_id in claimed:
                    _act(session, orders[order_id], rule, due_at, policy, now)
                    done += 1
    except (DomainError, SQLAlchemyError):
        log.exception("sweep: %s on a batch of %d orders failed", rule.key, len(batch))
        return len(batch)
    result.done[rule.key] += done
    return 0


def sweep_job(policy: SweepPolicy) -> Callable[[Database], None]:
    """The worker's job: one sweep, logged when it did something."""
    def run(db: Database) -> None:
        result = sweep(db, policy=policy)
        if result.done or result.failed:
            log.info("sweep: %s%s", result, f"; {result.failed} failed" if result.failed else "")
    return run


def sweep(db: Database, *, policy: SweepPolicy | None = None) -> SweepResult:
    """Take every action the clocks demand now. Safe to run from several processes at once."""
    now = clock.now()
    policy = policy or SweepPolicy()
    result = SweepResult()
    with db.read() as session:
        marks = {m.rule: m.swept_until for m in session.scalars(select(SweepMark))}
    for rule in RULES:
        failed = 0
        for batch in _candidates(db, rule, now, policy, marks.get(rule.key)):
            failed += _act_on_batch(db, rule, batch, now, policy, result)
        result.failed += failed
        if not failed:  # a failed order is looked at again by the next pass
            _advance_mark(db, rule, now)
    return result


def _advance_mark(db: Database, rule: Rule, now: datetime) -> None:
    """Record that ``rule`` has been swept up to ``now`` — never moving the mark back, and without a
    conflict when another sweeper records the same rule at the same moment."""
    with db.transaction() as session:
        session.execute(conflict_insert(session, SweepMark).values(rule=rule.key, swept_until=now)
                        .on_conflict_do_nothing())
        session.execute(update(SweepMark).where(SweepMark.rule == rule.key, SweepMark.swept_until < now)
                        .values(swept_until=now))
