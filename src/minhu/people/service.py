"""Recording a grid worker's patrol or household visit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import field_error
from minhu.core.text import check_storable
from minhu.org.models import User
from minhu.people import permissions
from minhu.people.models import GridRound, RoundKind

# A round may be entered afterwards, within this long: the month's figures are read after it ends.
BACKFILL = timedelta(days=31)
# Clocks of phones and servers differ by a little.
CLOCK_SLACK = timedelta(minutes=5)


def record_round(session: Session, *, actor: User, kind: RoundKind, at: datetime | None, note: str) -> GridRound:
    """Record a patrol or visit on the actor's grid, at ``at`` (now when None).

    Raises Forbidden unless the actor is a grid worker on a grid, InvalidInput for a time in the future or
    more than 31 days ago, or a note no database can store (a NUL character, a lone surrogate).
    """
    permissions.check_recorder(actor)
    now = clock.now()
    at = at or now
    if at > now + CLOCK_SLACK:
        raise field_error("at", "时间不能晚于现在")
    if at < now - BACKFILL:
        raise field_error("at", "只能补记 31 天内的巡查和走访")
    try:
        note = check_storable(note.strip())
    except ValueError as exc:
        raise field_error("note", str(exc)) from None
    grid_round = GridRound(worker_id=actor.id, grid_id=actor.unit_id, kind=kind, at=at, note=note)
    session.add(grid_round)
    session.flush()
    return grid_round
