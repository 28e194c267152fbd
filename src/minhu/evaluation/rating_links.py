"""Online direct rating (网上直评, 一事一评): the link texted to the citizen, and the answer it brings back.

When the centre approves a reply, an order whose citizen left a mobile number gets a link
``{base_url}/r/{token}``; its SMS goes through the outbox in the approval's transaction. The token is
random (128 bits), kept only as a digest, names one order and nothing else, and expires
(``MINHU_RATING_LINK_DAYS``). The answer closes the callback through ``orders.service.rate_online`` like
a reviewer's call; once the callback is closed — by the citizen, a reviewer, or as unreachable — the
link only shows what was answered.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.security import token_digest
from minhu.evaluation.models import RatingLink
from minhu.evaluation.schemas import RatingAnswer
from minhu.notify import service as outbox
from minhu.notify import templates
from minhu.notify.enums import NotifyChannel
from minhu.orders import queries
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status

TEMPLATE = "order.rate"
# token_urlsafe(16): 22 characters of [A-Za-z0-9_-]. Anything else is no token of ours and costs no query.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")

_valid_for = timedelta(days=7)


def configure(*, days: int) -> None:
    global _valid_for
    _valid_for = timedelta(days=days)


def link_url(token: str) -> str:
    return f"{templates.site_url()}/r/{token}"


def open_link(session: Session, order: WorkOrder, *, approval_id: int) -> str | None:
    """Give ``order`` a fresh rating link and text it to the citizen; returns the token, or None when the
    citizen left no mobile number (the reviewer calls instead).

    One link per order: a second approval (after 重办) replaces the first, whose token then leads nowhere.
    The SMS is keyed by the approval, so a retried transaction queues it once.
    """
    if not outbox.mobile_number(order.citizen_phone):
        return None
    token = secrets.token_urlsafe(16)
    now = clock.now()
    link = session.scalars(select(RatingLink).where(RatingLink.order_id == order.id)).first()
    if link is None:
        link = RatingLink(order_id=order.id)
        session.add(link)
    link.token_digest, link.created_at, link.expires_at = token_digest(token), now, now + _valid_for
    link.used_at = link.resolution = link.satisfaction = link.comment = None
    session.flush()
    assert order.citizen_phone is not None  # mobile_number said so
    outbox.enqueue_to_address(session, template=TEMPLATE, channel=NotifyChannel.SMS, address=order.citizen_phone,
                              recipient_name="市民", order_id=order.id, dedupe_key=f"{TEMPLATE}:{approval_id}",
                              context={"order_number": order.number, "rate_url": link_url(token),
                                       "expires_at": link.expires_at})
    return token


class LinkState(StrEnum):
    OPEN = "open"  # the citizen may answer
    ANSWERED = "answered"  # answered through this link: shown, read-only
    CLOSED = "closed"  # the callback was closed otherwise (a reviewer's call, unreachable, 重办)
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # no such token: mistyped, replaced, or never issued


@dataclass(frozen=True)
class RatingView:
    state: LinkState
    link: RatingLink | None = None
    order: WorkOrder | None = None


def _state(link: RatingLink, order: WorkOrder, now: datetime) -> LinkState:
    if link.used_at is not None:
        return LinkState.ANSWERED
    if order.status is not Status.REVIEWED:
        return LinkState.CLOSED
    if now >= link.expires_at:
        return LinkState.EXPIRED
    return LinkState.OPEN


def _find_link(session: Session, token: str) -> RatingLink | None:
    if not _TOKEN.fullmatch(token):
        return None
    return session.scalars(select(RatingLink).where(RatingLink.token_digest == token_digest(token))).first()


def view(session: Session, token: str) -> RatingView:
    """What the link ``token`` leads to now. Never raises for a bad token: the page says what is wrong."""
    link = _find_link(session, token)
    if link is None:
        return RatingView(LinkState.UNKNOWN)
    order = session.get_one(WorkOrder, link.order_id)
    return RatingView(_state(link, order, clock.now()), link, order)


def answer(session: Session, token: str, answer: RatingAnswer) -> RatingView:
    """Record the citizen's answer through link ``token`` and close the callback (an order event, RATE).

    The order is locked first, so a reviewer's call at the same moment and this answer cannot both close
    it; whichever comes second finds it closed. Returns the link's state after the attempt: ANSWERED when
    this answer was recorded, else why it was not (CLOSED, EXPIRED, UNKNOWN, or ANSWERED by an earlier one).
    """
    link = _find_link(session, token)
    if link is None:
        return RatingView(LinkState.UNKNOWN)
    # The number only: the order itself is loaded under the lock, so a rival's commit is what it reads.
    number = session.scalar(select(WorkOrder.number).where(WorkOrder.id == link.order_id))
    assert number is not None  # the foreign key says so
    order = queries.get_for_update(session, number, viewer=None)
    session.refresh(link)
    state = _state(link, order, clock.now())
    if state is not LinkState.OPEN:
        return RatingView(state, link, order)
    comment = answer.comment.strip()
    order_service.rate_online(session, order, resolution=answer.resolution, satisfaction=answer.satisfaction,
                              comment=comment)
    link.used_at, link.resolution, link.satisfaction = clock.now(), answer.resolution, answer.satisfaction
    link.comment = comment or None
    session.flush()
    return RatingView(LinkState.ANSWERED, link, order)
