"""Threads (同一诉求人同一事项): one citizen's repeats on one matter, linked into one thread.

At intake a request that repeats the same citizen's order whose callback found it unsolved is recognised
(``recognise_repeat``), and routing raises its grade. A dispatcher or reviewer links an order to a thread
from the suggestions on the order page: the same citizen's phone, within ``WINDOW`` of each other, with
similar text (character bigrams: Chinese needs no segmentation for this, and a repeat of a complaint reuses
its words) or a near place. A thread's main
order is the one the others repeat; the dispatcher may merge a repeat into it (``Action.MERGE`` through
``orders.service.apply_action``: the repeat ends archived, pointing at the main order). The centre writes
a standard reply (标准答复) for a thread, which the reply form of every order in it then offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import EllipsisType

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import Base
from minhu.core.errors import Forbidden, InvalidInput, NotFound, field_error
from minhu.evaluation.models import LinkSource, OrderThread, StandardReply, ThreadMember
from minhu.geo.coords import distance_metres
from minhu.orders import permissions as order_permissions
from minhu.orders import queries as order_queries
from minhu.orders import service as order_service
from minhu.orders.enums import Resolution
from minhu.orders.models import WorkOrder
from minhu.orders.signals import OrderPlacing
from minhu.orders.states import OPEN_STATUSES, Action, Status
from minhu.org.models import User
from minhu.org.roles import Role

# How far apart in time a citizen's repeats may be and still be suggested as one matter.
WINDOW = timedelta(days=90)
# Text at least this similar (Dice coefficient of character bigrams), or a place within NEAR_METRES, makes
# a same-phone order a candidate.
MIN_SIMILARITY = 0.25
NEAR_METRES = 500.0
MAX_SUGGESTIONS = 5
# Who links orders into threads and writes their standard replies: the centre's dispatchers and reviewers.
THREAD_KEEPERS = frozenset({Role.DISPATCHER, Role.REVIEWER})
MAX_REPLY_CHARS = 20_000


def bigrams(text: str) -> set[str]:
    """The character bigrams of ``text``'s letters and digits (punctuation and spaces say nothing)."""
    kept = "".join(ch for ch in text.lower() if ch.isalnum())
    if len(kept) < 2:
        return {kept} if kept else set()
    return {kept[i:i + 2] for i in range(len(kept) - 1)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' character bigrams, 0 to 1."""
    left, right = bigrams(a), bigrams(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))



@dataclass(frozen=True)
class Candidate:
    order: WorkOrder
    similarity: float
    metres: float | None
    same_community: bool
    thread_id: int | None

    @property
    def near(self) -> bool:
        return self.same_community or (self.metres is not None and self.metres <= NEAR_METRES)


def _text(order: WorkOrder) -> str:
    return f"{order.title} {order.content}"


def suggest(session: Session, order: WorkOrder, *, viewer: User,
            own_thread: OrderThread | EllipsisType | None = ...) -> list[Candidate]:
    """Orders the same citizen (same phone) made within ``WINDOW`` of this one that read alike or stand
    near it, most similar first; none for an order without a phone. Orders already in this order's
    thread are left out (``own_thread``: what the caller's ``find_thread`` found, else looked up here)."""
    if not order.citizen_phone:
        return []
    if isinstance(own_thread, EllipsisType):
        own_thread = find_thread(session, order)
    own_thread_id = own_thread.id if own_thread is not None else None
    rows = session.scalars(
        select(WorkOrder).where(WorkOrder.citizen_phone == order.citizen_phone, WorkOrder.id != order.id,
                                WorkOrder.status != Status.VOIDED.value,
                                WorkOrder.created_at >= order.created_at - WINDOW,
                                WorkOrder.created_at <= order.created_at + WINDOW,
                                order_permissions.visible_clause(viewer))
        .order_by(WorkOrder.created_at.desc()).limit(200)).all()
    threads = _thread_ids(session, [o.id for o in rows])
    found = []
    for other in rows:
        if own_thread_id is not None and threads.get(other.id) == own_thread_id:
            continue
        metres = None
        if None not in (order.latitude, order.longitude, other.latitude, other.longitude):
            metres = distance_metres(order.latitude, order.longitude,  # type: ignore[arg-type]
                                     other.latitude, other.longitude)  # type: ignore[arg-type]
        candidate = Candidate(other, similarity(_text(order), _text(other)), metres,
                              order.community_id is not None and order.community_id == other.community_id,
                              threads.get(other.id))
        if candidate.similarity >= MIN_SIMILARITY or candidate.near:
            found.append(candidate)
    found.sort(key=lambda c: (c.similarity + (0.2 if c.near else 0.0)), reverse=True)
    return found[:MAX_SUGGESTIONS]


