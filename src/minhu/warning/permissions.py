"""Who sees early warnings and who acts on them.

The centre's dispatchers and administrators and the district's leaders see every warning and act on any; a
handler of a street (at the street office or a unit in it) and a street's leader see and act on their street's —
the street is the one warned. Operators,
reviewers and grid workers have no part in it: a grid worker hears of the task from the street."""

from __future__ import annotations

from sqlalchemy.orm import Session

from minhu.core.errors import Forbidden
from minhu.org.models import Unit, User
from minhu.org.roles import Role, UnitKind
from minhu.warning import alerts

SEE_ALL = frozenset({Role.DISPATCHER, Role.ADMIN})
STREET_ROLES = frozenset({Role.HANDLER, Role.LEADER})
# A leader standing here but under no street (a misfiled unit) sees nothing rather than everything.
GROUND_BELOW_STREET = frozenset({UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID, UnitKind.OFFICE})
POLICY_EDITORS = frozenset({Role.ADMIN})


def street_scope(session: Session, user: User) -> Unit | None:
    """The street whose warnings ``user`` sees (a street's handler or leader); None for those who see all. Raises
    Forbidden for a user with no warnings to see."""
    if user.role in SEE_ALL:
        return None
    street = alerts.street_of(session, user.unit_id) if user.role in STREET_ROLES else None
    if street is None and user.role is Role.LEADER and user.unit.kind not in GROUND_BELOW_STREET:
        return None  # a leader above the streets (the district's) sees them all
    if street is None:
        raise Forbidden("预警仅供指挥中心、领导和街道查看", code="warning_forbidden")
    return street


def may_edit_policy(user: User) -> bool:
    return user.role in POLICY_EDITORS


def check_policy_editor(user: User) -> None:
    if not may_edit_policy(user):
        raise Forbidden("只有管理员可以调整预警参数", code="warning_policy_admin_only")
