"""Who is told when a clock demands it, and with which template: the handling unit's people at yellow
(催办, or at the policy's urging point, which may fall after the deadline), the unit's leader at red (超期提醒),
the supervisors on duty for 督办, the centre's dispatchers when an order nobody signed comes back or when an
order waits past its acceptance limit (受理超时). Written to the outbox in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.deadlines.models import LimitKind
from minhu.notify import recipients
from minhu.notify import service as outbox
from minhu.orders.models import WorkOrder
from minhu.org import queries as org_queries
from minhu.org.models import Unit, User
from minhu.org.roles import Role
from minhu.supervision.models import SweepAction

TEMPLATES = {SweepAction.URGE: "order.urge", SweepAction.OVERDUE: "order.red",
             SweepAction.SUPERVISE: "order.supervise", SweepAction.SIGN_TIMEOUT: "order.returned_to_dispatcher"}
# An urge on the acceptance limit goes to the centre; an urge once the deadline has passed says so.
ACCEPT_URGE_TEMPLATE = "order.accept_urge"
LATE_URGE_TEMPLATE = "order.urge_overdue"
HANDLING_ROLES = (Role.HANDLER, Role.GRIDWORKER)
# A person's 催办 and 督办 say who wrote what; a leader's instruction is a 批示.
BY_HAND_TEMPLATES = {SweepAction.URGE: "order.urged", SweepAction.SUPERVISE: "order.supervised"}
LEADER_HEADING = "领导批示"


def template_for(action: SweepAction, limit: LimitKind | None = None, *, late: bool = False) -> str:
    if action is SweepAction.URGE and limit is LimitKind.ACCEPT:
        return ACCEPT_URGE_TEMPLATE
    if action is SweepAction.URGE and late:
        return LATE_URGE_TEMPLATE
    return TEMPLATES[action]


def _people(session: Session, unit: Unit, roles: Sequence[Role]) -> list[User]:
    return list(session.scalars(select(User).where(User.unit_id == unit.id, User.active.is_(True),
                                                   User.role.in_([r.value for r in roles]))))


def recipients_for(session: Session, order: WorkOrder, action: SweepAction, at: datetime,
                   limit: LimitKind | None = None) -> list[User]:
    """Looked up once per unit and action in a session: a sweep tells the same people about many orders."""
    cache: dict[tuple[SweepAction, int | None, bool], list[User]] = session.info.setdefault("sweep_recipients", {})
    accept = limit is LimitKind.ACCEPT
    key = (action, order.owner_unit_id if action in (SweepAction.URGE, SweepAction.OVERDUE) else None, accept)
    if key not in cache:
        cache[key] = _recipients_for(session, order, action, at, accept=accept)
    return cache[key]


def _centre_dispatchers(session: Session, order: WorkOrder) -> list[User]:
    """The dispatchers of the centre holding the order, else of the topmost centre."""
    people = _people(session, order.owner_unit, (Role.DISPATCHER,))
    if people:
        return people
    centre = org_queries.find_centre(session)
    return _people(session, centre, (Role.DISPATCHER,)) if centre is not None else []


def _recipients_for(session: Session, order: WorkOrder, action: SweepAction, at: datetime, *,
                    accept: bool = False) -> list[User]:
    if action is SweepAction.URGE and accept:
        return _centre_dispatchers(session, order)
    if action is SweepAction.URGE:
        return _people(session, order.owner_unit, HANDLING_ROLES)
    if action is SweepAction.OVERDUE:
        return recipients.leaders_of(session, order.owner_unit)
    if action is SweepAction.SUPERVISE:
        return recipients.supervisors_on_duty(session, at)
    centre = org_queries.find_centre(session)
    return _people(session, centre, (Role.DISPATCHER,)) if centre is not None else []


def notify(session: Session, order: WorkOrder, action: SweepAction, *, due_at: datetime, at: datetime,
           dedupe_key: str | None, limit: LimitKind | None = None) -> int:
    """Queue the action's message for its recipients (before the action moves the order: the unit named is
    the one that held it). Returns how many messages were queued."""
    context = {"order_number": order.number, "order_title": order.title, "unit_name": order.owner_unit.name,
               "deadline": due_at, "dispatched_at": order.dispatched_at or due_at}
    return outbox.enqueue(session, template=template_for(action, limit, late=due_at <= at), context=context,
                          recipients=recipients_for(session, order, action, at, limit), order_id=order.id,
                          dedupe_key=dedupe_key)


def notify_by_hand(session: Session, order: WorkOrder, action: SweepAction, *, actor: User, note: str,
                   due_at: datetime | None = None) -> int:
    """A person's 催办 reaches the handling unit's people; a person's 督办 (until ``due_at``), the unit's leaders.
    Either carries the person's name and words, not the sweep's text; a leader's is headed 领导批示."""
    urging = action is SweepAction.URGE
    people = (_people(session, order.owner_unit, HANDLING_ROLES) if urging
              else recipients.leaders_of(session, order.owner_unit))
    heading = LEADER_HEADING if actor.role is Role.LEADER else ("催办" if urging else "督办")
    deadline = order.finish_due_at if urging else due_at
    context = {"heading": heading, "author": actor.full_name, "note": note.strip(), "order_number": order.number,
               "order_title": order.title, "unit_name": order.owner_unit.name,
               "deadline": deadline if deadline is not None else "未设定"}
    return outbox.enqueue(session, template=BY_HAND_TEMPLATES[action], context=context, recipients=people,
                          order_id=order.id)
