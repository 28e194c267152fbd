"""Orders drafted in memory and written with a few bulk inserts: the rows ``orders.service`` would have written
one order at a time — the order, its trail of events in sequence, its calls (吹哨) — and the daily number
sequences moved on past the numbers used, so the next order of a day gets the next number."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import Base
from minhu.dashboard import rollup
from minhu.demo import texts
from minhu.orders.models import OrderCall, OrderEvent, OrderSequence, WorkOrder
from minhu.orders.states import Action, Status
from minhu.org.models import User

_ORDERS = Base.metadata.tables[WorkOrder.__tablename__]
_EVENTS = Base.metadata.tables[OrderEvent.__tablename__]
_CALLS = Base.metadata.tables[OrderCall.__tablename__]
_SEQUENCES = Base.metadata.tables[OrderSequence.__tablename__]


@dataclass
class Step:
    """One event of an order's trail; the status it leaves the order in."""

    action: Action
    at: datetime
    actor: User | None
    to_status: Status
    note: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    anonymous_name: str = "系统"


@dataclass
class Draft:
    """One order before it is written: its columns, its steps in time order, its calls, the order it duplicates."""

    values: dict[str, Any]
    steps: list[Step]
    calls: list[dict[str, Any]] = field(default_factory=list)
    main: Draft | None = None


def iso(instant: datetime | None) -> str | None:
    """A deadline as the trail shows it: city time."""
    return instant.astimezone(clock.city_tz()).isoformat() if instant is not None else None


def value(member: Any) -> Any:
    return getattr(member, "value", member)


def base_values() -> dict[str, Any]:
    """Every column of an order but its id, so all rows of one bulk insert have the same keys."""
    values: dict[str, Any] = {c.name: None for c in _ORDERS.columns if c.name != "id"}
    values.update(anonymous=False, confidential=False, deadlines_provisional=False, callback_attempts=0,
                  unreachable=False)
    return values


def _number(session: Session, drafts: list[Draft], prefix: str) -> None:
    """Numbers in creation order, after those each day already issued; the sequences move on past them."""
    used = {row.day: row.last_value for row in session.scalars(select(OrderSequence)
                                                               .where(OrderSequence.prefix == prefix))}
    known = dict(used)
    tz = clock.city_tz()
    for draft in drafts:
        day = draft.values["created_at"].astimezone(tz).strftime("%Y%m%d")
        used[day] = used.get(day, 0) + 1
        draft.values["number"] = f"{prefix}{day}{used[day]:06d}"
    fresh = [{"prefix": prefix, "day": day, "last_value": last} for day, last in used.items() if day not in known]
    moved = [{"p": prefix, "d": day, "v": last} for day, last in used.items() if day in known and known[day] != last]
    if fresh:
        session.execute(insert(_SEQUENCES), fresh)
    if moved:
        session.execute(update(_SEQUENCES)
                        .where(_SEQUENCES.c.prefix == bindparam("p"), _SEQUENCES.c.day == bindparam("d"))
                        .values(last_value=bindparam("v")), moved)


def write(session: Session, drafts: list[Draft], prefix: str) -> None:
    drafts.sort(key=lambda d: d.values["created_at"])
    _number(session, drafts, prefix)
    for draft in drafts:
        if draft.main is not None:  # a merged duplicate's reply names its main order
            reply = texts.DUPLICATE_REPLY.format(number=draft.main.values["number"])
            draft.values["reply_text"] = reply
            for step in draft.steps:
                if step.action is Action.REPLY:
                    step.note = reply
    # One executemany, then the ids by number: RETURNING over thousands of rows goes a row at a time on SQLite.
    before = session.scalar(select(func.max(_ORDERS.c.id))) or 0
    session.execute(insert(_ORDERS), [d.values for d in drafts])
    rollup.count_rows(session, (d.values for d in drafts))  # the dashboard's daily counts, as intake keeps them
    rows = session.execute(select(_ORDERS.c.number, _ORDERS.c.id).where(_ORDERS.c.id > before)).all()
    ids = {row.number: row.id for row in rows}
    for draft in drafts:
        draft.values["id"] = ids[draft.values["number"]]
    merged = [{"dup": d.values["id"], "main": d.main.values["id"]} for d in drafts if d.main is not None]
    if merged:
        session.execute(update(_ORDERS).where(_ORDERS.c.id == bindparam("dup"))
                        .values(duplicate_of_id=bindparam("main")), merged)
    events: list[dict[str, Any]] = []
    for draft in drafts:
        previous: Status | None = None
        for step in draft.steps:
            actor = step.actor
            events.append({
                "order_id": draft.values["id"], "action": step.action, "from_status": previous,
                "to_status": step.to_status, "actor_id": actor.id if actor else None,
                "actor_name": actor.full_name if actor else step.anonymous_name,
                "actor_role": actor.role if actor else None, "actor_unit_id": actor.unit_id if actor else None,
                "actor_unit_name": actor.unit.name if actor else None, "note": step.note, "payload": step.payload,
                "at": step.at})
            previous = step.to_status
    session.execute(insert(_EVENTS), events)
    calls = [{**call, "order_id": draft.values["id"]} for draft in drafts for call in draft.calls]
    if calls:
        session.execute(insert(_CALLS), calls)
