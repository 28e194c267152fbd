"""Who sees the chiefs' pages and who keeps their duty lists.

The command centre and leaders see every chief (their pages list the orders the reader may see); a chief with an
account of their own sees their own page. Only administrators keep the duty lists, as they keep the catalog and the
streets' lists.
"""

from __future__ import annotations

from minhu.core.errors import Forbidden
from minhu.geo.models import Post
from minhu.org.models import User
from minhu.org.roles import CENTRE_ROLES, Role


def sees_every_chief(user: User) -> bool:
    return user.role in CENTRE_ROLES or user.role is Role.LEADER


def may_view(user: User, post: Post) -> bool:
    return sees_every_chief(user) or (post.user_id is not None and post.user_id == user.id)


def may_edit(user: User) -> bool:
    return user.role is Role.ADMIN


def check_editor(user: User) -> None:
    """Raises Forbidden unless the user is an administrator."""
    if not may_edit(user):
        raise Forbidden("只有管理员可以维护四长责任清单", code="duty_list_admin_only")
