"""docs/roles.md is what the code enforces: each role's row of its table lists exactly what the permission functions
let that role see and do — no more, no less — so the page cannot drift from the code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from minhu.chiefs import permissions as chiefs_permissions
from minhu.core.errors import Forbidden
from minhu.dispatch import permissions as dispatch_permissions
from minhu.evaluation import bulletin_pages, callback_pages, threads
from minhu.evaluation import pages as evaluation_pages
from minhu.notify import permissions as notify_permissions
from minhu.orders import permissions as order_permissions
from minhu.orders import queries
from minhu.orders.models import WorkOrder
from minhu.orders.states import ACTION_LABELS, TRANSITIONS, Action
from minhu.org.models import User
from minhu.org.roles import ROLE_LABELS, Role
from minhu.people import permissions as people_permissions
from minhu.routing import permissions as routing_permissions
from minhu.scheduling import permissions as scheduling_permissions
from minhu.street import service as street_service
from minhu.supervision import pages as supervision_pages
from minhu.supervision import service as supervision_service
from tests.factories import World, act, make_order
from tests.intake.test_pages import login

ROLES_PAGE = Path(__file__).resolve().parents[1] / "docs" / "roles.md"
ROW = re.compile(r"^\| `(?P<role>[a-z_]+)` \| (?P<label>[^|]+) \| (?P<sees>[^|]+) \| (?P<does>[^|]+) \|$", re.M)


@dataclass(frozen=True)
class Probe:
    """One person of a role, an open order of their own unit (signed), and their way into the API."""

    user: User
    order: WorkOrder
    api: Callable[[str, str, dict[str, Any]], int]


def _allowed(check: Callable[[User], object]) -> Callable[[Probe], bool]:
    def probe(p: Probe) -> bool:
        try:
            check(p.user)
        except Forbidden:
            return False
        return True
    return probe


def _takes(action: Action) -> Callable[[Probe], bool]:
    return lambda p: any(p.user.role in t.roles for t in TRANSITIONS if t.action is action)


SEES: dict[str, Callable[[Probe], bool]] = {
    "全部工单": lambda p: order_permissions.is_centre(p.user),
    "本单位及下级单位的工单": lambda p: not order_permissions.is_centre(p.user),
    "完整电话": lambda p: order_permissions.sees_full_phone(p.user, p.order),
    "时限监管": _allowed(supervision_service.check_watcher),
    "派单队列": lambda p: dispatch_permissions.may_view_queue(p.user),
    "街道分中心队列": _allowed(street_service.check_street_dispatcher),
    "分类质量与单位统计": lambda p: dispatch_permissions.may_view_figures(p.user),
    "回访队列": lambda p: p.user.role in callback_pages.CALLERS,
    "不满意台账": lambda p: p.user.role in evaluation_pages.LEDGER_ROLES,
    "人员统计": lambda p: people_permissions.may_view(p.user),
    "责任矩阵与清单": lambda p: routing_permissions.may_read(p.user),
    "四长": lambda p: chiefs_permissions.sees_every_chief(p.user),
    "本周调度": _allowed(scheduling_permissions.check_recorder),
    "网格工作台": lambda p: people_permissions.may_record_rounds(p.user),
}

DOES: dict[str, Callable[[Probe], bool]] = {
    "登记工单": lambda p: order_permissions.may_register(p.user),
    **{ACTION_LABELS[t.action]: _takes(t.action) for t in TRANSITIONS},
    "催办": lambda p: order_permissions.may_supervise(p.user, p.order),
    "督办": lambda p: order_permissions.may_supervise(p.user, p.order),
    "查看完整电话": lambda p: order_permissions.may_unmask_phone(p.user, p.order)
    and not order_permissions.sees_full_phone(p.user, p.order),
    "上传附件": lambda p: order_permissions.may_attach(p.user, p.order),
    "关联诉求与标准答复": lambda p: threads.may_keep_threads(p.user),
    "生成通报": lambda p: bulletin_pages.may_generate(p.user),
    "登记巡查走访": lambda p: people_permissions.may_record_rounds(p.user),
    "维护目录、责任矩阵和清单": lambda p: routing_permissions.may_edit(p.user),
    "维护时限政策和工作日历": _allowed(supervision_pages._admin),
    "载入考核口径": lambda p: p.api("POST", "/api/v1/rate-policies", {"source": "不是口径"}) != 403,
    "管理通知": lambda p: notify_permissions.may_administer(p.user),
    "维护四长责任清单": lambda p: chiefs_permissions.may_edit(p.user),
    "记录调度批示": lambda p: scheduling_permissions.may_record(p.user),
}


def _items(cell: str) -> set[str]:
    cell = cell.strip()
    if cell == "—":
        return set()
    # A label may hold 、 itself (维护目录、责任矩阵和清单): match the known labels, longest first.
    found: set[str] = set()
    rest = cell
    for label in sorted({*SEES, *DOES}, key=len, reverse=True):
        if re.search(rf"(^|、){re.escape(label)}(、|$)", rest):
            found.add(label)
            rest = re.sub(rf"(^|、){re.escape(label)}(?=、|$)", "", rest, count=1)
    leftover = [part for part in rest.split("、") if part.strip()]
    assert not leftover, f"docs/roles.md names what no permission function checks: {leftover}"
    return found


def _table() -> dict[Role, tuple[str, set[str], set[str]]]:
    rows = {Role(m["role"]): (m["label"].strip(), _items(m["sees"]), _items(m["does"]))
            for m in ROW.finditer(ROLES_PAGE.read_text("utf-8"))}
    assert set(rows) == set(Role), "docs/roles.md has one row per role"
    return rows


def person(world: World, role: Role) -> User:
    """The world's one person of ``role``."""
    return {Role.OPERATOR: world.operator, Role.DISPATCHER: world.dispatcher, Role.HANDLER: world.handler,
            Role.GRIDWORKER: world.gridworker, Role.LEADER: world.leader, Role.REVIEWER: world.reviewer,
            Role.ADMIN: world.admin, Role.STREET_DISPATCHER: world.street_dispatcher}[role]


