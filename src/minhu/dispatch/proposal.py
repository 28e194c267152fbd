"""What routing says of an order under a category the dispatcher chooses (改选分类): the grade with its
reasons and the owner the matrix names, at the order's place — the same grading and matrix as intake
(``routing.service.assess``), asked again for another category. The dispatch form shows the answer and
preselects the owner; dispatching with that category then stores it and grades the order the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from minhu.core.errors import Forbidden, field_error
from minhu.orders import queries as order_queries
from minhu.orders.enums import Grade
from minhu.org.models import Unit, User
from minhu.org.roles import CENTRE_ROLES, DISPATCHABLE_KINDS
from minhu.routing import service as routing


@dataclass(frozen=True)
class Proposal:
    number: str
    category_code: str
    category_path: str
    grade: Grade
    grade_reasons: list[str]
    owner: Unit | None  # None: the matrix names nobody, the dispatcher picks
    owner_reason: str


def check_proposer(user: User) -> None:
    """Raises Forbidden for a role outside the command centre: routing's working notes are the centre's."""
    if user.role not in CENTRE_ROLES:
        raise Forbidden("分派建议仅供指挥中心使用", code="proposal_forbidden")


def propose(session: Session, number: str, category_code: str, *, viewer: User) -> Proposal:
    """Grade and owner of order ``number`` were it of ``category_code``.

    Raises Forbidden outside the centre, NotFound for an order the viewer may not see, InvalidInput
    (field ``category_code``) for an unknown or retired category.
    """
    check_proposer(viewer)
    order = order_queries.get_visible(session, number, viewer=viewer)
    category = routing.active_category(session, category_code)
    if category is None:
        raise field_error("category_code", f"分类 {category_code} 不存在或已停用", code="invalid_category")
    assessed = routing.assess(session, category, title=order.title, content=order.content, street=order.street,
                              community=order.community, place=order.place_unit,
                              repeat_unsolved=order_queries.repeats_unsolved(session, order))
    owner = assessed.owner.unit
    dispatchable = owner is not None and owner.active and owner.kind in DISPATCHABLE_KINDS
    return Proposal(number=order.number, category_code=category.code,
                    category_path=routing.category_path(session, category.code) or category.name,
                    grade=assessed.grade.grade, grade_reasons=list(assessed.grade.reasons),
                    owner=owner if dispatchable else None, owner_reason=assessed.owner.reason)
