"""Who is told: a unit's leaders from the org directory, and the supervisors on duty from the roster."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.notify.models import DutyShift
from minhu.org import queries as org_queries
from minhu.org.models import Unit, User
from minhu.org.roles import Role

log = logging.getLogger("minhu.notify")


def _unit_ids_upwards(unit: Unit) -> list[int]:
    """``unit`` and its ancestors, nearest first (read from the materialised path ``/1/4/17/``)."""
    return [int(part) for part in reversed(unit.path.strip("/").split("/")) if part]


def leaders_of(session: Session, unit: Unit) -> list[User]:
    """The active leaders (Role.LEADER) of ``unit``; when it has none, those of the nearest unit above
    that has one. Empty when no unit up to the top has an active leader."""
    ids = _unit_ids_upwards(unit) or [unit.id]
    leaders = session.scalars(select(User).where(User.role == Role.LEADER.value, User.active.is_(True),
                                                 User.unit_id.in_(ids)).order_by(User.id)).all()
    for unit_id in ids:
        here = [user for user in leaders if user.unit_id == unit_id]
        if here:
            return here
    return []


def rostered_at(session: Session, at: datetime) -> list[User]:
    """The active users whose duty shift covers ``at`` (from inclusive, to exclusive)."""
    users = session.scalars(select(User).join(DutyShift, DutyShift.user_id == User.id)
                            .where(DutyShift.starts_at <= at, DutyShift.ends_at > at, User.active.is_(True))
                            .order_by(User.id)).unique().all()
    return list(dict.fromkeys(users))


def on_duty(session: Session, at: datetime) -> tuple[list[User], bool]:
    """Who supervises at ``at``, and whether they are rostered (False: the top unit's leaders stand in)."""
    rostered = rostered_at(session, at)
    if rostered:
        return rostered, True
    root = org_queries.find_root(session)
    return (leaders_of(session, root) if root is not None else []), False


def supervisors_on_duty(session: Session, at: datetime) -> list[User]:
    """The supervisors rostered on duty at ``at``; when nobody is, the leaders of the top unit (and a
    warning in the log saying so, since supervision then reaches people who did not sign up for it)."""
    users, rostered = on_duty(session, at)
    if not rostered:
        log.warning("nobody is on the duty roster at %s: supervision goes to the leaders of the top unit (%s)",
                    at.isoformat(), ", ".join(f"{user.full_name} of {user.unit.name}" for user in users) or "nobody")
    return users