# Run at every intake with a phone, and almost always empty: built once, reading only what the comparison needs.
_ORDERS = Base.metadata.tables[WorkOrder.__tablename__]
_UNSOLVED_OF_PHONE = (
    select(_ORDERS.c.id, _ORDERS.c.title, _ORDERS.c.content)
    .where(_ORDERS.c.citizen_phone == bindparam("phone"), _ORDERS.c.status != Status.VOIDED.value,
           _ORDERS.c.resolution == Resolution.UNRESOLVED.value, _ORDERS.c.created_at >= bindparam("since"))
    .order_by(_ORDERS.c.created_at.desc()).limit(50))


def unsolved_repeat(session: Session, *, phone: str | None, title: str, content: str) -> WorkOrder | None:
    """The latest order of the same citizen (same phone) within ``WINDOW`` whose callback found it unsolved
    (未解决) and whose text reads alike: a new request repeating it is a repeat of an unsolved one, which
    routing grades a level higher. A place alone does not make a repeat here: the grade rises only for the
    same matter in the citizen's own words."""
    if not phone:
        return None
    rows = session.execute(_UNSOLVED_OF_PHONE, {"phone": phone, "since": clock.now() - WINDOW}).all()
    text = f"{title} {content}"
    found = next((row.id for row in rows if similarity(text, f"{row.title} {row.content}") >= MIN_SIMILARITY),
                 None)
    return session.get(WorkOrder, found) if found is not None else None


def recognise_repeat(placing: OrderPlacing) -> None:
    """At intake (``order_placing``): name the unsolved order this request repeats, if any."""
    data = placing.data
    placing.repeat_of = unsolved_repeat(placing.session, phone=data.citizen_phone, title=data.title,
                                        content=data.content)


def _thread_ids(session: Session, order_ids: Sequence[int]) -> dict[int, int]:
    if not order_ids:
        return {}
    rows = session.execute(select(ThreadMember.order_id, ThreadMember.thread_id)
                           .where(ThreadMember.order_id.in_(order_ids))).all()
    return {row.order_id: row.thread_id for row in rows}


def thread_ids_of(session: Session, order_ids: Sequence[int]) -> dict[int, int]:
    """Each order's thread, for those in one."""
    return _thread_ids(session, order_ids)


def thread_id_of(session: Session, order: WorkOrder) -> int | None:
    return _thread_ids(session, [order.id]).get(order.id)


def find_thread(session: Session, order: WorkOrder) -> OrderThread | None:
    thread_id = thread_id_of(session, order)
    return session.get(OrderThread, thread_id) if thread_id is not None else None


def get_thread(session: Session, thread_id: int) -> OrderThread:
    """Raises NotFound."""
    thread = session.get(OrderThread, thread_id)
    if thread is None:
        raise NotFound(f"诉求串 {thread_id} 不存在", code="thread_not_found")
    return thread


def visible_members(thread: OrderThread, viewer: User) -> list[WorkOrder]:
    """The thread's orders the viewer may see, oldest first."""
    members = [m.order for m in thread.members if order_permissions.may_see(viewer, m.order)]
    return sorted(members, key=lambda o: (o.created_at, o.id))


def lead_of(thread: OrderThread, members: Sequence[WorkOrder]) -> WorkOrder:
    """The order a viewer knows the thread by: its main order when they may see it, else the first of the
    ``members`` they see (a unit sees its own orders of a citizen's matter, not another unit's)."""
    return next((o for o in members if o.id == thread.main_order_id), members[0])


def title_of(thread: OrderThread, lead: WorkOrder) -> str:
    return thread.title if lead.id == thread.main_order_id else lead.title


def may_keep_threads(user: User) -> bool:
    return user.role in THREAD_KEEPERS


def _check_keeper(user: User) -> None:
    if not may_keep_threads(user):
        raise Forbidden("只有指挥中心派单员、审核员可以关联诉求和编写标准答复", code="not_a_thread_keeper")


