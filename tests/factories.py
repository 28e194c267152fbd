"""Small builders for test data: a city with one unit of each kind and one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from minhu.core.db import Database
from minhu.orders import queries
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import ActionRequest, OrderCreate
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import Role, UnitKind

PASSWORD = "correct horse battery"
# Where every test's clock starts (a Monday morning in the city); the machine's date never enters a test.
TEST_START = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class World:
    district: Unit
    centre: Unit
    street: Unit
    community: Unit
    grid: Unit
    other_street: Unit
    department: Unit
    operator: User
    dispatcher: User
    handler: User  # at the street
    other_handler: User  # at another street
    gridworker: User
    leader: User
    reviewer: User
    admin: User
    street_dispatcher: User  # 积玉桥街's sub-centre (街道派单员)


def make_world(db: Database) -> World:
    with db.transaction() as s:
        district = org_service.create_unit(s, code="420106", name="武昌区", kind=UnitKind.DISTRICT, number_prefix="WC")
        centre = org_service.create_unit(s, code="C", name="区12345指挥中心", kind=UnitKind.CENTRE, parent=district)
        street = org_service.create_unit(s, code="S1", name="积玉桥街", kind=UnitKind.STREET, parent=district)
        community = org_service.create_unit(s, code="S1C1", name="和平社区", kind=UnitKind.COMMUNITY, parent=street)
        grid = org_service.create_unit(s, code="S1C1G1", name="和平社区1网格", kind=UnitKind.GRID, parent=community)
        other = org_service.create_unit(s, code="S2", name="水果湖街", kind=UnitKind.STREET, parent=district)
        dept = org_service.create_unit(s, code="D1", name="区城管执法局", kind=UnitKind.DEPARTMENT, parent=district)

        def user(name: str, role: Role, unit: Unit) -> User:
            return org_service.create_user(s, username=name, password=PASSWORD, full_name=f"{name} 测试",
                                           role=role, unit=unit)

        world = World(district, centre, street, community, grid, other, dept,
                      operator=user("op", Role.OPERATOR, centre), dispatcher=user("disp", Role.DISPATCHER, centre),
                      handler=user("hand", Role.HANDLER, street), other_handler=user("hand2", Role.HANDLER, other),
                      gridworker=user("grid", Role.GRIDWORKER, grid), leader=user("lead", Role.LEADER, district),
                      reviewer=user("rev", Role.REVIEWER, centre), admin=user("adm", Role.ADMIN, centre),
                      street_dispatcher=user("jdpd", Role.STREET_DISPATCHER, street))
    return world


def order_data(**overrides: Any) -> OrderCreate:
    data: dict[str, Any] = {"type": "complaint", "channel": "hotline", "title": "夜间施工噪音扰民",
                            "content": "工地每晚施工到凌晨两点。", "citizen_name": "王女士",
                            "citizen_phone": "13812345678", "address": "和平大道"}
    data.update(overrides)
    return OrderCreate.model_validate(data)


def make_order(db: Database, world: World, *, upto: Action | None = None, **overrides: Any) -> WorkOrder:
    """An order registered by the operator and walked along the main path up to ``upto`` (inclusive)."""
    with db.transaction() as s:
        order = order_service.create_order(s, order_data(**overrides), actor=world.operator)
    path: list[tuple[Action, User, dict[str, Any]]] = [
        (Action.DISPATCH, world.dispatcher, {"unit_id": world.street.id}),
        (Action.SIGN, world.handler, {}),
        (Action.HANDLE, world.handler, {"note": "已到现场核实"}),
        (Action.REPLY, world.handler, {"note": "已处理完毕"}),
        (Action.APPROVE, world.dispatcher, {}),
        (Action.CALLBACK, world.reviewer, {"reached": True, "resolution": "resolved", "satisfaction": "satisfied"}),
        (Action.ARCHIVE, world.reviewer, {}),
    ]
    if upto is None:
        return order
    for action, actor, fields in path:
        order = act(db, order.number, action, actor, **fields)
        if action is upto:
            break
    return order


def act(db: Database, number: str, action: Action, actor: User, **fields: Any) -> WorkOrder:
    with db.transaction() as s:
        order = queries.get_for_update(s, number, viewer=None)
        params = ActionRequest.model_validate({"expected_version": fields.pop("expected_version", order.version),
                                               **fields})
        order_service.apply_action(s, order, action, actor=actor, params=params)
        return order


def insert_archived(session: Any, *, number: str, owner_unit_id: int, closed_at: Any, **fields: Any) -> int:
    """An archived order written straight into the table (for figures over many orders); returns its id.

    Deadlines and answers default to a plain good case; ``fields`` override any column."""
    from datetime import timedelta

    from sqlalchemy import insert

    created = fields.pop("created_at", closed_at - timedelta(days=5))
    values: dict[str, Any] = {
        "number": number, "channel": "hotline", "type": "complaint", "urgency": "normal", "status": "archived",
        "anonymous": False, "confidential": False, "title": "测试工单", "content": "测试内容",
        "owner_unit_id": owner_unit_id, "created_at": created, "updated_at": closed_at, "version": 1,
        "deadlines_provisional": False, "closed_at": closed_at,
        "respond_due_at": created + timedelta(hours=24), "responded_at": created + timedelta(hours=2),
        "finish_due_at": created + timedelta(days=4), "replied_at": created + timedelta(days=3),
        "resolution": "resolved", "satisfaction": "satisfied", "callback_reached": True, "callback_attempts": 1,
        "callback_method": "phone", "unreachable": False,
    }
    values.update(fields)
    return int(session.execute(insert(WorkOrder).values(**values).returning(WorkOrder.id)).scalar_one())
