"""Taking up a problem of the month and working it: the topic and its rule, the orders it covers (named, recent,
and every new one that meets the rule as it arrives), progress notes and its state. Services flush; the caller
commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.cache import TTLCache
from minhu.core.errors import Conflict, NotFound, field_error
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status
from minhu.org.models import Unit, User
from minhu.routing.categories import find_category
from minhu.topics import permissions
from minhu.topics.models import TOPIC_STATE_LABELS, LinkSource, Topic, TopicNote, TopicOrder, TopicState
from minhu.topics.schemas import TopicCreate

# The orders of how many days before a topic is taken up it gathers at once (link_recent).
RECENT_DAYS = 30
# Intake asks, for every new order, which topics it meets: their rules stay in memory this long.
_rules: TTLCache[str, tuple[Rule, ...]] = TTLCache(ttl_seconds=30)


@dataclass(frozen=True)
class Rule:
    """A topic's rule, as intake checks each new order against it."""

    topic_id: int
    keywords: tuple[str, ...]
    category_codes: tuple[str, ...]
    place_unit_id: int | None

    def matches(self, order: WorkOrder) -> bool:
        if self.category_codes and not (order.category_code and order.category_code.startswith(self.category_codes)):
            return False
        if self.place_unit_id is not None and self.place_unit_id not in (
                order.street_id, order.community_id, order.grid_id, order.place_unit_id):
            return False
        # Case folded, as the counts' LIKE is on SQLite (KTV, ktv and Ktv are one word to a citizen).
        text = f"{order.title}\n{order.content}".casefold()
        return not self.keywords or any(k.casefold() in text for k in self.keywords)


def rule_of(topic: Topic) -> Rule:
    return Rule(topic.id, tuple(topic.keywords or ()), tuple(topic.category_codes or ()), topic.place_unit_id)


def rule_clauses(rule: Rule) -> list[ColumnElement[bool]]:
    """The same rule as SQL conditions on work orders (voided orders never count)."""
    clauses: list[ColumnElement[bool]] = [WorkOrder.status != Status.VOIDED]
    if rule.category_codes:
        clauses.append(or_(*(WorkOrder.category_code.startswith(c, autoescape=True) for c in rule.category_codes)))
    if rule.place_unit_id is not None:
        p = rule.place_unit_id
        clauses.append(or_(WorkOrder.street_id == p, WorkOrder.community_id == p, WorkOrder.grid_id == p,
                           WorkOrder.place_unit_id == p))
    if rule.keywords:
        clauses.append(or_(*(or_(func.lower(WorkOrder.title).contains(k.lower(), autoescape=True),
                                 func.lower(WorkOrder.content).contains(k.lower(), autoescape=True))
                             for k in rule.keywords)))
    return clauses


def get_topic(session: Session, topic_id: int) -> Topic:
    topic = session.get(Topic, topic_id)
    if topic is None:
        raise NotFound(f"每月一题 {topic_id} 不存在", code="topic_not_found")
    return topic


def _link(session: Session, topic: Topic, order_ids: list[int], source: LinkSource) -> int:
    known = set(session.scalars(select(TopicOrder.order_id).where(TopicOrder.topic_id == topic.id)))
    now = clock.now()
    added = [oid for oid in dict.fromkeys(order_ids) if oid not in known]
    session.add_all(TopicOrder(topic_id=topic.id, order_id=oid, source=source, linked_at=now) for oid in added)
    return len(added)


