"""What the demo year adds after drawing its orders: re-handlings (重办) and threads (同一诉求).

A handful of dissatisfied orders were re-handled before they were archived — reopened after the dissatisfied
callback, signed, handled and replied again, approved and called back a second time — and a couple of them
twice, still dissatisfied, so the ledger suggests a review ruling (建议审核认定) for them. Each merged
duplicate is its citizen calling again before the first answer came: the centre linked the two into a thread,
and wrote the standard reply (标准答复) of one. Drawn with their own seed, so the rest of the year is the same.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from minhu.core.db import Base
from minhu.deadlines.models import LimitKind
from minhu.demo import bulk, texts
from minhu.demo.bulk import Draft, Step
from minhu.evaluation.models import LinkSource, OrderThread, StandardReply, ThreadMember
from minhu.orders.enums import CallbackMethod, Resolution, Satisfaction
from minhu.orders.models import OrderEvent
from minhu.orders.states import Action, Status
from minhu.org.models import Unit, User

if TYPE_CHECKING:
    from minhu.demo.year import _Year

SEED = 20251203
REHANDLED_ONCE = 10
REHANDLED_TWICE = 3
RECENT = timedelta(days=75)
OUTCOMES_AFTER_ONE = ((Resolution.RESOLVED, Satisfaction.SATISFIED), (Resolution.RESOLVED, Satisfaction.SATISFIED),
                      (Resolution.RESOLVED, Satisfaction.BASICALLY), (Resolution.PARTLY, Satisfaction.BASICALLY))
_EVENTS = Base.metadata.tables[OrderEvent.__tablename__]


def _dissatisfied(step: Step) -> bool:
    return step.action is Action.CALLBACK and bool(step.payload.get("reached")) and (
        step.payload.get("satisfaction") == Satisfaction.UNSATISFIED.value
        or step.payload.get("resolution") == Resolution.UNRESOLVED.value)


def rehandle(year: _Year, drafts: list[Draft]) -> None:
    """Re-handle some of ``drafts``' dissatisfied orders in place: once for most, twice for a few."""
    rng = random.Random(SEED)
    mains = {id(d.main) for d in drafts if d.main is not None}  # their duplicates copy their first answer
    # Recent enough for the ledger's default view (its last 90 days), early enough to end before yesterday.
    since, until = year.cutoff - RECENT, year.cutoff - timedelta(days=14)
    candidates = [d for d in drafts if d.main is None and id(d) not in mains and d.values["ruling"] is None
                  and d.steps[-1].action is Action.ARCHIVE and since <= d.steps[-1].at < until
                  and any(_dissatisfied(s) for s in d.steps)]
    chosen = rng.sample(candidates, min(len(candidates), REHANDLED_ONCE + REHANDLED_TWICE))
    for n, draft in enumerate(chosen):
        _rehandle(year, rng, draft, rounds=2 if n < REHANDLED_TWICE else 1)


