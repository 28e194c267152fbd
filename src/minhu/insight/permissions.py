"""Who reads the hot issues: the dispatchers who act on them, the leaders who are told of them (领导 see hot
issues, in the product's words) and the administrators. The list spans every street's orders."""

from __future__ import annotations

from minhu.core.errors import Forbidden
from minhu.org.models import User
from minhu.org.roles import Role

HOT_ROLES = frozenset({Role.DISPATCHER, Role.LEADER, Role.ADMIN})


def may_view_hot(user: User) -> bool:
    return user.role in HOT_ROLES


def check_hot_viewer(user: User) -> None:
    """Raises Forbidden for a role outside ``HOT_ROLES``."""
    if not may_view_hot(user):
        raise Forbidden("热点问题仅供派单员、领导和管理员查看", code="hot_issues_forbidden")