def link(session: Session, order: WorkOrder, *, to: WorkOrder, actor: User) -> OrderThread:
    """Put ``order`` in the thread of ``to`` — opened now, with the earlier of the two as its main order,
    when ``to`` is in none. Each order that joins gets an event in its trail.

    Raises Forbidden for a role that does not keep threads, InvalidInput when the orders are one, are
    already in different threads, or are different citizens' (a thread is one citizen's matter).
    """
    _check_keeper(actor)
    if order.id == to.id:
        raise field_error("with", "不能与自身关联", code="invalid_order")
    if not order.citizen_phone or order.citizen_phone != to.citizen_phone:
        raise field_error("with", f"工单 {to.number} 不是同一诉求人（联系电话不同），不能归入同一诉求",
                          code="different_citizen")
    mine, theirs = thread_id_of(session, order), thread_id_of(session, to)
    if mine is not None and theirs is not None:
        if mine == theirs:
            raise InvalidInput("两张工单已在同一诉求串中", code="already_linked")
        raise InvalidInput("两张工单分属不同的诉求串，请先在诉求串中处理", code="in_another_thread")
    now = clock.now()
    existing = mine if mine is not None else theirs
    if existing is not None:
        thread = get_thread(session, existing)
        joining = [to] if mine is not None else [order]
    else:
        main = min((order, to), key=lambda o: (o.created_at, o.id))
        thread = OrderThread(main_order_id=main.id, citizen_phone=main.citizen_phone, title=main.title,
                             created_at=now, created_by_id=actor.id)
        session.add(thread)
        session.flush()
        joining = [main, to if main is order else order]
    for member in joining:
        source = LinkSource.STARTED if existing is None and member.id == thread.main_order_id \
            else LinkSource.DISPATCHER
        session.add(ThreadMember(order_id=member.id, thread_id=thread.id, source=source, linked_at=now,
                                 linked_by_id=actor.id))
        order_service.record(session, member, Action.LINK_THREAD, actor=actor,
                             note=f"归入诉求串 #{thread.id}（主工单 {thread.main_order.number}）",
                             payload={"thread_id": thread.id, "main_order": thread.main_order.number})
    session.flush()
    session.refresh(thread)
    return thread


def link_by_number(session: Session, order: WorkOrder, *, number: str, actor: User) -> OrderThread:
    """``link`` to the order numbered ``number`` (which the actor must be able to see). Raises as ``link``,
    and InvalidInput when no such order is visible."""
    _check_keeper(actor)
    other = order_queries.find_by_number(session, number.strip())
    if other is None or not order_permissions.may_see(actor, other):
        raise field_error("with", f"工单 {number} 不存在", code="invalid_order")
    return link(session, order, to=other, actor=actor)


def latest_reply(session: Session, thread_id: int) -> StandardReply | None:
    return session.scalars(select(StandardReply).where(StandardReply.thread_id == thread_id)
                           .order_by(StandardReply.id.desc()).limit(1)).first()


def write_standard_reply(session: Session, thread: OrderThread, *, text: str, actor: User) -> StandardReply:
    """A new standard reply for the thread (the earlier ones are kept). Raises Forbidden, InvalidInput."""
    _check_keeper(actor)
    text = text.strip()
    if not text:
        raise field_error("text", "请填写标准答复")
    if len(text) > MAX_REPLY_CHARS or "\x00" in text:
        raise field_error("text", f"标准答复不能超过 {MAX_REPLY_CHARS} 字，也不能含 NUL 字符")
    reply = StandardReply(thread_id=thread.id, text=text, written_by_id=actor.id, written_by_name=actor.full_name,
                          written_at=clock.now())
    session.add(reply)
    session.flush()
    return reply


@dataclass(frozen=True)
class ThreadLine:
    """A thread as a viewer sees it: named by its lead order (``lead_of``), counting only the viewer's orders."""

    thread: OrderThread
    lead: WorkOrder
    title: str
    orders: int
    open_orders: int
    has_reply: bool


def list_threads(session: Session, *, viewer: User, limit: int = 200) -> list[ThreadLine]:
    """Threads with at least one order the viewer may see, newest first."""
    visible = order_permissions.visible_clause(viewer)
    theirs = select(ThreadMember.thread_id).join(WorkOrder, WorkOrder.id == ThreadMember.order_id).where(visible)
    threads = session.scalars(select(OrderThread).where(OrderThread.id.in_(theirs))
                              .order_by(OrderThread.created_at.desc(), OrderThread.id.desc()).limit(limit)).all()
    ids = [t.id for t in threads]
    members: dict[int, list[WorkOrder]] = {}
    if ids:
        rows = session.execute(select(ThreadMember.thread_id, WorkOrder)
                               .join(WorkOrder, WorkOrder.id == ThreadMember.order_id)
                               .where(ThreadMember.thread_id.in_(ids), visible)
                               .order_by(WorkOrder.created_at, WorkOrder.id)).all()
        for thread_id, order in rows:
            members.setdefault(thread_id, []).append(order)
    replied = set(session.scalars(select(StandardReply.thread_id).where(StandardReply.thread_id.in_(ids)))) \
        if ids else set()
    lines = []
    for thread in threads:
        mine = members[thread.id]
        lead = lead_of(thread, mine)
        lines.append(ThreadLine(thread, lead, title_of(thread, lead), len(mine),
                                sum(1 for o in mine if o.status in OPEN_STATUSES), has_reply=thread.id in replied))
    return lines
