"""Personal data: a citizen's full phone number, and a trail entry naming each person who saw it.

Handlers reveal it on purpose (查看完整号码), one entry a reveal. The centre's call-back roles see it with the order
(their work is calling citizens back): the first time each of them opens an order on a day leaves the entry,
so the trail names everyone who read the number without a write for every page view.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.outages import is_unavailable
from minhu.guard import service as guard
from minhu.orders import permissions, trail
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action
from minhu.org.models import User
from minhu.org.roles import ROLE_LABELS

log = logging.getLogger(__name__)


def reveal_phone(session: Session, order: WorkOrder, *, actor: User) -> str | None:
    """The citizen's full number, with a trail entry naming who saw it. Raises Forbidden (``phone_forbidden``,
    ``phone_confidential``), TooManyRequests past the hourly allowance of one account (``guard.PHONE_REVEAL``).
    An order without a phone reveals nothing and leaves no entry."""
    permissions.check_unmask_phone(actor, order)
    if not order.citizen_phone:
        return None
    guard.take(session, guard.PHONE_REVEAL, f"user:{actor.id}")
    trail.append_event(session, order, Action.VIEW_PHONE, actor=actor, from_status=order.status,
                  payload={"role": ROLE_LABELS[actor.role]})
    session.flush()
    return order.citizen_phone


def note_phone_shown(db: Database, order: WorkOrder, *, viewer: User) -> None:
    """Put in the trail that ``viewer`` was shown ``order``'s full number by their role (the order page, the API's
    order, the call-back sheet) — once a day per person and order; the person who registered the order that day
    typed the number and has it already. Nothing for a masked number or none.

    The page has been read when this runs: if the database takes no writes now (another process holds SQLite's
    file, PostgreSQL is going away), the page is still shown and the entry goes to the server's log instead."""
    if not order.citizen_phone or not permissions.sees_full_phone(viewer, order):
        return
    since = _city_day_start()
    seen_today = exists().where(OrderEvent.order_id == order.id,
                                OrderEvent.action.in_((Action.VIEW_PHONE, Action.CREATE)),
                                OrderEvent.actor_id == viewer.id, OrderEvent.at >= since)
    try:
        with db.read() as session:
            if session.scalar(select(seen_today)):
                return
        with db.transaction() as session:
            if session.scalar(select(seen_today)):  # another tab of the same person, a moment ago
                return
            held = session.get_one(WorkOrder, order.id)
            trail.append_event(session, held, Action.VIEW_PHONE, actor=viewer, from_status=held.status,
                               note="按岗位查看完整电话", payload={"role": ROLE_LABELS[viewer.role], "by_role": True})
    except SQLAlchemyError as error:
        if not is_unavailable(error):
            raise
        log.warning("查看完整电话未能记入留痕（数据库暂不可写）：工单 %s，查看人 %s（%s，id %s）", order.number,
                    viewer.full_name, ROLE_LABELS[viewer.role], viewer.id)


def _city_day_start() -> datetime:
    local = clock.city_now()
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