@pytest.fixture
def probes(db, world: World, client, token_for) -> Iterator[dict[Role, Probe]]:
    at_street = make_order(db, world, upto=Action.SIGN)
    on_grid = make_order(db, world, upto=None)
    act(db, on_grid.number, Action.DISPATCH, world.dispatcher, unit_id=world.grid.id)
    act(db, on_grid.number, Action.SIGN, world.gridworker)
    found: dict[Role, Probe] = {}
    with db.read() as session:
        for role in Role:
            user = person(world, role)
            reader = session.get_one(User, user.id)
            number = on_grid.number if reader.unit_id == world.grid.id else at_street.number
            order = queries.get_visible(session, number, viewer=reader)

            def api(method: str, path: str, body: dict[str, Any], who: User = user) -> int:
                return int(client.request(method, path, json=body, headers=token_for(who)).status_code)

            found[role] = Probe(reader, order, api)
        yield found


@pytest.mark.parametrize("role", list(Role))
def test_the_roles_page_says_what_each_role_sees_and_does(probes, role):
    label, sees, does = _table()[role]
    probe = probes[role]
    assert label == ROLE_LABELS[role]
    assert sees == {name for name, check in SEES.items() if check(probe)}, f"{role}: what docs/roles.md says it sees"
    assert does == {name for name, check in DOES.items() if check(probe)}, f"{role}: what docs/roles.md says it does"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_rankings_the_bulletins_the_map_and_its_inbox(client, world, role):
    login(client, person(world, role))
    for path in ("/rankings", "/bulletins", "/map", "/inbox"):
        assert client.get(path).status_code == 200, path
