"""Who sees early warnings and who acts on them.

The centre's dispatchers, leaders and administrators see every warning and act on any; a handler of a street (at
the street office or a unit in it) sees and acts on its street's — the street is the one warned. Operators,
reviewers and grid workers have no part in it: a grid worker hears of the task from the street."""

from __future__ import annotations

from sqlalchemy.orm import Session

from minhu.core.errors import Forbidden
from minhu.org.models import Unit, User
from minhu.org.roles import Role
from minhu.warning import alerts

SEE_ALL = frozenset({Role.DISPATCHER, Role.LEADER, Role.ADMIN})
POLICY_EDITORS = frozenset({Role.ADMIN})


def street_scope(session: Session, user: User) -> Unit | None:
    """The street whose warnings ``user`` sees, for a handler; None for those who see all."""
    if user.role in SEE_ALL:
        return None
    street = alerts.street_of(session, user.unit_id) if user.role is Role.HANDLER else None
    if street is None:
        raise Forbidden("预警仅供指挥中心、领导和街道查看", code="warning_forbidden")
    return street


def check_viewer(session: Session, user: User) -> None:
    """Raises Forbidden for a user with no warnings to see."""
    if not user.active:
        raise Forbidden("账号已停用", code="warning_forbidden")
    street_scope(session, user)


def may_edit_policy(user: User) -> bool:
    return user.role in POLICY_EDITORS


def check_policy_editor(user: User) -> None:
    if not may_edit_policy(user):
        raise Forbidden("只有管理员可以调整预警参数", code="warning_policy_admin_only")
