"""Recording a grid worker's patrol or household visit: entered afterwards in one go, or walked with the phone page
(start, points on the way, end)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from minhu.core import clock
from minhu.core.errors import Conflict, NotFound, field_error
from minhu.core.text import check_storable
from minhu.org.models import User
from minhu.people import permissions
from minhu.people.models import GridRound, GridRoundPoint, RoundKind

# A round may be entered afterwards, within this long: the month's figures are read after it ends.
BACKFILL = timedelta(days=31)
# Clocks of phones and servers differ by a little.
CLOCK_SLACK = timedelta(minutes=5)
# A patrol left open (the phone lost, the page closed) ends by itself this long after its last sign of life.
PATROL_LONGEST = timedelta(hours=12)
# A patrol marks at most this many points: one a minute for a long working day.
MAX_POINTS = 720


def _storable(field: str, text: str) -> str:
    try:
        return check_storable(text.strip())
    except ValueError as exc:
        raise field_error(field, str(exc)) from None


def record_round(session: Session, *, actor: User, kind: RoundKind, at: datetime | None, note: str,
                 household: str = "") -> GridRound:
    """Record a patrol or visit on the actor's grid, at ``at`` (now when None), whole at once; a visit may name
    its household (``3栋2单元401 王家``).

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
    grid_round = GridRound(worker_id=actor.id, grid_id=actor.unit_id, kind=kind, at=at, ended_at=at, points=[],
                           note=_storable("note", note),
                           household=_storable("household", household) if kind is RoundKind.VISIT else "")
    session.add(grid_round)
    session.flush()
    return grid_round


def _open_patrols(session: Session, actor: User) -> list[GridRound]:
    return list(session.scalars(
        select(GridRound).options(selectinload(GridRound.points))
        .where(GridRound.worker_id == actor.id, GridRound.kind == RoundKind.PATROL, GridRound.ended_at.is_(None))
        .order_by(GridRound.at.desc())))


def _last_seen(patrol: GridRound) -> datetime:
    return patrol.points[-1].at if patrol.points else patrol.at


def _under_way(open_patrols: list[GridRound]) -> GridRound | None:
    if not open_patrols or clock.now() - _last_seen(open_patrols[0]) > PATROL_LONGEST:
        return None
    return open_patrols[0]


def patrol_under_way(session: Session, actor: User) -> GridRound | None:
    """The actor's patrol under way, with its points; one forgotten longer than ``PATROL_LONGEST`` (the phone
    lost, the page closed) is over, and is closed when the next starts."""
    return _under_way(_open_patrols(session, actor))


def start_patrol(session: Session, *, actor: User) -> GridRound:
    """Start a patrol of the actor's grid now, closing a forgotten one at its last point (or its start). Raises
    Conflict when one is under way."""
    permissions.check_recorder(actor)
    open_patrols = _open_patrols(session, actor)
    if _under_way(open_patrols) is not None:
        raise Conflict("已有一次巡查正在进行，请先结束它", code="patrol_under_way")
    for forgotten in open_patrols:
        forgotten.ended_at = _last_seen(forgotten)
    patrol = GridRound(worker_id=actor.id, grid_id=actor.unit_id, kind=RoundKind.PATROL, at=clock.now(), note="",
                       points=[])
    session.add(patrol)
    session.flush()
    return patrol


def _own_patrol(session: Session, actor: User, round_id: int) -> GridRound:
    permissions.check_recorder(actor)
    patrol = patrol_under_way(session, actor)
    if patrol is None or patrol.id != round_id:
        raise NotFound("这次巡查不存在或已结束", code="patrol_not_found")
    return patrol


def mark_point(session: Session, *, actor: User, round_id: int, latitude: float, longitude: float,
               note: str = "") -> GridRoundPoint:
    """Mark where the patrol is now. Raises NotFound for a patrol not the actor's or already ended, InvalidInput
    for a position outside the earth's ranges or past ``MAX_POINTS``."""
    patrol = _own_patrol(session, actor, round_id)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise field_error("latitude", "位置坐标不正确")
    if len(patrol.points) >= MAX_POINTS:
        raise field_error("latitude", f"一次巡查最多记录 {MAX_POINTS} 个位置，请结束本次巡查后重新开始")
    point = GridRoundPoint(at=clock.now(), latitude=latitude, longitude=longitude, note=_storable("note", note))
    patrol.points.append(point)
    session.flush()
    return point


def end_patrol(session: Session, *, actor: User, round_id: int, note: str) -> GridRound:
    """End the actor's patrol now, with what it saw (the note)."""
    patrol = _own_patrol(session, actor, round_id)
    patrol.ended_at = clock.now()
    patrol.note = _storable("note", note)
    session.flush()
    return patrol


def recent_rounds(session: Session, actor: User, *, since: datetime) -> list[GridRound]:
    """The actor's patrols and visits since ``since``, newest first, with their points."""
    return list(session.scalars(
        select(GridRound).options(selectinload(GridRound.points))
        .where(GridRound.worker_id == actor.id, GridRound.at >= since).order_by(GridRound.at.desc())))
