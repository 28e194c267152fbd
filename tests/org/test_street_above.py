"""The street a unit belongs to, read along its path: what the grid worker's A list and a B-grade escalation's
taker are found from."""

from __future__ import annotations

from minhu.org import queries


def test_a_grid_and_a_community_lie_under_their_street_and_a_street_is_its_own(db, world):
    with db.read() as s:
        for unit in (world.grid, world.community, world.street):
            assert queries.street_above(s, unit).id == world.street.id
        assert queries.street_above(s, world.other_street).id == world.other_street.id


def test_the_district_a_department_and_no_unit_have_no_street(db, world):
    with db.read() as s:
        for unit in (world.district, world.department, world.centre, None):
            assert queries.street_above(s, unit) is None
