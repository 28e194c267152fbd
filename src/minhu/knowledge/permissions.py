"""Who reads the knowledge base and who keeps it.

Everyone who works orders reads it: the operator on a call, the dispatcher, the handler writing a reply, the
grid worker on the street, the reviewer, leaders. The command centre keeps it — dispatchers write and publish
articles and promote solved orders to guiding cases; administrators too. Residents see none of it here.
"""

from __future__ import annotations

from minhu.core.errors import Forbidden
from minhu.org.models import User
from minhu.org.roles import Role

EDITORS = frozenset({Role.DISPATCHER, Role.ADMIN})


def may_read(user: User) -> bool:
    return user.active


def may_edit(user: User) -> bool:
    return user.role in EDITORS


def check_reader(user: User) -> None:
    if not may_read(user):
        raise Forbidden("无权查看知识库", code="knowledge_forbidden")


def check_editor(user: User) -> None:
    """Raises Forbidden unless the user keeps the knowledge base."""
    if not may_edit(user):
        raise Forbidden("只有指挥中心派单员和管理员可以维护知识库", code="knowledge_editor_only")
