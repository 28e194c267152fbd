"""Clock changes: suspension stops the 办结 clock and resumption restarts it with the working time left; an
extension is asked with a reason and a date and decided by the centre; every move is in the trail."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from minhu.core import clock
from minhu.core.errors import InvalidInput
from minhu.deadlines.models import LimitKind
from minhu.orders import clocks, queries
from minhu.orders.errors import IllegalAction
from minhu.orders.lights import lights_of
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action, Status
from minhu.supervision import setup
from tests.factories import act, make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def signed(db, world):
    """Dispatched Monday 2026-11-23 10:00 and signed: finish due Thursday 11-26 17:30."""
    with clock.frozen(at(2026, 11, 1)), db.transaction() as s:
        setup.seed_calendar(s)
        setup.load_policy_file(s)
    with clock.frozen(at(2026, 11, 23, 10, 0)):
        order = make_order(db, world, upto=Action.DISPATCH)
        return act(db, order.number, Action.SIGN, world.handler)


def _last_event(db, order):
    with db.read() as s:
        return queries.events_of(s, s.get_one(WorkOrder, order.id))[-1]


def test_suspension_stops_the_clock_and_resumption_gives_back_the_time_left(db, world, signed):
    with clock.frozen(at(2026, 11, 25, 17, 30)):  # one working day (7 h) left
        suspended = act(db, signed.number, Action.SUSPEND, world.dispatcher, note="等待鉴定结果")
    assert suspended.status is Status.SUSPENDED
    assert suspended.finish_due_at is None
    assert suspended.finish_left_minutes == 7 * 60
    assert lights_of(suspended, at(2026, 12, 10)) == []  # no clock runs, nothing turns red
    with pytest.raises(IllegalAction):
        act(db, signed.number, Action.REPLY, world.handler, note="答复")
    with clock.frozen(at(2026, 12, 1, 9, 0)):  # a Tuesday, a week later
        resumed = act(db, signed.number, Action.RESUME, world.dispatcher)
    assert resumed.status is Status.HANDLING
    assert resumed.finish_due_at == at(2026, 12, 1, 17, 30)
    assert _last_event(db, signed).payload["deadlines"]["finish"] == [None, at(2026, 12, 1, 17, 30).isoformat()]


def test_an_extension_is_asked_with_a_date_and_decided_by_the_centre(db, world, signed):
    with clock.frozen(at(2026, 11, 24, 10, 0)):
        with pytest.raises(InvalidInput, match="不能早于现在"):
            act(db, signed.number, Action.ASK_EXTENSION, world.handler, note="需协调",
                extend_to="2026-11-20T10:00:00+08:00")
        with pytest.raises(InvalidInput, match="须晚于当前办结时限 2026-11-26 17:30") as error:
            act(db, signed.number, Action.ASK_EXTENSION, world.handler, note="需协调",
                extend_to="2026-11-26T12:00:00+08:00")
        assert error.value.details[0]["field"] == "extend_to"
        with pytest.raises(IllegalAction):  # nothing to decide yet
            act(db, signed.number, Action.APPROVE_EXTENSION, world.dispatcher)
        act(db, signed.number, Action.ASK_EXTENSION, world.handler, note="需燃气公司配合更换管道",
            extend_to="2026-12-03T17:30:00+08:00")
        with pytest.raises(InvalidInput, match="待指挥中心审核"):
            act(db, signed.number, Action.ASK_EXTENSION, world.handler, note="再申请",
                extend_to="2026-12-04T17:30:00+08:00")
        with pytest.raises(IllegalAction):  # the unit does not decide its own request
            act(db, signed.number, Action.APPROVE_EXTENSION, world.handler)
    with clock.frozen(at(2026, 11, 24, 11, 0)):
        approved = act(db, signed.number, Action.APPROVE_EXTENSION, world.dispatcher, note="同意")
    assert approved.finish_due_at == at(2026, 12, 3, 17, 30)
    assert approved.finish_warn_at is not None
    assert approved.finish_warn_at < approved.finish_due_at
    assert _last_event(db, signed).payload["deadlines"]["finish"] == [at(2026, 11, 26, 17, 30).isoformat(),
                                                                    at(2026, 12, 3, 17, 30).isoformat()]
    with clock.frozen(at(2026, 11, 25, 10, 0)):
        act(db, signed.number, Action.ASK_EXTENSION, world.handler, note="再延一周",
            extend_to="2026-12-10T17:30:00+08:00")
        refused = act(db, signed.number, Action.REFUSE_EXTENSION, world.dispatcher, note="请按期办结")
    assert refused.finish_due_at == at(2026, 12, 3, 17, 30)
    with db.read() as s:
        decisions = [(x.approved, x.decision_note) for x in s.get_one(WorkOrder, signed.id).extensions]
    assert decisions == [(True, "同意"), (False, "请按期办结")]


def test_an_archived_order_cannot_be_suspended(db, world):
    order = make_order(db, world, upto=Action.ARCHIVE)
    with pytest.raises(IllegalAction):
        act(db, order.number, Action.SUSPEND, world.dispatcher, note="挂起")


def test_a_restart_that_lands_on_the_same_deadline_says_nothing_moved(db, world, signed):
    with clock.frozen(at(2026, 11, 23, 10, 0)), db.transaction() as s:
        order = s.get_one(WorkOrder, signed.id)
        # The same start gives the same deadlines: the trail must not show "17:30 → 17:30".
        assert clocks.start(s, order, [LimitKind.FINISH], at(2026, 11, 23, 10, 0)) == {}
        moved = clocks.start(s, order, [LimitKind.FINISH], at(2026, 11, 24, 10, 0))
    assert list(moved) == ["finish"]
    assert moved["finish"][0] != moved["finish"][1]
