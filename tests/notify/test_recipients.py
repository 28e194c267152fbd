"""Who is told: a unit's nearest leaders, and the supervisors on duty (or, with nobody rostered, the
leaders of the top unit, with a warning saying so)."""

from __future__ import annotations

import logging
from datetime import timedelta

from minhu.notify import recipients
from minhu.notify import service as notify_service
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import Role
from tests.factories import PASSWORD
from tests.notify.helpers import T0


def add_leader(db, unit: Unit, username: str, *, active: bool = True) -> User:
    with db.transaction() as s:
        here = s.get(Unit, unit.id)
        assert here is not None
        user = org_service.create_user(s, username=username, password=PASSWORD, full_name=username, role=Role.LEADER,
                                       unit=here)
        user.active = active
        return user


def names(users: list[User]) -> list[str]:
    return [u.username for u in users]


def test_a_unit_without_a_leader_reaches_the_nearest_leader_above(db, world):
    with db.read() as s:
        grid = s.get(Unit, world.grid.id)
        assert grid is not None
        assert names(recipients.leaders_of(s, grid)) == ["lead"], "only the district has a leader"
    add_leader(db, world.street, "street-chief")
    add_leader(db, world.community, "gone", active=False)
    with db.read() as s:
        grid = s.get(Unit, world.grid.id)
        street = s.get(Unit, world.street.id)
        other = s.get(Unit, world.other_street.id)
        assert grid is not None
        assert street is not None
        assert other is not None
        assert names(recipients.leaders_of(s, grid)) == ["street-chief"], "the community's leader left"
        assert names(recipients.leaders_of(s, street)) == ["street-chief"]
        assert names(recipients.leaders_of(s, other)) == ["lead"]


def test_supervisors_are_who_the_roster_has_on_duty(db, world):
    with db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        notify_service.add_shift(s, user_id=world.dispatcher.id, starts_at=T0, ends_at=T0 + timedelta(hours=12),
                                 actor=admin)
        notify_service.add_shift(s, user_id=world.reviewer.id, starts_at=T0 + timedelta(hours=12),
                                 ends_at=T0 + timedelta(hours=24), actor=admin)
    with db.read() as s:
        assert names(recipients.supervisors_on_duty(s, T0)) == ["disp"]
        assert names(recipients.supervisors_on_duty(s, T0 + timedelta(hours=12))) == ["rev"], "to is exclusive"


def test_with_nobody_on_duty_the_top_units_leaders_supervise_and_the_log_says_so(db, world, caplog):
    with caplog.at_level(logging.WARNING, logger="minhu.notify"), db.read() as s:
        supervisors = recipients.supervisors_on_duty(s, T0)
    assert names(supervisors) == ["lead"]
    assert "nobody is on the duty roster" in caplog.text
    assert "武昌区" in caplog.text
