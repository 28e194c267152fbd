"""Deadlines of real orders under the time-limit policy: set at intake, restarted by each dispatch with the
trail saying what moved, kept when the policy changes; a bad policy file loads nothing."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from minhu.core import clock
from minhu.core.errors import InvalidInput
from minhu.deadlines import policy as policy_files
from minhu.deadlines import service as deadlines
from minhu.orders import queries
from minhu.orders import service as order_service
from minhu.orders.states import Action
from minhu.supervision import setup
from tests.factories import act, order_data

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = "limit,grade,type,urgency,channel,limit_class,amount,unit,warn_hours,note\n"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def _create(db, world, **overrides):
    with db.transaction() as s:
        return order_service.create_order(s, order_data(**overrides), actor=world.operator if overrides.pop(
            "by_operator", True) else None)


def test_an_order_taken_the_evening_before_national_day_is_due_after_the_holiday(timed, world):
    with clock.frozen(at(2026, 9, 30, 20, 15)):
        order = _create(timed, world)
    assert order.finish_due_at == at(2026, 10, 10, 17, 30)  # the make-up Saturday, close of business
    # Yellow when a fifth of the working time is left: 3 days × 7 h = 21 h, so 4 h 12 min of working time
    # before the end — the afternoon's four hours and twelve minutes before lunch.
    assert order.finish_warn_at == at(2026, 10, 10, 11, 48)
    assert not order.deadlines_provisional
    assert order.policy_id is not None


def test_a_web_order_must_be_accepted_within_thirty_minutes(timed, world):
    with clock.frozen(at(2026, 11, 23, 23, 50)), timed.transaction() as s:
        order = order_service.create_order(s, order_data(channel="web_board"), actor=None)
    assert order.accept_due_at == at(2026, 11, 24, 0, 20)  # calendar time, across midnight
    assert order.accept_warn_at == at(2026, 11, 24, 0, 14)


def test_each_dispatch_restarts_the_units_clocks_and_the_trail_says_what_moved(timed, world):
    with clock.frozen(at(2026, 11, 23, 10, 0)):
        order = _create(timed, world)
    with clock.frozen(at(2026, 11, 24, 16, 0)):
        dispatched = act(timed, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    assert dispatched.sign_due_at == at(2026, 11, 25, 9, 30)  # 2 working hours: 16:00–17:30, then 9:00–9:30
    assert dispatched.respond_due_at == at(2026, 11, 25, 17, 30)
    assert dispatched.finish_due_at == at(2026, 11, 27, 17, 30)
    with timed.read() as s:
        event = queries.events_of(s, s.get_one(type(order), order.id))[-1]
    assert event.payload["deadlines"]["finish"] == [at(2026, 11, 26, 17, 30).isoformat(),
                                                    at(2026, 11, 27, 17, 30).isoformat()]
    with clock.frozen(at(2026, 11, 25, 9, 10)):
        act(timed, order.number, Action.SIGN, world.handler)
        handled = act(timed, order.number, Action.HANDLE, world.handler, note="已电话联系市民")
    assert handled.responded_at == at(2026, 11, 25, 9, 10)


def test_urgency_outweighs_the_grade_and_a_year_nobody_entered_is_provisional(timed, world):
    with clock.frozen(at(2026, 11, 23, 10, 0)):
        urgent = _create(timed, world, urgency="emergency")
    assert urgent.finish_due_at == at(2026, 11, 23, 14, 0)
    with clock.frozen(at(2026, 12, 29, 10, 0)):
        late_december = _create(timed, world)
    assert late_december.finish_due_at.astimezone(SHANGHAI).year == 2027
    assert late_december.deadlines_provisional


def test_a_new_policy_does_not_move_the_deadlines_of_orders_taken_before_it(timed, world, tmp_path):
    with clock.frozen(at(2026, 11, 23, 10, 0)):
        before = _create(timed, world)
    longer = policy_files.DEFAULT_POLICY.read_text("utf-8").replace(
        "finish,,,,,,3,working_days,,,3个工作日办结", "finish,,,,,,5,working_days,,,5个工作日办结")
    path = tmp_path / "policy.csv"
    path.write_text(longer, "utf-8")
    with timed.transaction() as s:
        setup.load_policy_file(s, path)
    with clock.frozen(at(2026, 11, 23, 10, 0)):
        after = _create(timed, world)
    assert after.finish_due_at == at(2026, 11, 30, 17, 30)
    with clock.frozen(at(2026, 11, 23, 11, 0)):
        redispatched = act(timed, before.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    assert redispatched.finish_due_at == at(2026, 11, 26, 17, 30)  # its own policy: still 3 working days
    assert redispatched.policy_id == before.policy_id != after.policy_id


@pytest.mark.parametrize(("body", "expected"), [
    ("accept,,,,,,0.5,calendar_hours,,\nfinish,,,,,,3,weeks,,\n", "单位 'weeks' 无效"),
    ("accept,,,,,,0.5,calendar_hours,,\naccept,,,,,,1,calendar_hours,,\n", "与第 2 行"),
    ("accept,Z,,,,,0.5,calendar_hours,,\n", "grade 的值 'Z' 无效"),
    ("accept,,,,,,-1,calendar_hours,,\n", "须为大于 0"),
    ("accept,,,,,,1.5,working_days,,\n", "工作日须为整数"),
    ("accept,,,,,,0.5,calendar_hours,,\n", "缺少“sign”的默认行"),
])
def test_a_bad_policy_file_names_its_lines_and_loads_nothing(db, body, expected):
    with pytest.raises(InvalidInput) as error:
        policy_files.parse_policy((HEADER + body).encode("utf-8"), setup.ALLOWED_KEYS)
    assert any(expected in d["message"] for d in error.value.details), error.value.details
    with db.read() as s:
        assert deadlines.active_policy(s) is None


def test_a_gb18030_policy_file_is_named_as_such():
    with pytest.raises(InvalidInput, match="GB18030"):
        policy_files.parse_policy((HEADER + "accept,,,,,,0.5,calendar_hours,,三十分钟\n").encode("gb18030"),
                                  setup.ALLOWED_KEYS)


def test_the_calendar_commands_seed_warn_and_take_a_day_by_hand(run, db):
    with clock.frozen(at(2026, 11, 29, 10, 0)):
        seeded = run("calendar", "seed")
        assert seeded.exit_code == 0, seeded.output
        assert "2026" in seeded.stdout
        assert "2027 年的节假日尚未录入" in seeded.stderr
        entered = run("calendar", "set", "2027-01-01", "holiday", "--name", "元旦")
        assert entered.exit_code == 0, entered.output
        with db.read() as s:
            assert 2027 not in deadlines.unknown_years_ahead(s, today=at(2026, 11, 29).date())
    refused = run("calendar", "set", "2027-13-01", "holiday")
    assert refused.exit_code != 0
    assert "无效" in refused.output
    loaded = run("policy", "load")
    assert loaded.exit_code == 0, loaded.output
    assert "已生效（18 条）" in loaded.stdout
