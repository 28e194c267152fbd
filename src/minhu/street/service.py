"""The street sub-centre (街道分中心, 双派): what the district sends a street, the street dispatches inside it —
to an office, its enforcement centre, a community or a grid (内派) — or calls departments in (吹哨).

The moves themselves are rows of the order's transition table (INNER_DISPATCH, STREET_APPROVE,
STREET_SEND_BACK) taken through ``orders.service``; here are the street's settings, the inner owner routing
proposes, and the system's own dispatch inside for a street that lets A-level orders flow straight on.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import Forbidden, NotFound
from minhu.orders import checks, trail
from minhu.orders import service as order_service
from minhu.orders.enums import Grade
from minhu.orders.models import WorkOrder
from minhu.orders.signals import OrderChange, order_moved
from minhu.orders.states import Action
from minhu.org import queries as org_queries
from minhu.org.models import StreetSetting, Unit, User
from minhu.org.roles import Role, UnitKind
from minhu.routing import service as routing
from minhu.routing.matrix import describe_rule, rank, rule_applies
from minhu.routing.models import OwnerKind

# The name the trail gives the system when it dispatches inside a street by the street's own setting.
AUTO_INNER = "系统（街道自动内派）"
# The units a street dispatches to: its offices, its enforcement centre, its communities, grids and estates.
INNER_KINDS = (UnitKind.OFFICE, UnitKind.ENFORCEMENT, UnitKind.COMMUNITY, UnitKind.GRID, UnitKind.PROPERTY)


def check_street_dispatcher(user: User) -> Unit:
    """The street ``user`` dispatches for. Raises Forbidden for anyone but a street's dispatcher."""
    if user.role is not Role.STREET_DISPATCHER or user.unit.kind is not UnitKind.STREET:
        raise Forbidden("街道分中心仅供街道派单员使用", code="street_forbidden")
    return user.unit


def inner_units(session: Session, street: Unit) -> list[Unit]:
    """The active units inside ``street`` it may dispatch to, in the tree's order."""
    return list(session.scalars(select(Unit).where(Unit.path.startswith(street.path), Unit.id != street.id,
                                                   Unit.active.is_(True), Unit.kind.in_([k.value for k in INNER_KINDS]))
                                .order_by(Unit.path)))


@dataclass(frozen=True)
class InnerProposal:
    unit: Unit | None  # None: routing names nobody inside the street, the street's dispatcher picks
    reason: str


def _has_grid_worker(session: Session, grid: Unit) -> bool:
    return bool(session.scalar(select(exists().where(User.unit_id == grid.id, User.active.is_(True),
                                                     User.role == Role.GRIDWORKER.value))))


def propose_inner(session: Session, order: WorkOrder, street: Unit) -> InnerProposal:
    """The unit inside ``street`` that should take ``order``: a line of the matrix naming one, else by the grade
    (A: the grid it stands in when the grid has a worker on duty, else its community), else by the category's
    kind (an enforcement matter: the street's enforcement centre), else its community."""
    tables = routing.tables(session)
    category = tables.categories.get(order.category_code) if order.category_code else None
    place = order.place_unit
    for rule in sorted((r for r in tables.rules if rule_applies(r, category, place)), key=rank, reverse=True):
        if rule.owner_unit.id != street.id and rule.owner_unit.is_within(street) and rule.owner_unit.active:
            return InnerProposal(rule.owner_unit, describe_rule(rule))
    grid, community = (u if u is not None and u.active and u.is_within(street) else None
                       for u in (order.grid, order.community))
    if order.grade is Grade.A:
        if grid is not None and _has_grid_worker(session, grid):
            return InnerProposal(grid, f"A 级事项由所在网格就地处置：{grid.name}")
        if community is not None:
            return InnerProposal(community, f"A 级事项由所在社区办理：{community.name}")
    if category is not None and category.owner_kind is OwnerKind.ENFORCEMENT:
        enforcement = session.scalars(select(Unit).where(Unit.parent_id == street.id, Unit.active.is_(True),
                                                         Unit.kind == UnitKind.ENFORCEMENT.value)).first()
        if enforcement is not None:
            return InnerProposal(enforcement, f"执法类事项派街道综合执法中心：{enforcement.name}")
    if community is not None:
        return InnerProposal(community, f"由所在社区办理：{community.name}")
    return InnerProposal(None, "工单未定位到本街道的社区，请选择承办单位")


def check_settings_keeper(user: User, street_id: int) -> None:
    """Raises Forbidden for anyone but an administrator or the street's own dispatcher."""
    if user.role is not Role.ADMIN and not (user.role is Role.STREET_DISPATCHER and user.unit_id == street_id):
        raise Forbidden("只有管理员或本街道的派单员可以查看和修改街道分中心设置", code="street_forbidden")


def update_settings(session: Session, street: Unit, *, actor: User, sub_centre: bool, review_inner_replies: bool,
                    a_level_straight: bool) -> StreetSetting:
    """Save ``street``'s settings. Raises NotFound for a unit that is not a street, Forbidden for anyone but an
    administrator or the street's own dispatcher."""
    if street.kind is not UnitKind.STREET:
        raise NotFound(f"{street.name} 不是街道", code="street_not_found")
    check_settings_keeper(actor, street.id)
    setting = session.get(StreetSetting, street.id)
    if setting is None:
        setting = StreetSetting(street_id=street.id)
        session.add(setting)
    setting.sub_centre = sub_centre
    setting.review_inner_replies = review_inner_replies
    setting.a_level_straight = a_level_straight
    setting.updated_at, setting.updated_by_id = clock.now(), actor.id
    session.flush()
    routing.forget_routing(session)  # routing reads which streets run a sub-centre
    return setting


def _flow_straight(change: OrderChange) -> None:
    """An A-level order the district dispatched to a street that lets them flow straight on goes to the grid or
    community routing proposes inside it, by the system, in the same transaction."""
    order, event = change.order, change.event
    if event.action is not Action.DISPATCH or order.grade is not Grade.A:
        return
    street = order.owner_unit
    if street.kind is not UnitKind.STREET:
        return
    setting = org_queries.street_setting(change.session, street.id)
    if not (setting.sub_centre and setting.a_level_straight):
        return
    proposal = propose_inner(change.session, order, street)
    if proposal.unit is None:
        return  # nobody to send it to: it waits in the street's queue
    payload = {**checks.inner_dispatch_payload(street, proposal.unit), "reason": proposal.reason}
    order_service.apply_system_action(change.session, order, Action.INNER_DISPATCH, by=AUTO_INNER,
                                      payload=payload, unit=trail.adopt(change.session, proposal.unit))


def install() -> None:
    # Connected after the arrival notices (listeners.install's order): the street is told of the dispatch
    # before the system moves the order on inside it.
    order_moved.connect(_flow_straight)


def uninstall() -> None:
    order_moved.disconnect(_flow_straight)
