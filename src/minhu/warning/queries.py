"""Reads of early warnings, limited to what the viewer may see (out of scope reads as absent)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core.errors import NotFound
from minhu.orders.models import WorkOrder
from minhu.org.models import Unit, User
from minhu.org.roles import DISPATCHABLE_KINDS
from minhu.warning import alerts, permissions
from minhu.warning.models import EarlyWarning, WarningState


@dataclass(frozen=True)
class ShownWarning:
    """A warning with the names a reader needs."""

    warning: EarlyWarning
    community: str
    street: str
    category: str
    orders: list[tuple[str, str]]  # (number, title), oldest first
    task_unit: str | None


def list_visible(session: Session, viewer: User, *, state: WarningState | None = None,
                 limit: int = 100) -> Sequence[EarlyWarning]:
    """Newest week first, then the most unlikely. Raises Forbidden for a viewer with none to see."""
    street = permissions.street_scope(session, viewer)
    query = select(EarlyWarning)
    if street is not None:
        query = query.where(EarlyWarning.street_id == street.id)
    if state is not None:
        query = query.where(EarlyWarning.state == state.value)
    return session.scalars(query.order_by(EarlyWarning.week_start.desc(), EarlyWarning.p_value,
                                          EarlyWarning.id).limit(limit)).all()


def get_visible(session: Session, warning_id: int, viewer: User, *, for_update: bool = False) -> EarlyWarning:
    """Raises Forbidden (no warnings to see), NotFound (none such, or another street's)."""
    street = permissions.street_scope(session, viewer)
    query = select(EarlyWarning).where(EarlyWarning.id == warning_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    warning = session.scalars(query).first()
    if warning is None or (street is not None and warning.street_id != street.id):
        raise NotFound(f"预警 {warning_id} 不存在", code="warning_not_found")
    return warning


def shown(session: Session, warnings: Sequence[EarlyWarning]) -> list[ShownWarning]:
    unit_ids = {w.community_id for w in warnings} | {w.street_id for w in warnings if w.street_id} | {
        w.task_unit_id for w in warnings if w.task_unit_id}
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all())
    order_ids = {i for w in warnings for i in w.order_ids}
    orders = {i: (n, t) for i, n, t in session.execute(
        select(WorkOrder.id, WorkOrder.number, WorkOrder.title).where(WorkOrder.id.in_(order_ids)))}
    return [ShownWarning(w, names.get(w.community_id, ""), names.get(w.street_id, "") if w.street_id else "",
                         alerts.category_name(session, w.category_code),
                         [orders[i] for i in w.order_ids if i in orders],
                         names.get(w.task_unit_id) if w.task_unit_id else None) for w in warnings]


def task_units(session: Session, viewer: User) -> Sequence[Unit]:
    """The units a task may be given to by ``viewer``: one of a street, the units of its street; others, any unit
    in use but the centre."""
    street = permissions.street_scope(session, viewer)
    query = select(Unit).where(Unit.active.is_(True), Unit.kind.in_([k.value for k in DISPATCHABLE_KINDS]))
    if street is not None:
        query = query.where(Unit.path.startswith(street.path))
    return session.scalars(query.order_by(Unit.path)).all()
