"""Who is told of a new warning, and with what: the street's handlers and leaders, through the outbox, in the
scan's transaction, with the orders behind it listed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.notify import service as outbox
from minhu.orders.models import WorkOrder
from minhu.org.models import Unit, User
from minhu.org.roles import Role, UnitKind
from minhu.routing.models import Category
from minhu.warning.models import EarlyWarning

TEMPLATE = "warning.raised"
TOLD_ROLES = (Role.HANDLER, Role.LEADER)
LISTED_ORDERS = 20  # a message names this many orders; the page shows them all


def street_of(session: Session, unit_id: int) -> Unit | None:
    """The street a unit stands in (itself when it is one), from its path."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        return None
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    return session.scalars(select(Unit).where(Unit.id.in_(ids), Unit.kind == UnitKind.STREET.value)).first()


def category_name(session: Session, code: str) -> str:
    category = session.get(Category, code)
    return category.name if category is not None else code


def recipients(session: Session, street: Unit | None) -> list[User]:
    if street is None:
        return []
    return list(session.scalars(select(User).where(User.unit_id == street.id, User.active.is_(True),
                                                   User.role.in_([r.value for r in TOLD_ROLES]))
                                .order_by(User.id)))


def notify_raised(session: Session, warning: EarlyWarning, street: Unit | None) -> int:
    """Queue the warning's message to its street's people; returns how many messages were queued."""
    community = session.get_one(Unit, warning.community_id)
    orders = session.execute(select(WorkOrder.number, WorkOrder.title).where(
        WorkOrder.id.in_(warning.order_ids[:LISTED_ORDERS])).order_by(WorkOrder.created_at, WorkOrder.id)).all()
    listed = "\n".join(f"{number}「{title}」" for number, title in orders)
    if len(warning.order_ids) > LISTED_ORDERS:
        listed += f"\n……共 {len(warning.order_ids)} 件"
    context = {"warning_id": warning.id, "street_name": street.name if street is not None else "",
               "community_name": community.name, "category_name": category_name(session, warning.category_code),
               "week": warning.week_start.isoformat(), "observed": warning.observed,
               "expected": f"{warning.expected:.1f}", "orders": listed}
    return outbox.enqueue(session, template=TEMPLATE, context=context, recipients=recipients(session, street),
                          dedupe_key=f"warning:{warning.id}")
