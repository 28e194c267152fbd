"""The seed's 30分钟受理、3天办结、5天催办 acted on by the sweep: an order left unaccepted past its 30 minutes
urges the centre; a policy line that urges after its deadline urges then, once."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.core.errors import InvalidInput
from minhu.deadlines import policy as policy_files
from minhu.notify import queries as notify_queries
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import NotifyChannel
from minhu.notify.senders import InboxSender
from minhu.orders import service as order_service
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action
from minhu.supervision import setup
from minhu.supervision.sweep import sweep
from tests.factories import act, make_order, order_data
from tests.intake.test_pages import login
from tests.notify.helpers import POLICY

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


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


SEED_POLICY = policy_files.DEFAULT_POLICY.with_name("policy_3_days_urge_5.csv")


@pytest.fixture
def seed_rule(db):
    """The packaged example of seed 001's rule: three working days to finish, urged at the fifth."""
    with clock.frozen(at(2026, 11, 1)), db.transaction() as s:
        setup.seed_calendar(s)
        setup.load_policy_file(s, SEED_POLICY)
    return db


def _signed(db, world):
    """Dispatched Monday 2026-11-23 10:00, signed and answered at once: finish due Thursday 17:30."""
    with clock.frozen(at(2026, 11, 23, 10, 0)):
        order = make_order(db, world, upto=Action.DISPATCH)
        act(db, order.number, Action.SIGN, world.handler)
        return act(db, order.number, Action.HANDLE, world.handler, note="已联系市民")


def test_three_days_to_finish_and_an_urge_at_the_fifth_even_when_red(seed_rule, world):
    order = _signed(seed_rule, world)
    assert order.finish_due_at == at(2026, 11, 26, 17, 30)
    assert order.finish_urge_at == at(2026, 11, 30, 17, 30)  # 24, 25, 26, 27 and Monday the 30th
    # No urge at yellow: the line says when to urge. Red still tells the leader, long red still supervises.
    assert not _sweep(seed_rule, at(2026, 11, 26, 11, 0)).done
    assert _sweep(seed_rule, at(2026, 11, 26, 18, 0)).done == {"overdue:finish": 1}
    assert _sweep(seed_rule, at(2026, 11, 27, 18, 0)).done == {"supervise:finish": 1}
    assert not _sweep(seed_rule, at(2026, 11, 30, 17, 0)).done
    assert _sweep(seed_rule, at(2026, 11, 30, 17, 31)).done == {"urge:finish": 1}
    assert not _sweep(seed_rule, at(2026, 11, 30, 18, 0)).done  # once
    assert _urges(seed_rule, order) == [f"办结时限 2026-11-26 17:30 已过仍未办结，请 {world.street.name} 立即办理"]
    subjects = _inbox_subjects(seed_rule, world.handler, at(2026, 11, 30, 18, 1))
    assert f"【催办】工单 {order.number} 已超期未办结" in subjects


def test_a_sweep_after_a_gap_still_urges_past_the_deadline_once(seed_rule, world):
    order = _signed(seed_rule, world)
    done = _sweep(seed_rule, at(2026, 12, 2, 9, 0)).done
    assert done == {"urge:finish": 1, "overdue:finish": 1, "supervise:finish": 1}
    assert not _sweep(seed_rule, at(2026, 12, 2, 10, 0)).done
    assert len(_urges(seed_rule, order)) == 1


def test_an_order_finished_in_time_is_not_urged(seed_rule, world):
    order = _signed(seed_rule, world)
    with clock.frozen(at(2026, 11, 25, 10, 0)):
        act(seed_rule, order.number, Action.REPLY, world.handler, note="已处理完毕")
    assert not _sweep(seed_rule, at(2026, 12, 1, 9, 0)).done
    assert _urges(seed_rule, order) == []


def test_an_approved_extension_moves_the_urging_point_with_the_deadline(seed_rule, world):
    order = _signed(seed_rule, world)
    with clock.frozen(at(2026, 11, 24, 10, 0)):
        act(seed_rule, order.number, Action.ASK_EXTENSION, world.handler, note="需燃气公司配合",
            extend_to="2026-12-03T17:30:00+08:00")
        extended = act(seed_rule, order.number, Action.APPROVE_EXTENSION, world.dispatcher, note="同意")
    assert extended.finish_due_at == at(2026, 12, 3, 17, 30)
    assert extended.finish_urge_at == at(2026, 12, 7, 17, 30)  # two working days after Thursday the 3rd
    assert "urge:finish" not in _sweep(seed_rule, at(2026, 12, 1, 9, 0)).done


def _policy_with(tmp_path, finish_line: str):
    text = policy_files.DEFAULT_POLICY.read_text("utf-8").replace(
        "finish,,,,,,3,working_days,,,3个工作日办结", finish_line)
    path = tmp_path / "urge.csv"
    path.write_text(text, "utf-8")
    return path


def test_a_line_may_urge_days_before_its_deadline_instead_of_at_yellow(db, world, tmp_path):
    """A county's rule: three working days, urged two days before the deadline."""
    path = _policy_with(tmp_path, "finish,,,,,,3,working_days,,-2,3个工作日办结，到期前2个工作日催办")
    with clock.frozen(at(2026, 11, 1)), db.transaction() as s:
        setup.seed_calendar(s)
        setup.load_policy_file(s, path)
    order = _signed(db, world)
    assert order.finish_urge_at == at(2026, 11, 24, 17, 30)
    assert _sweep(db, at(2026, 11, 24, 17, 31)).done == {"urge:finish": 1}
    assert not _sweep(db, at(2026, 11, 26, 11, 0)).done  # not urged again at yellow
    # An extension keeps "two working days before": the 3rd of December's deadline is urged on the 1st.
    with clock.frozen(at(2026, 11, 25, 10, 0)):
        act(db, order.number, Action.ASK_EXTENSION, world.handler, note="需协调", extend_to="2026-12-03T17:30:00+08:00")
        extended = act(db, order.number, Action.APPROVE_EXTENSION, world.dispatcher, note="同意")
    assert extended.finish_urge_at == at(2026, 12, 1, 17, 30)


@pytest.mark.parametrize(("line", "expected"), [
    ("accept,,,,,,0.5,calendar_hours,,1,\n", "只适用于签收、响应、办结时限"),
    ("finish,B,,,,,3,working_days,,-3,\n", "早于计时起点"),
    ("finish,B,,,,,3,working_days,,1.5,\n", "须为整数"),
    ("finish,B,,,,,3,working_days,,两天,\n", "须为数字"),
])
def test_a_bad_urging_point_is_refused_in_chinese(line, expected):
    text = policy_files.DEFAULT_POLICY.read_text("utf-8") + line
    with pytest.raises(InvalidInput) as error:
        policy_files.parse_policy(text.encode("utf-8"), setup.ALLOWED_KEYS)
    assert any(expected in d["message"] for d in error.value.details), error.value.details


def test_the_time_limits_page_says_when_each_line_urges(client, seed_rule, world):
    login(client, world.admin)
    page = client.get("/admin/time-limits").text
    assert "超期 2 工作日后" in page
    assert "亮黄灯时" in page
    assert "超时即催办指挥中心" in page
