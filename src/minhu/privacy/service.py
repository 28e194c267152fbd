"""Anonymising, exporting and erasing a citizen's personal data, while the statistics stay whole.

**What is personal.** The name and phone a citizen left; the phone numbers, ID-card numbers, car plates and
door numbers in the words of the request, its address and the reply; the Open311 reporter's e-mail, device and
names; the numbers the outbox sent the citizen's messages to; the one-time codes sent to the phone.

**What anonymising does.** Those fields are emptied, or masked in the text with the message board's masking
(``138****5678``, ``3栋*单元***室``), and the order is marked ``anonymised_at``; a trail entry says when and why.
Category, place (street, community, grid and map point), times, owner, lights, the reply's gist and the
citizen's rating stay, so every rate, ranking, bulletin and map computed before is computed the same after.
The trail keeps who did what and when; its notes — a citizen's online rating comment, an Open311 reporter's
follow-ups, a handler's "called 139…" — are masked as the words are, the one change ever made to a trail entry.
Photos stay with the order as evidence of the work.

**When.** Orders closed more than ``MINHU_CITIZEN_DATA_DAYS`` ago, by the worker's daily ``privacy.retention``
job; one citizen's orders at once when they ask (``minhu citizens erase``). ``minhu citizens export`` gives a
citizen everything kept about them, and leaves a trail entry on each order it read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from minhu.board.masking import mask
from minhu.core import clock
from minhu.core.db import Database, rows_changed
from minhu.core.errors import field_error
from minhu.core.security import mask_phone
from minhu.duplicates.models import OrderFingerprint
from minhu.evaluation.models import OrderThread, RatingLink
from minhu.intake import phone_codes
from minhu.intake.models import PhoneCode
from minhu.knowledge import service as knowledge
from minhu.notify.models import OutboxMessage
from minhu.notify.service import mobile_number
from minhu.open311.models import Open311Request, Open311Update
from minhu.orders import queries, trail
from minhu.orders.models import CallbackAttempt, OrderEvent, WorkOrder
from minhu.orders.states import ACTION_LABELS, STATUS_LABELS, Action, Status
from minhu.org.models import User

BATCH = 500
# The columns' lengths (String(200), String(500)): masking must not make a value the database refuses.
TITLE_LENGTH = 200
ADDRESS_LENGTH = 500
# One-time codes only prove a phone for a few minutes; a day later they are only a record of the number.
CODES_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Anonymised:
    orders: int
    codes: int


def _masked(text: str | None, *, name: str | None = None, length: int | None = None,
            also: Sequence[str] = ()) -> str | None:
    """``text`` with its personal data masked, and the citizen's own name (and the names in ``also``: an Open311
    reporter's) where they appear; cut to ``length`` (masking can lengthen a plate by its separator, and the
    column holds no more)."""
    if not text:
        return text
    masked = mask(text).text
    for each in (name, *also):
        if each and len(each.strip()) >= 2:
            masked = masked.replace(each.strip(), each.strip()[0] + "*" * (len(each.strip()) - 1))
    return masked[:length] if length else masked


def _reporter_names(session: Session, order: WorkOrder) -> tuple[str, ...]:
    """The names an Open311 client gave for the order's reporter, as its follow-ups in the trail name them."""
    names = session.execute(select(Open311Request.last_name, Open311Request.first_name)
                            .where(Open311Request.order_id == order.id)).first()
    if names is None:
        return ()
    parts = [p for p in names if p and p != "-"]
    return tuple(n for n in ("".join(parts), *parts) if n)


def anonymise(session: Session, orders: Sequence[WorkOrder], *, actor: User | None, reason: str) -> int:
    """Anonymise ``orders`` (those not done before) and say so in each one's trail; returns how many."""
    now = clock.now()
    done = 0
    for order in orders:
        if order.anonymised_at is not None:
            continue
        phone, name = order.citizen_phone, order.citizen_name
        order.citizen_name = None
        order.citizen_phone = None
        order.title = _masked(order.title, name=name, length=TITLE_LENGTH) or ""
        order.content = _masked(order.content, name=name) or ""
        order.address = _masked(order.address, name=name, length=ADDRESS_LENGTH)
        order.reply_text = _masked(order.reply_text, name=name)
        order.anonymised_at = now
        # The fingerprint's reading holds the words themselves; an anonymised order is matched with nothing more.
        session.execute(delete(OrderFingerprint).where(OrderFingerprint.order_id == order.id))
        # The past case similar-case search shows is written again from the anonymised words; a guiding case
        # made of the order (and its kept versions) masks the name too.
        knowledge.forget_citizen_in_cases(session, order, name=name)
        for thread in session.scalars(select(OrderThread).where(OrderThread.main_order_id == order.id)):
            thread.citizen_phone = None
            thread.title = _masked(thread.title, name=name, length=TITLE_LENGTH) or ""
        reporter = _reporter_names(session, order)
        for follow_up in session.scalars(select(Open311Update).where(Open311Update.order_id == order.id)):
            follow_up.description = _masked(follow_up.description, name=name, also=reporter) or ""
        for attempt in session.scalars(select(CallbackAttempt).where(CallbackAttempt.order_id == order.id,
                                                                     CallbackAttempt.note != "")):
            attempt.note = _masked(attempt.note, name=name) or ""
        session.execute(update(Open311Request).where(Open311Request.order_id == order.id).values(
            email=None, device_id=None, account_id=None, first_name=None, last_name=None))
        for link in session.scalars(select(RatingLink).where(RatingLink.order_id == order.id)):
            link.comment = _masked(link.comment, name=name)
        if phone:
            for message in session.scalars(select(OutboxMessage).where(OutboxMessage.order_id == order.id,
                                                                       OutboxMessage.recipient == phone)):
                message.recipient = mask_phone(phone) or ""
                message.subject = _masked(message.subject, name=name) or ""
                message.body = _masked(message.body, name=name) or ""
        session.flush()  # the database lets a trail entry be masked only once the order is marked anonymised
        for event in session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)):
            event.note = _masked(event.note, name=name, also=reporter) or ""
            if event.actor_id is None:  # a citizen or a client system, named as they gave their name
                event.actor_name = _masked(event.actor_name, name=name, also=reporter) or ""
        trail.append_event(session, order, Action.ANONYMISE, actor=actor, from_status=order.status, note=reason,
                           anonymous_name="系统")
        done += 1
    session.flush()
    return done


