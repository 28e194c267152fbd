"""People figures (人员) over a period: what grid workers find before anyone calls and what they solve on the
spot, their patrols and household visits, and the communities' staffing.

Definitions (docs/evaluation.md's 人员 section says the same):

- **found first (主动发现)**: an order standing on a grid that came in through the grid-patrol channel or was
  registered by a grid worker; **reported**: any other order on the grid (citizens' calls, messages, …).
  The share found first is found / (found + reported). Voided orders do not count.
- **A-level solved on the spot (就地解决)**: a grade-A order on the grid whose own grid held it when it was
  replied, and replied the same city day it was created.
- A grid worker's figures are those of the grid they work (their unit), with their own patrols and visits.
- **Vacancy (空缺)**: a community's staff posts not filled; flagged at ``HIGH_VACANCY`` of its posts.
- **Chiefs (四长)**: each chief named on orders in the period (the order stood in their ground and its category was
  on their duty list), with how many of those orders are still open and how many show a yellow or red light now.
  Shown to the centre and leaders, who see every chief.

Orders are counted by the day they were created; patrols and visits by the day they took place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from minhu.chiefs import queries as chief_queries
from minhu.chiefs.schemas import ChiefBrief
from minhu.core import clock
from minhu.orders.enums import Channel, Grade
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status
from minhu.org.models import Unit, User
from minhu.org.roles import CENTRE_ROLES, Role, UnitKind
from minhu.people.models import GridRound, RoundKind
from minhu.web.period import Period

# A community with this share of its staff posts empty is flagged on the page.
HIGH_VACANCY = 0.15
AREA_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)


@dataclass
class Counts:
    found: int = 0
    reported: int = 0
    a_level: int = 0
    a_on_the_spot: int = 0
    patrols: int = 0
    visits: int = 0

    def add(self, other: Counts) -> None:
        for name in ("found", "reported", "a_level", "a_on_the_spot", "patrols", "visits"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def found_share(self) -> float | None:
        total = self.found + self.reported
        return round(self.found / total, 4) if total else None

    @property
    def on_the_spot_share(self) -> float | None:
        return round(self.a_on_the_spot / self.a_level, 4) if self.a_level else None

    @property
    def empty(self) -> bool:
        return not (self.found or self.reported or self.patrols or self.visits)


@dataclass(frozen=True)
class WorkerRow:
    worker: User
    grid: Unit
    counts: Counts


@dataclass(frozen=True)
class AreaRow:
    unit: Unit
    parent: Unit | None
    counts: Counts


@dataclass(frozen=True)
class StaffingRow:
    community: Unit
    street: Unit | None
    posts: int
    filled: int
    households: int | None

    @property
    def vacancy(self) -> int:
        return max(0, self.posts - self.filled)

    @property
    def vacancy_rate(self) -> float | None:
        return round(self.vacancy / self.posts, 4) if self.posts else None

    @property
    def households_per_filled(self) -> float | None:
        return round(self.households / self.filled, 1) if self.households is not None and self.filled else None

    @property
    def flagged(self) -> bool:
        rate = self.vacancy_rate
        return rate is not None and rate >= HIGH_VACANCY


@dataclass
class PeopleFigures:
    period: Period
    workers: list[WorkerRow] = field(default_factory=list)
    streets: list[AreaRow] = field(default_factory=list)
    communities: list[AreaRow] = field(default_factory=list)
    grids: list[AreaRow] = field(default_factory=list)
    staffing: list[StaffingRow] = field(default_factory=list)
    chiefs: list[ChiefBrief] = field(default_factory=list)


def sees_everything(viewer: User) -> bool:
    return viewer.role in CENTRE_ROLES or viewer.role is Role.LEADER


def _in(column: InstrumentedAttribute[datetime], period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _grid_counts(session: Session, period: Period, grid_ids: set[int] | None) -> dict[int, Counts]:
    """Found, reported and A-level orders by grid, in one grouped query; on-the-spot ones from the few
    grade-A orders their grid replied to."""
    found = or_(WorkOrder.channel == Channel.GRID_PATROL, User.role == Role.GRIDWORKER)
    within = WorkOrder.grid_id.in_(grid_ids) if grid_ids is not None else WorkOrder.grid_id.is_not(None)
    where = and_(within, _in(WorkOrder.created_at, period), WorkOrder.status != Status.VOIDED)
    rows = session.execute(
        select(WorkOrder.grid_id, func.count(), func.sum(case((found, 1), else_=0)),
               func.sum(case((WorkOrder.grade == Grade.A, 1), else_=0)))
        .select_from(WorkOrder).outerjoin(User, User.id == WorkOrder.created_by_id)
        .where(where).group_by(WorkOrder.grid_id)).all()
    counts: dict[int, Counts] = {}
    for grid_id, total, found_n, a_level in rows:
        found_n = int(found_n or 0)
        counts[grid_id] = Counts(found=found_n, reported=int(total) - found_n, a_level=int(a_level or 0))
    tz = clock.city_tz()
    replied = session.execute(
        select(WorkOrder.grid_id, WorkOrder.created_at, WorkOrder.replied_at)
        .where(where, WorkOrder.grade == Grade.A, WorkOrder.owner_unit_id == WorkOrder.grid_id,
               WorkOrder.replied_at.is_not(None))).all()
    for grid_id, created_at, replied_at in replied:
        if grid_id is not None and replied_at is not None \
                and created_at.astimezone(tz).date() == replied_at.astimezone(tz).date():
            counts[grid_id].a_on_the_spot += 1
    return counts


def _rounds(session: Session, period: Period, grid_ids: set[int] | None) -> tuple[dict[int, Counter[RoundKind]],
                                                                                 dict[int, Counter[RoundKind]]]:
    """Patrols and visits by grid and by worker."""
    within = GridRound.grid_id.in_(grid_ids) if grid_ids is not None else true()
    by_grid: dict[int, Counter[RoundKind]] = {}
    by_worker: dict[int, Counter[RoundKind]] = {}
    for grid_id, worker_id, kind, n in session.execute(
            select(GridRound.grid_id, GridRound.worker_id, GridRound.kind, func.count())
            .where(within, _in(GridRound.at, period))
            .group_by(GridRound.grid_id, GridRound.worker_id, GridRound.kind)):
        by_grid.setdefault(grid_id, Counter())[kind] += n
        by_worker.setdefault(worker_id, Counter())[kind] += n
    return by_grid, by_worker


def _with_rounds(counts: Counts | None, rounds: Counter[RoundKind] | None) -> Counts:
    result = Counts()
    if counts is not None:
        result.add(counts)
    if rounds:
        result.patrols, result.visits = rounds[RoundKind.PATROL], rounds[RoundKind.VISIT]
    return result


def people_figures(session: Session, period: Period, viewer: User) -> PeopleFigures:
    """The figures of the grids, communities and streets the viewer answers for (all for the centre and
    leaders), their grid workers and their communities' staffing."""
    scope = None if sees_everything(viewer) else viewer.unit
    units = [u for u in session.scalars(select(Unit).where(Unit.kind.in_([k.value for k in AREA_KINDS])))
             if scope is None or u.is_within(scope)]
    by_id = {u.id: u for u in units}
    grid_ids = None if scope is None else {u.id for u in units if u.kind is UnitKind.GRID}
    grid_counts = _grid_counts(session, period, grid_ids)
    rounds_by_grid, rounds_by_worker = _rounds(session, period, grid_ids)
    figures = PeopleFigures(period)
    area: dict[int, Counts] = {}
    for unit in units:
        if unit.kind is not UnitKind.GRID:
            continue
        own = _with_rounds(grid_counts.get(unit.id), rounds_by_grid.get(unit.id))
        node: Unit | None = unit
        while node is not None and node.id in by_id:
            area.setdefault(node.id, Counts()).add(own)
            node = by_id.get(node.parent_id) if node.parent_id else None
    for unit in sorted(units, key=lambda u: u.code):
        counts = area.get(unit.id)
        if counts is None or counts.empty:
            continue
        row = AreaRow(unit, by_id.get(unit.parent_id) if unit.parent_id else None, counts)
        {UnitKind.STREET: figures.streets, UnitKind.COMMUNITY: figures.communities,
         UnitKind.GRID: figures.grids}[unit.kind].append(row)
    workers = session.scalars(select(User).where(User.role == Role.GRIDWORKER, User.active.is_(True))
                              .order_by(User.username)).all()
    for worker in workers:
        grid = by_id.get(worker.unit_id)
        if grid is None or grid.kind is not UnitKind.GRID:
            continue
        counts = Counts()
        counts.add(grid_counts.get(grid.id) or Counts())
        mine = rounds_by_worker.get(worker.id)
        if mine:
            counts.patrols, counts.visits = mine[RoundKind.PATROL], mine[RoundKind.VISIT]
        figures.workers.append(WorkerRow(worker, grid, counts))
    figures.workers.sort(key=lambda r: (-(r.counts.found_share or 0), -r.counts.found, r.worker.username))
    figures.staffing = [StaffingRow(u, by_id.get(u.parent_id) if u.parent_id else None, u.staff_posts or 0,
                                    u.staff_filled or 0, u.households)
                        for u in sorted(units, key=lambda u: u.code)
                        if u.kind is UnitKind.COMMUNITY and u.staff_posts is not None]
    if scope is None:
        figures.chiefs = chief_queries.chief_figures(session, since=period.start, until=period.end)
    return figures
