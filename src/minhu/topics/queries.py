"""Reading topics: the list with their counts, one topic whole, and its orders week by week before and after it
was taken up (what leaders look at to see whether the problem is easing)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.orders.models import WorkOrder
from minhu.orders.permissions import visible_clause
from minhu.orders.states import STATUS_LABELS, Status
from minhu.org.models import Unit, User
from minhu.topics.models import TOPIC_STATE_LABELS, Topic, TopicNote, TopicOrder, TopicState
from minhu.topics.schemas import TopicBrief, TopicNoteRead, TopicOrderRead, TopicRead, WeeklyCount
from minhu.topics.service import get_topic, rule_clauses, rule_of

WEEKS_BEFORE = 8
MAX_WEEKS_AFTER = 26
LINKED_SHOWN = 200
OPEN = [s for s in Status if s not in (Status.ARCHIVED, Status.VOIDED, Status.JOINED, Status.CALLED_BACK)]


def _brief(topic: Topic, owner: str, orders: int, open_orders: int) -> TopicBrief:
    return TopicBrief(id=topic.id, title=topic.title, month=topic.month, state=topic.state,
                      state_label=TOPIC_STATE_LABELS[topic.state], owner=owner, target=topic.target,
                      deadline=topic.deadline, orders=orders, open_orders=open_orders)


def _counts(session: Session, topic_ids: list[int]) -> tuple[Counter[int], Counter[int]]:
    total: Counter[int] = Counter()
    open_: Counter[int] = Counter()
    if not topic_ids:
        return total, open_
    rows = session.execute(select(TopicOrder.topic_id, WorkOrder.status, func.count())
                           .join(WorkOrder, WorkOrder.id == TopicOrder.order_id)
                           .where(TopicOrder.topic_id.in_(topic_ids))
                           .group_by(TopicOrder.topic_id, WorkOrder.status))
    for topic_id, status, count in rows:
        total[topic_id] += count
        if status in OPEN:
            open_[topic_id] += count
    return total, open_


def list_topics(session: Session, *, month: str | None = None) -> list[TopicBrief]:
    """Every topic, the active first, newest first; of ``month`` (YYYY-MM) when given."""
    statement = select(Topic, Unit.name).join(Unit, Unit.id == Topic.owner_unit_id)
    if month:
        statement = statement.where(Topic.month == month)
    rows = session.execute(statement.order_by(Topic.state, Topic.created_at.desc(), Topic.id.desc())).all()
    total, open_ = _counts(session, [t.id for t, _ in rows])
    return [_brief(t, owner, total[t.id], open_[t.id]) for t, owner in rows]


def week_of(at: datetime) -> date:
    local = at.astimezone(clock.city_tz()).date()
    return local - timedelta(days=local.weekday())


def weekly(session: Session, topic: Topic) -> list[WeeklyCount]:
    """Orders meeting the topic's rule per week (Monday to Sunday, city time), eight weeks before it was taken up
    and every week since (at most 26), linked or not: the before and after of the problem itself."""
    taken = week_of(topic.created_at)
    first = taken - timedelta(weeks=WEEKS_BEFORE)
    last = min(week_of(topic.closed_at or clock.now()), taken + timedelta(weeks=MAX_WEEKS_AFTER))
    start = datetime.combine(first, datetime.min.time(), tzinfo=clock.city_tz())
    end = datetime.combine(last + timedelta(days=7), datetime.min.time(), tzinfo=clock.city_tz())
    created = session.scalars(select(WorkOrder.created_at).where(
        *rule_clauses(rule_of(topic)), WorkOrder.created_at >= start, WorkOrder.created_at < end))
    per_week = Counter(week_of(at) for at in created)
    weeks = []
    week = first
    while week <= last:
        weeks.append(WeeklyCount(week=week, orders=per_week.get(week, 0), after=week >= taken))
        week += timedelta(weeks=1)
    return weeks


def read_topic(session: Session, topic_id: int, *, viewer: User) -> TopicRead:
    """The topic whole; of its orders, those ``viewer`` may see (the counts are of all of them)."""
    topic = get_topic(session, topic_id)
    owner = session.get_one(Unit, topic.owner_unit_id).name
    place = session.get(Unit, topic.place_unit_id).name if topic.place_unit_id else None  # type: ignore[union-attr]
    total, open_ = _counts(session, [topic.id])
    notes = session.execute(select(TopicNote, User.full_name).outerjoin(User, User.id == TopicNote.author_id)
                            .where(TopicNote.topic_id == topic.id).order_by(TopicNote.at.desc(), TopicNote.id.desc())
                            ).all()
    linked = session.execute(select(WorkOrder.number, WorkOrder.title, WorkOrder.status, TopicOrder.source,
                                    TopicOrder.linked_at)
                             .join(WorkOrder, WorkOrder.id == TopicOrder.order_id)
                             .where(TopicOrder.topic_id == topic.id, visible_clause(viewer))
                             .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(LINKED_SHOWN)
                             ).all()
    brief = _brief(topic, owner, total[topic.id], open_[topic.id])
    return TopicRead(**brief.model_dump(), description=topic.description, keywords=list(topic.keywords or []),
                     category_codes=list(topic.category_codes or []), place=place, created_at=topic.created_at,
                     weekly=weekly(session, topic),
                     notes=[TopicNoteRead(text=n.text, author=name, at=n.at) for n, name in notes],
                     linked=[TopicOrderRead(number=number, title=title, status=STATUS_LABELS[Status(status)],
                                            source=source, linked_at=at)
                             for number, title, status, source, at in linked])


def for_bulletin(session: Session, *, first: datetime, end: datetime, previous_first: datetime) -> list[dict[str, Any]]:
    """The topics a monthly bulletin reports: those taken up before the month ended and not closed before it
    began; for each, the orders meeting its rule in the month and in the month before."""
    # A dropped topic was not pursued: the bulletin leaves it out.
    topics = session.scalars(select(Topic).where(Topic.created_at < end, Topic.state != TopicState.DROPPED,
                                                 or_(Topic.closed_at.is_(None), Topic.closed_at >= first))
                             .order_by(Topic.created_at, Topic.id)).all()
    reported = []
    for topic in topics:
        clauses = rule_clauses(rule_of(topic))

        def count(start: datetime, stop: datetime, clauses: list[Any] = clauses) -> int:
            return int(session.scalar(select(func.count()).select_from(WorkOrder).where(
                *clauses, WorkOrder.created_at >= start, WorkOrder.created_at < stop)) or 0)

        owner = session.get_one(Unit, topic.owner_unit_id).name
        reported.append({"title": topic.title, "owner": owner, "target": topic.target, "month": topic.month,
                         "deadline": topic.deadline.isoformat() if topic.deadline else None,
                         "state": TOPIC_STATE_LABELS[topic.state], "in_period": count(first, end),
                         "before": count(previous_first, first)})
    return reported