def create_topic(session: Session, data: TopicCreate, *, actor: User) -> Topic:
    """A topic taken up this month, with the orders named and (``link_recent``) those of the last 30 days that
    meet its rule."""
    permissions.check_keeper(actor)
    owner = session.get(Unit, data.owner_unit_id)
    if owner is None or not owner.active:
        raise field_error("owner_unit_id", "牵头单位不存在或已停用")
    if data.place_unit_id is not None and session.get(Unit, data.place_unit_id) is None:
        raise field_error("place_unit_id", "地区不存在")
    for index, code in enumerate(data.category_codes):
        if find_category(session, code) is None:
            raise field_error(f"category_codes.{index}", f"分类代码 {code} 不存在")
    now = clock.now()
    topic = Topic(title=data.title, description=data.description, month=clock.city_now().strftime("%Y-%m"),
                  owner_unit_id=owner.id, target=data.target, deadline=data.deadline, state=TopicState.ACTIVE,
                  keywords=list(dict.fromkeys(data.keywords)), category_codes=list(dict.fromkeys(data.category_codes)),
                  place_unit_id=data.place_unit_id, created_by_id=actor.id, created_at=now)
    session.add(topic)
    session.flush()
    if data.order_numbers:
        found = dict(session.execute(select(WorkOrder.number, WorkOrder.id)
                                     .where(WorkOrder.number.in_(data.order_numbers))).all())
        missing = [n for n in data.order_numbers if n not in found]
        if missing:
            raise field_error("order_numbers", f"工单不存在：{'、'.join(missing[:5])}")
        _link(session, topic, [found[n] for n in data.order_numbers], LinkSource.CHOSEN)
    if data.link_recent:
        recent = session.scalars(select(WorkOrder.id).where(
            *rule_clauses(rule_of(topic)), WorkOrder.created_at >= now - timedelta(days=RECENT_DAYS)))
        _link(session, topic, list(recent), LinkSource.MATCHED)
    session.add(TopicNote(topic_id=topic.id, text=f"设立每月一题，牵头单位：{owner.name}", author_id=actor.id, at=now))
    session.flush()
    _rules.clear_now_and_after(session)
    return topic


def add_note(session: Session, topic_id: int, text: str, *, actor: User) -> TopicNote:
    topic = get_topic(session, topic_id)
    permissions.check_noter(actor, topic)
    note = TopicNote(topic_id=topic.id, text=text, author_id=actor.id, at=clock.now())
    session.add(note)
    session.flush()
    return note


STATE_NOTES = {TopicState.ACTIVE: "重新推进", TopicState.DONE: "标记为已完成", TopicState.DROPPED: "撤销此题"}


def set_state(session: Session, topic_id: int, state: TopicState, *, actor: User) -> Topic:
    """Done (已完成), dropped (已撤销) or active again; a topic no longer active gathers no new orders."""
    permissions.check_keeper(actor)
    topic = get_topic(session, topic_id)
    if topic.state is state:
        raise Conflict(f"此题已是“{TOPIC_STATE_LABELS[state]}”", code="topic_state_unchanged")
    topic.state = state
    topic.closed_at = None if state is TopicState.ACTIVE else clock.now()
    session.add(TopicNote(topic_id=topic.id, text=STATE_NOTES[state], author_id=actor.id, at=clock.now()))
    session.flush()
    _rules.clear_now_and_after(session)
    return topic


def link_orders(session: Session, topic_id: int, numbers: list[str], *, actor: User) -> int:
    permissions.check_keeper(actor)
    topic = get_topic(session, topic_id)
    found = dict(session.execute(select(WorkOrder.number, WorkOrder.id).where(WorkOrder.number.in_(numbers)))
                 .all())
    missing = [n for n in numbers if n not in found]
    if missing:
        raise field_error("order_numbers", f"工单不存在：{'、'.join(missing[:5])}")
    added = _link(session, topic, [found[n] for n in numbers], LinkSource.CHOSEN)
    session.flush()
    return added


def active_rules(session: Session) -> tuple[Rule, ...]:
    # Keyed by the database: a process that serves one database has one entry.
    return _rules.get_or_load(str(session.get_bind().engine.url), lambda: tuple(
        rule_of(t) for t in session.scalars(select(Topic).where(Topic.state == TopicState.ACTIVE))))


def gather(session: Session, order: WorkOrder) -> None:
    """A new order joins every active topic whose rule it meets (in intake's transaction)."""
    for rule in active_rules(session):
        if rule.matches(order):
            session.add(TopicOrder(topic_id=rule.topic_id, order_id=order.id, source=LinkSource.MATCHED,
                                   linked_at=clock.now()))


def forget_rules() -> None:
    _rules.clear()
