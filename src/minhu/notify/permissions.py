"""Who may manage notifications: templates, the duty roster, webhooks and the dead letters."""

from __future__ import annotations

from minhu.core.errors import Forbidden
from minhu.org.models import User
from minhu.org.roles import Role


def may_administer(user: User) -> bool:
    return user.role is Role.ADMIN


def require_admin(user: User) -> None:
    """Raises Forbidden unless ``user`` is an administrator."""
    if not may_administer(user):
        raise Forbidden("仅管理员可管理通知", code="notify_admin_only")
