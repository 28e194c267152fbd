"""Who may work the dispatcher's queue and who may read the dispatch figures.

The queue is the command centre's working list: every centre role may open it, and what each may do
from it (accept, dispatch) is what the order's transition table allows that role. The figures judge
the classifier and the units; leaders read them as well.
"""

from __future__ import annotations

from minhu.core.errors import Forbidden
from minhu.org.models import User
from minhu.org.roles import CENTRE_ROLES, Role

QUEUE_ROLES = CENTRE_ROLES
FIGURE_ROLES = CENTRE_ROLES | {Role.LEADER}


def may_view_queue(user: User) -> bool:
    return user.role in QUEUE_ROLES


def may_view_figures(user: User) -> bool:
    return user.role in FIGURE_ROLES


def check_queue_viewer(user: User) -> None:
    """Raises Forbidden for a role outside the command centre."""
    if not may_view_queue(user):
        raise Forbidden("派单队列仅供指挥中心使用", code="queue_forbidden")


def check_figures_viewer(user: User) -> None:
    """Raises Forbidden for a role that neither runs the centre nor leads."""
    if not may_view_figures(user):
        raise Forbidden("派单统计仅供指挥中心和领导查看", code="figures_forbidden")
