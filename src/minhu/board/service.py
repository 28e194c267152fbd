"""Putting messages on the public board and taking them through moderation; supports.

A message enters as 待审核 with its personal data already masked (``masking``); nothing is shown to the public
before a moderator of the command centre publishes it — with the masked text as it stands or as the moderator
corrected it — or holds it (不予公开) with a reason. The reply appears under a published message once the
centre has approved it (the same moment the citizen sees it on the tracking page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minhu.board.masking import mask
from minhu.board.models import BoardPost, BoardSupport, PostState
from minhu.core import clock
from minhu.core.errors import Conflict, Forbidden, NotFound, field_error
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status
from minhu.org.models import Unit, User
from minhu.org.roles import CENTRE_ROLES
from minhu.routing.models import Category

# The states in which the centre has approved the reply: the public sees it from then on.
ANSWERED = frozenset({Status.REVIEWED, Status.CALLED_BACK, Status.ARCHIVED})
PAGE_SIZE = 20


def may_moderate(user: User) -> bool:
    return user.role in CENTRE_ROLES


def _require_moderator(user: User) -> None:
    if not may_moderate(user):
        raise Forbidden("仅指挥中心可以审核留言", code="board_moderators_only")


def submit(session: Session, order: WorkOrder) -> None:
    """Put a new order on the board, waiting for moderation (in the transaction that registers it)."""
    title, text = mask(order.title), mask(order.content)
    found = list(dict.fromkeys([*title.found, *text.found]))
    post = BoardPost(order_id=order.id, title=title.text[:200], text=text.text, found=found,
                     state=PostState.PENDING, supports=0, created_at=order.created_at)
    session.add(post)


def _post(session: Session, order_id: int) -> BoardPost:
    post = session.get(BoardPost, order_id)
    if post is None:
        raise NotFound("留言不存在", code="post_not_found")
    return post


def publish(session: Session, order_id: int, *, actor: User, title: str | None = None,
            text: str | None = None) -> BoardPost:
    """Publish a message, with the moderator's corrections of its masked title and text (masked again: a
    correction cannot bring a phone number back). Raises Forbidden, NotFound, InvalidInput for an empty text."""
    _require_moderator(actor)
    post = _post(session, order_id)
    if title is not None:
        post.title = mask(title.strip()).text[:200] or post.title
    if text is not None:
        if not text.strip():
            raise field_error("text", "公开的留言内容不能为空")
        post.text = mask(text.strip()).text
    post.state, post.hold_reason = PostState.PUBLISHED, None
    post.decided_at, post.decided_by_id = clock.now(), actor.id
    return post


def hold(session: Session, order_id: int, *, actor: User, reason: str) -> BoardPost:
    """Keep a message off the board, with the reason. Raises Forbidden, NotFound, InvalidInput."""
    _require_moderator(actor)
    if not reason.strip():
        raise field_error("reason", "请填写不予公开的原因")
    post = _post(session, order_id)
    post.state, post.hold_reason = PostState.HELD, reason.strip()[:200]
    post.decided_at, post.decided_by_id = clock.now(), actor.id
    return post


def support(session: Session, order_id: int, *, supporter: str) -> int:
    """One supporter's 点赞 of a published message, once; returns the message's supports. Raises NotFound for a
    message that is not public, Conflict when this supporter has supported it already."""
    post = session.get(BoardPost, order_id)
    if post is None or post.state is not PostState.PUBLISHED:
        raise NotFound("留言不存在或未公开", code="post_not_found")
    try:
        with session.begin_nested():
            session.add(BoardSupport(order_id=order_id, supporter=supporter, at=clock.now()))
    except IntegrityError as exc:
        raise Conflict("您已经支持过这条留言", code="already_supported") from exc
    session.execute(update(BoardPost).where(BoardPost.order_id == order_id)
                    .values(supports=BoardPost.supports + 1).execution_options(synchronize_session=False))
    return int(session.scalar(select(BoardPost.supports).where(BoardPost.order_id == order_id)) or 0)


@dataclass(frozen=True)
class PublicPost:
    """A published message as the public reads it."""

    number: str
    title: str
    text: str
    created_at: datetime
    street: str | None
    category: str | None
    answered: bool
    reply: str | None
    supports: int


def _public(post: BoardPost, order: WorkOrder, street: str | None, category: str | None) -> PublicPost:
    answered = order.status in ANSWERED and bool((order.reply_text or "").strip())
    return PublicPost(order.number, post.title, post.text, post.created_at, street, category, answered,
                      mask(order.reply_text or "").text if answered else None, post.supports)


def _published() -> Select[BoardPost, WorkOrder, str, str]:
    return (select(BoardPost, WorkOrder, Unit.name, Category.name)
            .join(WorkOrder, WorkOrder.id == BoardPost.order_id)
            .outerjoin(Unit, Unit.id == WorkOrder.street_id)
            .outerjoin(Category, Category.code == WorkOrder.category_code)
            .where(BoardPost.state == PostState.PUBLISHED.value))


def search(session: Session, *, words: str = "", street_id: int | None = None, category: str = "",
           page: int = 1) -> tuple[list[PublicPost], bool]:
    """Published messages, newest first, by words (in the title or text), street and category (with those
    below it); and whether there are more."""
    query = _published()
    for word in words.split()[:5]:
        like = f"%{word[:50]}%"
        query = query.where(or_(BoardPost.title.like(like), BoardPost.text.like(like)))
    if street_id is not None:
        query = query.where(WorkOrder.street_id == street_id)
    if category:
        query = query.where(WorkOrder.category_code.startswith(category))
    rows = session.execute(query.order_by(BoardPost.created_at.desc(), BoardPost.order_id.desc())
                           .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return [_public(row[0], row[1], row[2], row[3]) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def published(session: Session, number: str) -> PublicPost | None:
    row = session.execute(_published().where(WorkOrder.number == number.strip().upper())).first()
    return _public(row[0], row[1], row[2], row[3]) if row is not None else None


def pending(session: Session, actor: User) -> list[tuple[BoardPost, WorkOrder]]:
    """The messages waiting for moderation, oldest first, with their orders (the original words)."""
    _require_moderator(actor)
    return [(post, order) for post, order in session.execute(
        select(BoardPost, WorkOrder).join(WorkOrder, WorkOrder.id == BoardPost.order_id)
        .where(BoardPost.state == PostState.PENDING.value).order_by(BoardPost.created_at, BoardPost.order_id)
        .limit(100))]
