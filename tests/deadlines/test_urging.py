"""The seed's 30分钟受理、3天办结、5天催办 acted on by the sweep: an order left unaccepted past its 30 minutes
urges the centre; a policy line that urges after its deadline urges then, once."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.notify import queries as notify_queries
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import NotifyChannel
from minhu.notify.senders import InboxSender
from minhu.orders import service as order_service
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action
from minhu.supervision import setup
from minhu.supervision.sweep import sweep
from tests.factories import act, order_data
from tests.notify.helpers import POLICY

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def timed(db):
    with clock.frozen(at(2026, 11, 1)), db.transaction() as s:
        setup.seed_calendar(s)
        setup.load_policy_file(s)
    return db


def _web_order(db) -> WorkOrder:
    """A message left on the web board on Monday 2026-11-23 at 10:00: it waits for the centre to accept it."""
    with clock.frozen(at(2026, 11, 23, 10, 0)), db.transaction() as s:
        return order_service.create_order(s, order_data(channel="web_board"), actor=None)


def _sweep(db, when):
    with clock.frozen(when):
        return sweep(db)


def _urges(db, order):
    with db.read() as s:
        return [e.note for e in s.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                                   OrderEvent.action == Action.URGE))]


def _inbox_subjects(db, user, when):
    with clock.frozen(when):
        deliver_due(db, {NotifyChannel.INBOX: InboxSender()}, POLICY)
    with db.read() as s:
        return [m.subject for m in notify_queries.inbox(s, user)]


@pytest.mark.parametrize("policy_loaded", [True, False])
def test_an_order_not_accepted_in_30_minutes_urges_the_centre_once(db, world, policy_loaded):
    if policy_loaded:
        with clock.frozen(at(2026, 11, 1)), db.transaction() as s:
            setup.seed_calendar(s)
            setup.load_policy_file(s)
    order = _web_order(db)
    assert not _sweep(db, at(2026, 11, 23, 10, 29)).done  # 29 minutes: still within the limit
    assert _urges(db, order) == []
    assert _sweep(db, at(2026, 11, 23, 10, 31)).done == {"urge:accept": 1}
    assert not _sweep(db, at(2026, 11, 23, 10, 45)).done  # a second run urges nothing more
    assert _urges(db, order) == [f"受理时限 2026-11-23 10:30 已过，工单仍未受理，请{world.centre.name}尽快受理"]
    when = at(2026, 11, 23, 10, 46)
    assert _inbox_subjects(db, world.dispatcher, when) == [f"【催办】工单 {order.number} 超过受理时限仍未受理"]
    assert _inbox_subjects(db, world.handler, when) == []  # nobody outside the centre is told


def test_an_order_accepted_in_time_is_not_urged(timed, world):
    order = _web_order(timed)
    with clock.frozen(at(2026, 11, 23, 10, 20)):
        act(timed, order.number, Action.ACCEPT, world.operator)
    assert "urge:accept" not in _sweep(timed, at(2026, 11, 23, 11, 0)).done
    assert _urges(timed, order) == []