def _rehandle(year: _Year, rng: random.Random, draft: Draft, *, rounds: int) -> None:
    steps, values = draft.steps, draft.values
    archive = steps.pop()  # archived after the last callback instead
    handler = next(s.actor for s in steps if s.action is Action.SIGN)
    assert handler is not None
    owner = year.by_id[values["owner_unit_id"]]
    at = steps[-1].at
    for _ in range(rounds):
        reopened = year._daytime(at + year._minutes(30, 6 * 60))
        steps.append(Step(Action.REOPEN, reopened, year.reviewer, Status.DISPATCHED,
                          note=rng.choice(texts.REOPEN_NOTES), payload={"unit_id": owner.id, "unit_name": owner.name}))
        signed = year._daytime(reopened + year._minutes(20, 4 * 60))
        steps.append(Step(Action.SIGN, signed, handler, Status.SIGNED))
        handled = year._daytime(signed + year._minutes(60, 20 * 60))
        steps.append(Step(Action.HANDLE, handled, handler, Status.HANDLING, note=rng.choice(texts.HANDLE_NOTES)))
        replied = year._daytime(handled + year._minutes(120, 48 * 60))
        reply = rng.choice(texts.REHANDLE_REPLIES)
        steps.append(Step(Action.REPLY, replied, handler, Status.REPLIED, note=reply))
        approved = replied + year._minutes(30, 18 * 60)
        callback_due, callback_warn = year._deadline(LimitKind.CALLBACK, approved, year.limit_keys(values),
                                                     timedelta(days=2))
        steps.append(Step(Action.APPROVE, approved, year.dispatcher, Status.REVIEWED,
                          payload={"deadlines": {"callback": [None, bulk.iso(callback_due)]}}))
        called = year._daytime(approved + year._minutes(120, 30 * 60))
        # Once: mostly solved the second time. Twice: still dissatisfied after each, hence the review suggested.
        if rounds == 1:
            resolution, satisfaction = rng.choice(OUTCOMES_AFTER_ONE)
        else:
            resolution, satisfaction = Resolution.UNRESOLVED, Satisfaction.UNSATISFIED
        steps.append(Step(Action.CALLBACK, called, year.reviewer, Status.CALLED_BACK,
                          note=rng.choice(texts.CALLBACK_NOTES[satisfaction.value]),
                          payload={"reached": True, "resolution": resolution.value,
                                   "satisfaction": satisfaction.value, "method": CallbackMethod.PHONE.value}))
        at = called
        values.update(replied_at=replied, reply_text=reply, callback_due_at=callback_due,
                      callback_warn_at=callback_warn, resolution=resolution, satisfaction=satisfaction,
                      callback_method=CallbackMethod.PHONE, callback_reached=True, callback_attempts=1,
                      unreachable=False)
    archive.at = at + year._minutes(5, 90)
    steps.append(archive)
    values.update(closed_at=archive.at, updated_at=archive.at, version=len(steps))


def _status_at(draft: Draft, at: datetime) -> Status:
    return [s for s in draft.steps if s.at <= at][-1].to_status


def link_threads(session: Session, drafts: list[Draft], *, dispatcher: User, units: dict[int, Unit]) -> None:
    """Each written duplicate and its main order in one thread, linked by the dispatcher when the repeat came
    in (an event in both trails); the latest thread with a standard reply. Call after ``bulk.write``."""
    pairs = sorted(((d.main, d) for d in drafts if d.main is not None), key=lambda p: p[1].values["created_at"])
    events: list[dict[str, Any]] = []
    last: OrderThread | None = None
    for main, duplicate in pairs:
        linked_at = duplicate.values["created_at"] + timedelta(minutes=3)
        thread = OrderThread(main_order_id=main.values["id"], citizen_phone=main.values["citizen_phone"],
                             title=main.values["title"], created_at=linked_at, created_by_id=dispatcher.id)
        session.add(thread)
        session.flush()
        last = thread
        for draft, source in ((main, LinkSource.STARTED), (duplicate, LinkSource.DISPATCHER)):
            session.add(ThreadMember(order_id=draft.values["id"], thread_id=thread.id, source=source,
                                     linked_at=linked_at, linked_by_id=dispatcher.id))
            status = _status_at(draft, linked_at)
            events.append({
                "order_id": draft.values["id"], "action": Action.LINK_THREAD, "from_status": status,
                "to_status": status, "actor_id": dispatcher.id, "actor_name": dispatcher.full_name,
                "actor_role": dispatcher.role, "actor_unit_id": dispatcher.unit_id,
                "actor_unit_name": dispatcher.unit.name,
                "note": f"归入诉求串 #{thread.id}（主工单 {main.values['number']}）",
                "payload": {"thread_id": thread.id, "main_order": main.values["number"]}, "at": linked_at})
    if events:
        session.execute(insert(_EVENTS), events)
    if last is not None:
        owner = units[pairs[-1][0].values["owner_unit_id"]]
        text = texts.STANDARD_REPLY.format(title=last.title, unit=owner.name)
        session.add(StandardReply(thread_id=last.id, text=text, written_by_id=dispatcher.id,
                                  written_by_name=dispatcher.full_name,
                                  written_at=last.created_at + timedelta(hours=1)))
    session.flush()
