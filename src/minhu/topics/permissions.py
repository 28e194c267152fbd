"""Who takes up a problem of the month and who works it.

Leaders pick the month's problem and the command centre (dispatchers, administrators) keeps the topic — its
rule, orders and state. The owning unit's people write its progress notes. Every staff account reads topics.
"""

from __future__ import annotations

from minhu.core.errors import Forbidden
from minhu.org.models import User
from minhu.org.roles import Role
from minhu.topics.models import Topic

KEEPERS = frozenset({Role.LEADER, Role.DISPATCHER, Role.ADMIN})


def may_keep(user: User) -> bool:
    return user.role in KEEPERS


def check_keeper(user: User) -> None:
    if not may_keep(user):
        raise Forbidden("只有领导、指挥中心派单员和管理员可以设立和管理每月一题", code="topic_keeper_only")


def may_note(user: User, topic: Topic) -> bool:
    return may_keep(user) or user.unit_id == topic.owner_unit_id


def check_noter(user: User, topic: Topic) -> None:
    if not may_note(user, topic):
        raise Forbidden("只有牵头单位和指挥中心可以记录进展", code="topic_note_forbidden")
