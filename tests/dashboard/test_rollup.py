"""The dashboard's daily counts give exactly what counting the orders gives — for orders registered on any day,
re-classified at a dispatch or by an edit, moved to another street, returned and dispatched elsewhere, voided,
restored, merged — and a rebuild from the orders finds the counts as they were kept."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.core.db import Database
from minhu.dashboard import figures, rollup
from minhu.dashboard.models import DashboardCount
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from minhu.routing import catalog
from minhu.web.period import Period
from tests.factories import act, make_order, order_data

CITY = ZoneInfo("Asia/Shanghai")


def relocate(db, order, street, community=None, grid=None) -> None:
    """Where the order stands, corrected after intake."""
    with db.transaction() as s:
        row = s.get_one(WorkOrder, order.id)
        row.street_id = street.id if street else None
        row.community_id = community.id if community else None
        row.grid_id = grid.id if grid else None


def at(when: datetime, make, *args, **kwargs):
    with clock.frozen(when):
        return make(*args, **kwargs)


def varied_orders(db, world) -> None:
    """Orders of this period, the one before, last year and a leap day, changed after intake in every way the
    dashboard's figures notice."""
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    now = clock.now()
    for days_ago in (0, 1, 5, 29, 30, 31, 45, 59, 60, 364, 365, 366, 380):
        order = at(now - timedelta(days=days_ago), make_order, db, world, title=f"路灯不亮{days_ago}",
                   channel="grid_patrol" if days_ago % 3 == 0 else "hotline",
                   type="suggestion" if days_ago % 2 else "complaint")
        relocate(db, order, world.street if days_ago % 2 else world.other_street,
                 world.community if days_ago % 4 == 1 else None)
    # Around midnight in the city, on either side of a UTC day's end.
    today = clock.city_now().date()
    for hour, minute in ((0, 5), (7, 59), (8, 1), (23, 50)):
        order = at(datetime.combine(today - timedelta(days=3), datetime.min.time(), CITY).replace(
            hour=hour, minute=minute), make_order, db, world, title=f"噪音{hour}{minute}")
        relocate(db, order, world.street, world.community, world.grid)
    # Dispatched under one category, returned, then dispatched under another to a unit of another street.
    moved = at(now - timedelta(days=2), make_order, db, world, title="井盖缺失")
    relocate(db, moved, world.street, world.community)
    with clock.frozen(now - timedelta(days=2)):
        act(db, moved.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id, category_code="020101")
        act(db, moved.number, Action.RETURN, world.handler, note="非本街道", return_reason="not_ours")
    act(db, moved.number, Action.DISPATCH, world.dispatcher, unit_id=world.other_street.id,
        category_code="010101")
    # Moved to the other street after intake.
    relocate(db, moved, world.other_street)
    # Re-classified by an edit, and one never classified.
    edited = make_order(db, world, upto=Action.ARCHIVE, title="垃圾清运")
    with db.transaction() as s:
        s.get_one(WorkOrder, edited.id).category_code = "030101"
    unclassified = make_order(db, world, title="咨询办事")
    with db.transaction() as s:
        s.get_one(WorkOrder, unclassified.id).category_code = None
    # Voided; voided then restored; voided last year.
    voided = make_order(db, world, title="重复来电")
    act(db, voided.number, Action.VOID, world.dispatcher, note="重复登记")
    restored = make_order(db, world, title="误作废")
    act(db, restored.number, Action.VOID, world.dispatcher, note="重复登记")
    act(db, restored.number, Action.RESTORE, world.dispatcher, note="误作废")
    old = at(now - timedelta(days=365), make_order, db, world, title="去年作废")
    relocate(db, old, world.street)
    with clock.frozen(now - timedelta(days=365)):
        act(db, old.number, Action.VOID, world.dispatcher, note="重复登记")
    # Merged into another order as its duplicate: still a request the dashboard counts.
    main = make_order(db, world, title="小区停水")
    duplicate = make_order(db, world, title="小区停水了")
    act(db, duplicate.number, Action.MERGE, world.dispatcher, duplicate_of=main.number)
    # Registered through intake's shared commit, as the API does.
    for i in range(2):
        order_service.create_order_once(db, order_data(title=f"群体来电{i}", channel="web_board"),
                                        actor=world.operator, key=None, scope="test")
    # A leap day, a year before a period that holds the 28th of February.
    leap = at(datetime(2024, 2, 29, 10, 0, tzinfo=CITY), make_order, db, world, title="闰日来电")
    relocate(db, leap, world.street, world.community)


