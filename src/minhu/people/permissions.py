"""Who may read the people figures and who records patrols and visits.

The centre and leaders see the whole district; a street, community or grid sees its own ground (a handler of
a street office or community, a grid worker). Departments and property companies stand on no ground of the
map and have no figures here. Only a grid worker, on their own grid, records patrols and visits.
"""

from __future__ import annotations

from minhu.core.errors import Forbidden
from minhu.org.models import User
from minhu.org.roles import Role, UnitKind
from minhu.people.figures import sees_everything

GROUND_KINDS = frozenset({UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID})


def may_view(user: User) -> bool:
    return sees_everything(user) or (user.role in (Role.HANDLER, Role.GRIDWORKER, Role.STREET_DISPATCHER)
                                     and user.unit.kind in GROUND_KINDS)


def check_viewer(user: User) -> None:
    """Raises Forbidden for a user with no ground to see figures of."""
    if not may_view(user):
        raise Forbidden("人员统计仅供指挥中心、领导和街道、社区、网格查看", code="people_forbidden")


def may_record_rounds(user: User) -> bool:
    return user.role is Role.GRIDWORKER and user.unit.kind is UnitKind.GRID


def check_recorder(user: User) -> None:
    """Raises Forbidden unless the user is a grid worker on a grid."""
    if not may_record_rounds(user):
        raise Forbidden("只有网格员可以登记巡查和入户走访", code="not_a_grid_worker")
