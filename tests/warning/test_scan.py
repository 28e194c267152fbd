"""Early warning (未诉先办): a planted spike raises one warning and tells the street with the orders behind it;
a category rising in its season as it did last year does not; one or two orders never warn; no history, no
warning and no error; a second scan adds nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from minhu.core import clock
from minhu.core.errors import InvalidInput
from minhu.notify.enums import NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.orders.models import WorkOrder
from minhu.routing import catalog
from minhu.warning import method
from minhu.warning import policy as policies
from minhu.warning.models import EarlyWarning, WarningState
from tests.factories import insert_archived
from tests.warning.builders import BACKGROUND, DRAINS, HEATING, WEEK, plant, plant_background, run_scan, week_of


def warnings(db) -> list[EarlyWarning]:
    with db.read() as s:
        return list(s.scalars(select(EarlyWarning).order_by(EarlyWarning.id)))


def inbox(db, user) -> list[OutboxMessage]:
    with db.read() as s:
        return list(s.scalars(select(OutboxMessage).where(
            OutboxMessage.template_key == "warning.raised", OutboxMessage.user_id == user.id,
            OutboxMessage.channel == NotifyChannel.INBOX.value)))


@pytest.fixture
def spike(db, world) -> list[int]:
    """Ten weeks of a steady trickle, drains asked about about once a fortnight — and ten this week."""
    plant_background(db, world, range(1, 11))
    for offset in (2, 5, 8):
        plant(db, world, week=week_of(offset), category=DRAINS, n=1)
    return plant(db, world, week=WEEK, category=DRAINS, n=10)


def test_a_planted_spike_raises_a_warning_with_the_orders_behind_it(db, world, spike):
    result = run_scan(db)
    [warning] = warnings(db)
    assert (warning.community_id, warning.street_id, warning.category_code) == (world.community.id, world.street.id,
                                                                                 "0803")
    assert warning.week_start == WEEK
    assert warning.state is WarningState.NEW
    assert warning.observed == 10
    assert sorted(warning.order_ids) == spike
    assert warning.expected == pytest.approx(0.5)  # three in eight weeks: 0.375, under the floor
    assert warning.p_value < 1e-6
    assert result.raised == [warning.id]


def test_the_street_is_told_with_the_orders_listed(db, world, spike):
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    run_scan(db)
    [message] = inbox(db, world.handler)
    assert "和平社区" in message.subject
    assert "市政设施" in message.subject
    with db.read() as s:
        numbers = list(s.scalars(select(WorkOrder.number).where(WorkOrder.id.in_(spike))))
    assert all(number in message.body for number in numbers)
    assert "10 件" in message.body
    # The other street hears nothing of it.
    assert inbox(db, world.other_handler) == []


def test_scanning_again_makes_no_second_warning_and_tells_nobody_again(db, world, spike):
    run_scan(db)
    again = run_scan(db)
    assert again.raised == []
    assert len(warnings(db)) == 1
    assert len(inbox(db, world.handler)) == 1
    # More orders the same week bring the warning up to date, still without a second message.
    more = plant(db, world, week=WEEK, category=DRAINS, n=2)
    assert run_scan(db).updated == 1
    [warning] = warnings(db)
    assert warning.observed == 12
    assert sorted(warning.order_ids) == sorted(spike + more)
    assert len(inbox(db, world.handler)) == 1


def test_a_seasonal_category_rising_as_it_did_last_year_does_not_warn(db, world):
    """Heating: quiet all autumn, a dozen a week once the heating season opens — last year too."""
    plant_background(db, world, range(64))
    for offset in range(53, 64):  # last autumn, before the season
        plant(db, world, week=week_of(offset), category=HEATING, n=1 if offset % 3 == 0 else 0)
    for offset in range(50, 54):  # last year's season opening, the same weeks
        plant(db, world, week=week_of(offset), category=HEATING, n=12)
    for offset in (3, 6):  # this autumn
        plant(db, world, week=week_of(offset), category=HEATING, n=1)
    plant(db, world, week=WEEK, category=HEATING, n=13)
    run_scan(db)
    assert warnings(db) == []


def test_the_same_rise_without_a_season_behind_it_warns(db, world):
    """The control of the test above: last year has data, but no heating season in it."""
    plant_background(db, world, range(64))
    for offset in (3, 6, 55, 58, 61):
        plant(db, world, week=week_of(offset), category=HEATING, n=1)
    plant(db, world, week=WEEK, category=HEATING, n=13)
    run_scan(db)
    [warning] = warnings(db)
    assert warning.category_code == "0102"
    assert warning.last_year is not None


def test_a_season_twice_as_strong_as_last_year_still_warns(db, world):
    plant_background(db, world, range(64))
    for offset in range(50, 54):
        plant(db, world, week=week_of(offset), category=HEATING, n=12)
    plant(db, world, week=WEEK, category=HEATING, n=40)
    run_scan(db)
    assert [w.category_code for w in warnings(db)] == ["0102"]


def test_one_or_two_orders_never_warn_however_loose_the_policy(db, world):
    plant_background(db, world, range(1, 11))
    plant(db, world, week=WEEK, category=DRAINS, n=2)
    loose = method.Policy(alpha=0.4)
    run_scan(db, policy=loose)
    assert warnings(db) == []
    for quiet in (0.0, 0.01):
        base = method.baseline([0] * 8, None, None, 1.0, method.Policy(min_expected=max(quiet, 0.01)))
        assert not method.judge(2, base, loose).breaks_out


def test_a_period_with_no_data_is_fine(db, world):
    empty = run_scan(db)
    assert empty.raised == []
    assert empty.skipped == [week_of(0), week_of(1)]
    # A first week on a new installation: orders, but no weeks before them to judge against.
    plant(db, world, week=WEEK, category=DRAINS, n=10)
    assert run_scan(db).raised == []
    assert warnings(db) == []


def test_a_merged_duplicate_counts_once(db, world):
    plant_background(db, world, range(1, 11))
    main = plant(db, world, week=WEEK, category=DRAINS, n=2)
    plant(db, world, week=WEEK, category=DRAINS, n=8, duplicate_of_id=main[0])
    run_scan(db)
    assert warnings(db) == []


def test_the_sensitivity_is_a_setting_an_administrator_changes(db, world):
    plant_background(db, world, range(1, 11))
    plant(db, world, week=WEEK, category=DRAINS, n=4)  # P(X ≥ 4 | 0.5) ≈ 0.0018
    run_scan(db)
    assert warnings(db) == []
    with db.transaction() as s:
        assert policies.save(s, {"alpha": 0.01}, actor=world.admin).alpha == 0.01
    run_scan(db)
    [warning] = warnings(db)
    assert warning.rule["alpha"] == 0.01


def test_the_policy_refuses_values_out_of_their_sense(db, world):
    with db.transaction() as s, pytest.raises(InvalidInput, match="alpha"):
        policies.save(s, {"alpha": 2}, actor=world.admin)
    with db.transaction() as s, pytest.raises(InvalidInput, match="未知参数"):
        policies.save(s, {"alfa": 0.01}, actor=world.admin)


def test_counts_follow_the_city_calendar(db, world):
    """An order at 23:30 on Sunday in the city is last week's, whatever UTC says."""
    plant_background(db, world, range(1, 11))
    late_sunday = datetime.combine(WEEK - timedelta(days=1), time(23, 30), clock.city_tz())
    with db.transaction() as s:
        for i in range(6):
            insert_archived(s, number=f"WTSUN{i}", owner_unit_id=world.street.id, created_at=late_sunday,
                            closed_at=late_sunday + timedelta(days=2), community_id=world.community.id,
                            category_code=DRAINS)
    run_scan(db)
    assert [w.week_start for w in warnings(db)] == [week_of(1)]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(EarlyWarning)) == 1
    assert BACKGROUND not in {w.category_code for w in warnings(db)}
