"""The period the dispatch figures cover, and the JSON shapes of the dispatch API.

A period is a run of whole days on the city's calendar, both ends included: "1 to 30 November" means
what a dispatcher reading a monthly bulletin means by it, whatever the server's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, Field

from minhu.core import clock
from minhu.core.errors import field_error
from minhu.orders.schemas import UnitBrief

DEFAULT_DAYS = 30
# Dates outside these years are typing mistakes, and the last day plus one must stay a date.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first instant of the period (aware, in the city's zone)."""
        return datetime.combine(self.first, time(), clock.city_tz())

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), clock.city_tz())

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def query(self) -> str:
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"


def period(first: date | None, last: date | None, *, default_days: int = DEFAULT_DAYS) -> Period:
    """The period from ``first`` to ``last`` (city dates, inclusive); by default the last ``default_days``
    days up to today. Raises InvalidInput for a reversed period or a date outside 2000–2099."""
    for field, value in (("from", first), ("to", last)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise field_error(field, f"日期须在 {EARLIEST} 至 {LATEST} 之间", code="invalid_period")
    today = clock.city_now().date()
    last = last or max(today, first or today)
    first = first or max(EARLIEST, last - timedelta(days=default_days - 1))
    if first > last:
        raise field_error("from", "开始日期不能晚于结束日期", code="invalid_period")
    return Period(first, last)


def presets() -> list[tuple[str, Period]]:
    """The periods a page offers in one click, ending today."""
    today = clock.city_now().date()
    return [("近 7 天", Period(today - timedelta(days=6), today)),
            ("近 30 天", Period(today - timedelta(days=29), today)),
            ("本月", Period(today.replace(day=1), today)),
            ("近一年", Period(today - timedelta(days=364), today))]


def parse_day(value: str, field: str) -> date | None:
    """A page's date field: empty is None. Raises InvalidInput for anything but YYYY-MM-DD."""
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise field_error(field, f"日期格式应为 YYYY-MM-DD：{value}", code="invalid_period") from None


class PeriodRead(BaseModel):
    first: date = Field(description="第一天（市内日期，含）")
    last: date = Field(description="最后一天（市内日期，含）")


class UnitFiguresRead(BaseModel):
    """One unit's dispatch figures over the period."""

    unit: UnitBrief
    dispatched: int = Field(description="收到派单次数（派单与升级改派）")
    returned: int = Field(description="退单次数（计入当时收到派单的单位）")
    return_rate: float | None = Field(description="退单次数 / 收到派单次数；未收到派单时为空")
    returns_by_reason: dict[str, int] = Field(description="退单原因代码（not_ours、outside …）→ 次数")
    returns_by_category: dict[str, int] = Field(description="一级分类名称 → 退单次数")
    called: int = Field(description="被吹哨次数")
    reported_on_time: int
    reported_late: int
    missing: int = Field(description="过了报到时限仍未报到")
    awaiting: int = Field(description="未报到、尚在时限内")
    escalations_requested: int
    escalations_accepted: int
    escalations_refused: int
    escalations_pending: int


class UnitFiguresPage(BaseModel):
    period: PeriodRead
    units: list[UnitFiguresRead] = Field(description="按退单率从高到低")


class UnitOrderRead(BaseModel):
    """An order behind one of a unit's figures."""

    number: str
    title: str
    at: datetime
    detail: str = Field(description="退单原因、报到情况或升级结果")
    url: str


class UnitDetailRead(BaseModel):
    period: PeriodRead
    figures: UnitFiguresRead
    dispatched: list[UnitOrderRead]
    returned: list[UnitOrderRead]
    calls: list[UnitOrderRead] = Field(description="逾期报到与未报到的吹哨")
    escalations: list[UnitOrderRead]


class ConfusionCellRead(BaseModel):
    suggested: str | None = Field(description="建议的一级分类编码；无建议时为空")
    chosen: str
    count: int


class CalibrationRead(BaseModel):
    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float


class ConfusionRead(BaseModel):
    suggested: str
    suggested_name: str
    chosen: str
    chosen_name: str
    count: int


class AutoReturnRead(BaseModel):
    number: str
    confidence: float | None
    suggested: str | None
    reason: str


class QualityRead(BaseModel):
    """How routing's suggestions compare with what dispatchers chose over the period."""

    period: PeriodRead
    routed: int = Field(description="期间登记并给出路由建议的工单")
    auto_dispatched: int = Field(description="其中由系统自动派单的")
    decided: int = Field(description="期间派单员确认了分类与承办单位的工单")
    judged: int = Field(description="其中选定了分类、可以评判的（准确率的分母）")
    top1_first_level: float | None
    top1_exact: float | None
    top3_first_level: float | None
    top3_exact: float | None
    owner_suggested: int
    owner_agreement: float | None = Field(description="建议承办单位即所选单位的比例（有建议时）")
    category_names: dict[str, str] = Field(description="一级分类编码 → 名称")
    confusion: list[ConfusionCellRead] = Field(description="一级分类：建议 × 实际，计数")
    calibration: list[CalibrationRead]
    expected_calibration_error: float | None
    frequent_confusions: list[ConfusionRead]
    auto_returned: int = Field(description="自动派单后被退单的工单（期间自动派单的）")
    auto_return_rate: float | None
    manual_return_rate: float | None = Field(description="派单员派出的工单被退单的比例，作对照")
    auto_returned_orders: list[AutoReturnRead]
