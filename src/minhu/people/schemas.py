"""JSON shapes of the people figures and of a patrol or visit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from minhu.chiefs.schemas import ChiefBrief
from minhu.core.schemas import InputModel
from minhu.core.text import StorableText
from minhu.orders.schemas import UnitBrief
from minhu.org.models import Unit
from minhu.people.figures import AreaRow, Counts, PeopleFigures, StaffingRow, WorkerRow
from minhu.people.models import GridRound, RoundKind


class RoundCreate(InputModel):
    kind: RoundKind = Field(description="patrol 巡查，visit 入户走访")
    at: AwareDatetime | None = Field(default=None, description="发生时间（带时区）；省略为现在；可补记 31 天内")
    note: Annotated[StorableText, Field(max_length=500)] = ""
    household: Annotated[StorableText,
                         Field(max_length=200, description="走访的住户（楼栋、门牌或户主）；仅入户走访")] = ""


class RoundRead(BaseModel):
    id: int
    kind: RoundKind
    at: datetime
    ended_at: datetime | None = Field(description="巡查结束时间；巡查进行中为空")
    note: str
    household: str
    grid_id: int
    worker_id: int


class CountsRead(BaseModel):
    found: int = Field(description="主动发现：网格巡查渠道或网格员登记的工单")
    reported: int = Field(description="群众反映：网格上其他渠道的工单")
    found_share: float | None = Field(description="主动发现率 found / (found + reported)；无工单时为空")
    a_level: int = Field(description="A 级工单")
    a_on_the_spot: int = Field(description="A 级就地解决：由本网格办理、受理当天答复")
    on_the_spot_share: float | None
    patrols: int = Field(description="巡查次数")
    visits: int = Field(description="入户走访次数")


class WorkerRead(BaseModel):
    id: int
    username: str
    name: str
    grid: UnitBrief
    figures: CountsRead


class AreaRead(BaseModel):
    unit: UnitBrief
    parent: UnitBrief | None
    figures: CountsRead


class StaffingRead(BaseModel):
    community: UnitBrief
    street: UnitBrief | None
    posts: int = Field(description="编制岗位数")
    filled: int = Field(description="在岗人数")
    vacancy: int
    vacancy_rate: float | None
    households: int | None
    households_per_filled: float | None = Field(description="户数 / 在岗人数")
    flagged: bool = Field(description="空缺率达到阈值")


class PeopleFiguresPage(BaseModel):
    first: date = Field(description="第一天（市内日期，含）")
    last: date = Field(description="最后一天（市内日期，含）")
    workers: list[WorkerRead] = Field(description="网格员，按主动发现率从高到低")
    streets: list[AreaRead]
    communities: list[AreaRead]
    grids: list[AreaRead] = Field(description="有工单或巡查走访记录的网格")
    staffing: list[StaffingRead]
    chiefs: list[ChiefBrief] = Field(description="此期间被工单写明的四长（片区长、河湖长、路段长、网格长）及其工单数；"
                                                 "仅指挥中心和领导可见")


def unit_brief(unit: Unit) -> UnitBrief:
    return UnitBrief(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind.value)


def counts_read(counts: Counts) -> CountsRead:
    return CountsRead(found=counts.found, reported=counts.reported, found_share=counts.found_share,
                      a_level=counts.a_level, a_on_the_spot=counts.a_on_the_spot,
                      on_the_spot_share=counts.on_the_spot_share, patrols=counts.patrols, visits=counts.visits)


def _area(row: AreaRow) -> AreaRead:
    return AreaRead(unit=unit_brief(row.unit), parent=unit_brief(row.parent) if row.parent else None,
                    figures=counts_read(row.counts))


def _worker(row: WorkerRow) -> WorkerRead:
    return WorkerRead(id=row.worker.id, username=row.worker.username, name=row.worker.full_name,
                      grid=unit_brief(row.grid), figures=counts_read(row.counts))


def _staffing(row: StaffingRow) -> StaffingRead:
    return StaffingRead(community=unit_brief(row.community), street=unit_brief(row.street) if row.street else None,
                        posts=row.posts, filled=row.filled, vacancy=row.vacancy, vacancy_rate=row.vacancy_rate,
                        households=row.households, households_per_filled=row.households_per_filled,
                        flagged=row.flagged)


def figures_page(figures: PeopleFigures) -> PeopleFiguresPage:
    return PeopleFiguresPage(first=figures.period.first, last=figures.period.last,
                             workers=[_worker(r) for r in figures.workers],
                             streets=[_area(r) for r in figures.streets],
                             communities=[_area(r) for r in figures.communities],
                             grids=[_area(r) for r in figures.grids],
                             staffing=[_staffing(r) for r in figures.staffing], chiefs=figures.chiefs)


def round_read(grid_round: GridRound) -> RoundRead:
    return RoundRead(id=grid_round.id, kind=grid_round.kind, at=grid_round.at, ended_at=grid_round.ended_at,
                     note=grid_round.note, household=grid_round.household,
                     grid_id=grid_round.grid_id, worker_id=grid_round.worker_id)
