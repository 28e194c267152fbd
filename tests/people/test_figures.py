"""People figures from a small constructed set: what is found first, what is reported, A-level orders solved
on the spot, patrols and visits, and communities' staffing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from minhu.core import clock
from minhu.core.db import Database
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import Role, UnitKind
from minhu.people import figures
from minhu.people.models import GridRound, RoundKind
from minhu.web.period import Period
from tests.factories import PASSWORD, World, act, order_data

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
AT = datetime(2026, 11, 20, 9, 0, tzinfo=clock.city_tz())


def order_on(db: Database, world: World, grid: Unit, *, by: User, at: datetime = AT, replied: datetime | None = None,
             owner: Unit | None = None, **columns: Any) -> WorkOrder:
    """An order registered by ``by`` at ``at``, standing on ``grid``, with the columns the figures read."""
    channel = columns.pop("channel", "hotline")
    with clock.frozen(at), db.transaction() as s:
        order = order_service.create_order(s, order_data(channel=channel), actor=by)
        s.execute(update(WorkOrder).where(WorkOrder.id == order.id).values(
            grid_id=grid.id, place_unit_id=grid.id, replied_at=replied,
            owner_unit_id=(owner or world.centre).id, **columns))
    return order


def rounds(db: Database, worker: User, *at_kinds: tuple[datetime, RoundKind]) -> None:
    with db.transaction() as s:
        s.add_all(GridRound(worker_id=worker.id, grid_id=worker.unit_id, kind=kind, at=at, note="")
                  for at, kind in at_kinds)


@pytest.fixture
def other_grid(db: Database, world: World) -> Unit:
    with db.transaction() as s:
        community = org_service.create_unit(s, code="S2C1", name="东湖路社区", kind=UnitKind.COMMUNITY,
                                            parent=s.merge(world.other_street))
        return org_service.create_unit(s, code="S2C1G1", name="东湖路社区1网格", kind=UnitKind.GRID, parent=community)


@pytest.fixture
def constructed(db: Database, world: World, other_grid: Unit) -> World:
    grid, worker, operator = world.grid, world.gridworker, world.operator
    same_day, next_day = AT + timedelta(hours=3), AT + timedelta(days=1)
    # Found first: two registered by the grid worker, one patrol report typed in by the operator.
    order_on(db, world, grid, by=worker, channel="grid_patrol", grade="A", owner=grid, replied=same_day)
    order_on(db, world, grid, by=worker, channel="grid_patrol", grade="B")
    order_on(db, world, grid, by=operator, channel="grid_patrol", grade="A", owner=grid, replied=next_day)
    # Reported by citizens: an A-level one the community solved the same day, two more.
    order_on(db, world, grid, by=operator, grade="A", owner=world.community, replied=same_day)
    order_on(db, world, grid, by=operator, grade="B")
    order_on(db, world, grid, by=operator, channel="web_board")
    # Not counted: a voided order, and one found in October.
    voided = order_on(db, world, grid, by=operator)
    act(db, voided.number, Action.VOID, operator, note="重复登记")
    order_on(db, world, grid, by=worker, channel="grid_patrol", at=AT - timedelta(days=40))
    order_on(db, world, other_grid, by=operator)
    rounds(db, worker, (AT, RoundKind.PATROL), (AT + timedelta(days=2), RoundKind.PATROL),
           (AT + timedelta(days=3), RoundKind.VISIT), (AT - timedelta(days=40), RoundKind.PATROL))
    return world


def _figures(db: Database, viewer: User) -> figures.PeopleFigures:
    with db.read() as s:
        return figures.people_figures(s, NOVEMBER, s.merge(viewer))


def test_a_grid_counts_what_its_worker_found_first_and_what_citizens_reported(db, constructed) -> None:
    found = _figures(db, constructed.leader)
    grid = next(r for r in found.grids if r.unit.id == constructed.grid.id)

    assert (grid.counts.found, grid.counts.reported) == (3, 3)
    assert grid.counts.found_share == 0.5
    assert (grid.counts.a_level, grid.counts.a_on_the_spot) == (3, 1)
    assert (grid.counts.patrols, grid.counts.visits) == (2, 1)


def test_grid_figures_add_up_to_community_and_street(db, constructed) -> None:
    found = _figures(db, constructed.leader)
    streets = {r.unit.name: r.counts for r in found.streets}

    assert (streets["积玉桥街"].found, streets["积玉桥街"].reported) == (3, 3)
    assert (streets["水果湖街"].found, streets["水果湖街"].reported, streets["水果湖街"].found_share) == (0, 1, 0.0)
    community = next(r for r in found.communities if r.unit.id == constructed.community.id)
    assert community.counts.a_on_the_spot == 1


def test_a_grid_worker_has_their_grids_figures_and_their_own_rounds(db, constructed) -> None:
    found = _figures(db, constructed.leader)

    (row,) = [r for r in found.workers if r.worker.id == constructed.gridworker.id]
    assert (row.counts.found, row.counts.reported, row.counts.a_on_the_spot) == (3, 3, 1)
    assert (row.counts.patrols, row.counts.visits) == (2, 1)


def test_a_street_handler_sees_only_its_own_ground(db, constructed) -> None:
    found = _figures(db, constructed.handler)

    assert [r.unit.name for r in found.streets] == ["积玉桥街"]
    assert all(r.unit.path.startswith(constructed.street.path) for r in found.grids + found.communities)


def test_communities_with_many_empty_posts_are_flagged(db, world) -> None:
    with db.transaction() as s:
        s.execute(update(Unit).where(Unit.id == world.community.id)
                  .values(staff_posts=10, staff_filled=8, households=2000))
        org_service.create_unit(s, code="S1C2", name="积玉桥社区", kind=UnitKind.COMMUNITY,
                                parent=s.merge(world.street))
        s.execute(update(Unit).where(Unit.code == "S1C2").values(staff_posts=10, staff_filled=9, households=1800))

    staffing = {r.community.name: r for r in _figures(db, world.leader).staffing}

    heping = staffing["和平社区"]
    assert (heping.vacancy, heping.vacancy_rate, heping.households_per_filled, heping.flagged) == (2, 0.2, 250.0, True)
    assert staffing["积玉桥社区"].flagged is False


def test_a_new_grid_worker_with_nothing_yet_shows_zeros(db, world) -> None:
    with db.transaction() as s:
        org_service.create_user(s, username="grid2", password=PASSWORD, full_name="网格员 新", role=Role.GRIDWORKER,
                                unit=s.merge(world.grid))

    found = _figures(db, world.leader)

    row = next(r for r in found.workers if r.worker.username == "grid2")
    assert (row.counts.found, row.counts.reported, row.counts.found_share) == (0, 0, None)
