"""Who may see and change routing's rules: administrators keep the catalog, the matrix and the streets'
lists; dispatchers, who apply them all day, may read the matrix and the lists."""

from __future__ import annotations

from minhu.core.errors import Forbidden
from minhu.org.models import User
from minhu.org.roles import Role

EDITORS = frozenset({Role.ADMIN})
READERS = frozenset({Role.ADMIN, Role.DISPATCHER})


def may_edit(user: User) -> bool:
    return user.role in EDITORS


def may_read(user: User) -> bool:
    return user.role in READERS


def ensure_editor(user: User) -> None:
    """Raises Forbidden unless the user keeps routing's rules."""
    if not may_edit(user):
        raise Forbidden("只有管理员可以维护分类目录、责任矩阵和街道清单", code="not_an_administrator")


def ensure_reader(user: User) -> None:
    """Raises Forbidden unless the user may read the matrix and the lists."""
    if not may_read(user):
        raise Forbidden("只有管理员和派单员可以查看责任矩阵和街道清单", code="not_allowed")
