"""The JSON shapes of the dispatch API, and the period its figures cover (``minhu.web.period``)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from minhu.orders.enums import Grade
from minhu.orders.schemas import UnitBrief
from minhu.web.period import EARLIEST as EARLIEST
from minhu.web.period import Period as Period
from minhu.web.period import parse_day as parse_day
from minhu.web.period import period as period
from minhu.web.period import presets as presets


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


class ProposalRead(BaseModel):
    """What routing says of an order under a category the dispatcher chooses: the same grading and
    responsibility matrix as at intake, at the order's place."""

    number: str
    category_code: str
    category_path: str = Field(description="城乡建设 › 道路 › 非机动车道")
    grade: Grade
    grade_reasons: list[str]
    owner: UnitBrief | None = Field(description="责任矩阵或等级给出的承办单位；为空时由派单员指定")
    owner_reason: str
