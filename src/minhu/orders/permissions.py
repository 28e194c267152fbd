"""Who may see an order and who may take which action on it: role × unit × state."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true

from minhu.core import clock
from minhu.core.errors import Forbidden
from minhu.orders.enums import Grade
from minhu.orders.models import OrderCall, WorkOrder
from minhu.orders.states import OPEN_STATUSES, Action, Scope, Status, Transition, actions_from
from minhu.org.models import User
from minhu.org.queries import unit_ids_below
from minhu.org.roles import CENTRE_ROLES, PHONE_ROLES, Role, UnitKind

# Hotline staff register and accept at once; grid workers report what they find on patrol (it waits
# for acceptance); an administrator's account may feed orders from another system.
REGISTER_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.GRIDWORKER, Role.ADMIN})
# Property companies and owners' committees (物业、业委会) register what residents bring them, through their own
# accounts: it waits for the centre's acceptance as a grid worker's report does.
NEIGHBOURHOOD_KINDS = frozenset({UnitKind.PROPERTY, UnitKind.COMMITTEE})


def is_centre(user: User) -> bool:
    return user.role in CENTRE_ROLES


def visible_clause(viewer: User) -> ColumnElement[bool]:
    """A WHERE clause keeping the orders ``viewer`` may see: all for the centre; else those its unit or
    a unit below owns, those standing on its ground (a grid worker sees what happens on the grid,
    whoever handles it), and what the viewer registered (a grid worker follows what it reported)."""
    if is_centre(viewer):
        return true()
    below = unit_ids_below(viewer.unit)
    called = select(OrderCall.order_id).where(OrderCall.unit_id.in_(below))
    return or_(WorkOrder.owner_unit_id.in_(below), WorkOrder.place_unit_id.in_(below),
               WorkOrder.created_by_id == viewer.id, WorkOrder.id.in_(called))


def may_see(viewer: User, order: WorkOrder) -> bool:
    return (is_centre(viewer) or order.owner_unit.is_within(viewer.unit) or order.created_by_id == viewer.id
            or (order.place_unit is not None and order.place_unit.is_within(viewer.unit))
            or any(call.unit.is_within(viewer.unit) for call in order.calls))


def may_take(actor: User, order: WorkOrder, transition: Transition) -> bool:
    if actor.role not in transition.roles or not transition.applies_to(order.type):
        return False
    if transition.scope is Scope.CENTRE:
        return is_centre(actor)
    if transition.scope is Scope.OWNER_OR_CENTRE and is_centre(actor):
        return True
    if transition.scope is Scope.CALLED:
        return open_call_for(actor, order) is not None
    if transition.scope is Scope.ESCALATION_JUDGE:
        return may_judge_escalation(actor, order)
    if transition.scope is Scope.EXTENSION_JUDGE:
        return is_centre(actor) and order.pending_extension is not None
    if transition.scope is Scope.SUB_CENTRE:
        return is_sub_centre_of(actor, order)
    if actor.role is Role.STREET_DISPATCHER:
        # The sub-centre acts on what the street holds itself; what it dispatched inside is its inner unit's to act on.
        return order.owner_unit_id == actor.unit_id
    return order.owner_unit.is_within(actor.unit)


def is_sub_centre_of(actor: User, order: WorkOrder) -> bool:
    """Whether ``actor`` dispatches ``order`` inside its street: the street holds it, or dispatched it inside."""
    if actor.role is not Role.STREET_DISPATCHER or actor.unit.kind is not UnitKind.STREET:
        return False
    return actor.unit_id in (order.owner_unit_id, order.sub_centre_id) and order.owner_unit.is_within(actor.unit)


def may_judge_escalation(actor: User, order: WorkOrder) -> bool:
    """The centre decides every request to raise a grade; a street decides its own units' requests for B."""
    pending = order.pending_escalation
    if pending is None:
        return False
    if is_centre(actor):
        return True
    return (pending.to_grade is Grade.B and actor.unit.kind == UnitKind.STREET
            and pending.requested_unit.is_within(actor.unit) and pending.requested_unit.id != actor.unit.id)


def may_register(actor: User) -> bool:
    return actor.role in REGISTER_ROLES or registers_for_neighbours(actor)


def registers_for_neighbours(actor: User) -> bool:
    """A property company's or owners' committee's account, registering what residents brought it."""
    return actor.role is Role.HANDLER and actor.unit.kind in NEIGHBOURHOOD_KINDS


# Who may urge (催办) or supervise (督办) by hand: the centre and leaders.
SUPERVISING_ROLES = frozenset({Role.DISPATCHER, Role.OPERATOR, Role.REVIEWER, Role.ADMIN, Role.LEADER})


def may_supervise(actor: User, order: WorkOrder) -> bool:
    return actor.role in SUPERVISING_ROLES and order.status in OPEN_STATUSES and may_see(actor, order)


def may_attach(actor: User, order: WorkOrder) -> bool:
    """Everyone working the order may add evidence; leaders only read, and an archived file is closed."""
    return actor.role is not Role.LEADER and order.status is not Status.ARCHIVED and may_see(actor, order)


def open_call_for(actor: User, order: WorkOrder) -> OrderCall | None:
    """The call (吹哨) on ``order`` that ``actor``'s unit must still answer, if any."""
    return next((c for c in order.calls if c.reported_at is None and actor.unit.is_within(c.unit)), None)


def allowed_actions(actor: User, order: WorkOrder) -> list[Transition]:
    """What ``actor`` may do now — a return past its period is left out (taking it says why it is refused)."""
    return [t for t in actions_from(order.status) if may_take(actor, order, t)
            and not (t.action is Action.RETURN and return_period_over(order))]


def return_period_over(order: WorkOrder) -> bool:
    due, received = order.return_due_at, order.dispatched_at
    if due is None:  # dispatched before return limits were kept
        return False
    return (received is not None and due <= received) or clock.now() > due


def sees_full_phone(viewer: User, order: WorkOrder) -> bool:
    """Call-back roles see the number; a confidential order's number stays hidden from its handlers."""
    return viewer.role in PHONE_ROLES


# Who may reveal a masked number to contact the citizen: the people handling the order in its owning unit (or
# a unit above it). Leaders and administrators neither call citizens back nor handle orders: they never unmask.
UNMASKING_ROLES = frozenset({Role.HANDLER, Role.GRIDWORKER, Role.STREET_DISPATCHER})


def may_unmask_phone(viewer: User, order: WorkOrder) -> bool:
    """The owning unit's handler may reveal the number (logged), unless the order is confidential."""
    return sees_full_phone(viewer, order) or (viewer.role in UNMASKING_ROLES and not order.confidential
                                              and order.owner_unit.is_within(viewer.unit))


def check_unmask_phone(viewer: User, order: WorkOrder) -> None:
    """Raises Forbidden: ``phone_confidential`` for a confidential order's handler, ``phone_forbidden`` for a
    role or unit that does not contact the citizen."""
    if may_unmask_phone(viewer, order):
        return
    if order.confidential and viewer.role in UNMASKING_ROLES:
        raise Forbidden("保密工单不显示市民的完整电话", code="phone_confidential")
    raise Forbidden("只有回访员、派单员、话务员和承办单位可以查看市民的完整电话", code="phone_forbidden")


def sees_identity(viewer: User, order: WorkOrder) -> bool:
    """Anonymous and confidential orders hide the citizen's name outside the centre."""
    return is_centre(viewer) or not (order.anonymous or order.confidential)