def periods() -> list[Period]:
    today = clock.city_now().date()
    return [Period(today - timedelta(days=29), today), Period(today - timedelta(days=6), today),
            Period(today - timedelta(days=120), today),  # drawn month by month
            Period(date(2025, 2, 1), date(2025, 3, 31)), Period(today - timedelta(days=3), today - timedelta(days=3))]


def live(monkeypatch) -> None:
    monkeypatch.setattr(figures, "counts_for", lambda s, viewer, place: figures.LiveCounts(
        s, figures._scope(viewer, place)))


def test_the_kept_counts_give_the_figures_counting_the_orders_gives(db, world, monkeypatch):
    varied_orders(db, world)
    boards = {}
    with db.read() as s:
        for viewer in (world.dispatcher, world.leader):  # the centre, and a leader whose unit holds every unit
            for place in (None, world.street, world.other_street, world.community):
                kept = isinstance(figures.counts_for(s, viewer, place), figures.KeptCounts)
                assert kept == (place is not world.community)  # a community is counted from its orders
                for period in periods():
                    boards[viewer.id, place and place.id, period] = figures.document(
                        figures.dashboard(s, period, viewer=viewer, place=place))
    live(monkeypatch)
    with db.read() as s:
        for (viewer_id, place_id, period), kept in boards.items():
            viewer = world.dispatcher if viewer_id == world.dispatcher.id else world.leader
            place = next((p for p in (world.street, world.other_street, world.community) if p.id == place_id), None)
            assert kept == figures.document(figures.dashboard(s, period, viewer=viewer, place=place)), \
                (viewer.username, place_id, period)
    assert any(board["total"] for board in boards.values())
    whole = boards[world.dispatcher.id, None, periods()[0]]
    assert whole["grid_found"]["count"] > 0
    assert whole["month_on_month"]["before"] > 0
    assert whole["year_on_year"]["before"] > 0


def daily_counts(db: Database) -> dict[rollup.Key, int]:
    """The daily counts kept, without the rows that went back to zero."""
    with db.read() as s:
        return {(c.place_id, c.dimension, c.day, c.value): c.orders
                for c in s.scalars(select(DashboardCount)) if c.orders}


def test_a_rebuild_finds_the_counts_as_they_were_kept(db, world):
    varied_orders(db, world)
    kept = daily_counts(db)
    with db.transaction() as s:
        rollup.rebuild(s.connection())
    assert daily_counts(db) == kept
    assert kept


@pytest.mark.parametrize("viewer", ["handler", "other_handler", "gridworker"])
def test_a_viewer_who_sees_part_of_the_district_is_counted_from_the_orders(db, world, viewer):
    varied_orders(db, world)
    user = getattr(world, viewer)
    with db.read() as s:
        assert isinstance(figures.counts_for(s, user, None), figures.LiveCounts)
        board = figures.dashboard(s, periods()[0], viewer=user)
        everything = figures.dashboard(s, periods()[0], viewer=world.dispatcher)
    assert board.total < everything.total


def test_a_street_some_order_names_as_its_grid_is_counted_from_the_orders(db, world):
    order = make_order(db, world)
    relocate(db, order, world.other_street, None, world.street)  # a grid column naming a street
    with db.read() as s:
        assert isinstance(figures.counts_for(s, world.dispatcher, world.street), figures.LiveCounts)
        assert isinstance(figures.counts_for(s, world.dispatcher, world.other_street), figures.KeptCounts)
        board = figures.dashboard(s, periods()[0], viewer=world.dispatcher, place=world.street)
    assert board.total == 1