def retention_cutoff(days: int) -> datetime:
    return clock.now() - timedelta(days=days)


def anonymise_expired(session: Session, *, days: int) -> Anonymised:
    """The retention rule: anonymise orders closed more than ``days`` ago (at most ``BATCH`` a call, so one
    transaction stays short; the job calls again while there are more), and delete day-old one-time codes."""
    cutoff = retention_cutoff(days)
    due = session.scalars(select(WorkOrder).where(WorkOrder.anonymised_at.is_(None), WorkOrder.closed_at < cutoff)
                          .order_by(WorkOrder.closed_at).limit(BATCH)).all()
    done = anonymise(session, due, actor=None, reason=f"保存期满（结案满 {days} 天），个人信息已匿名化")
    day_ago = clock.now() - CODES_KEPT
    codes = session.execute(delete(PhoneCode).where(PhoneCode.created_at < day_ago))
    # The code's SMS in the outbox names the number too; a day later it has been sent or given up.
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.template_key == phone_codes.TEMPLATE,
                                                               OutboxMessage.created_at < day_ago,
                                                               OutboxMessage.recipient.not_like("%*%"))):
        message.recipient = mask_phone(message.recipient) or ""
        message.body = _masked(message.body) or ""
    return Anonymised(done, rows_changed(codes))


def retention_job(days: int) -> Callable[[Database], None]:
    """The worker's job: one batch of expired orders per run (it runs hourly, so a backlog drains steadily)."""
    def run(db: Database) -> None:
        # Batch after batch, each its own short transaction, for at most a minute: a first run over years of
        # history drains over a few hours without holding the database.
        until = time.monotonic() + 60
        while time.monotonic() < until:
            with db.transaction() as session:
                if anonymise_expired(session, days=days).orders < BATCH:
                    return

    return run


def _citizen_orders(session: Session, phone: str) -> list[WorkOrder]:
    number = mobile_number(phone) or phone.strip()
    if not number or "\x00" in number:
        raise field_error("phone", "请填写诉求人的电话号码")
    return list(session.scalars(select(WorkOrder).where(or_(WorkOrder.citizen_phone == number,
                                                            WorkOrder.citizen_phone == phone.strip()))
                                .order_by(WorkOrder.created_at, WorkOrder.id)))


def erase_citizen(session: Session, phone: str, *, actor: User | None) -> Anonymised:
    """On the citizen's request: anonymise every order made with ``phone`` now, and forget the codes sent to it."""
    orders = _citizen_orders(session, phone)
    done = anonymise(session, orders, actor=actor, reason="应诉求人申请删除个人信息，已匿名化")
    number = mobile_number(phone) or phone.strip()
    codes = session.execute(delete(PhoneCode).where(PhoneCode.phone == number))
    return Anonymised(done, rows_changed(codes))


def export_citizen(session: Session, phone: str, *, actor: User | None) -> dict[str, Any]:
    """Everything kept about the citizen of ``phone``: each order with what they said, where it stands, its public
    steps and the approved reply. Each order read gets a trail entry naming who exported it."""
    orders = _citizen_orders(session, phone)
    exported = []
    for order in orders:
        steps = [{"at": e.at.astimezone(clock.city_tz()).isoformat(), "step": ACTION_LABELS[e.action]}
                 for e in queries.events_of(session, order) if e.action not in queries.PRIVATE_ACTIONS]
        exported.append({
            "number": order.number, "created_at": order.created_at.astimezone(clock.city_tz()).isoformat(),
            "name": order.citizen_name, "phone": order.citizen_phone, "anonymous": order.anonymous,
            "confidential": order.confidential, "title": order.title, "content": order.content,
            "address": order.address, "latitude": order.latitude, "longitude": order.longitude,
            "status": STATUS_LABELS[order.status],
            "reply": order.reply_text if order.status in (Status.REVIEWED, Status.CALLED_BACK, Status.ARCHIVED)
            else None,
            "steps": steps})
        trail.append_event(session, order, Action.VIEW_PHONE, actor=actor, from_status=order.status,
                           note="应诉求人申请导出其个人信息", payload={"export": "citizen"},
                           anonymous_name="命令行导出")
    session.flush()
    return {"phone": mobile_number(phone) or phone.strip(), "exported_at": clock.now().isoformat(),
            "orders": exported}
