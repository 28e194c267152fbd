"""Pydantic shapes of the work-order API: what comes in (strict) and what goes out."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from minhu.core.schemas import InputModel
from minhu.core.text import RequiredText, StorableInstant, StorableText
from minhu.core.types import MAX_ROW_ID
from minhu.geo.coords import Crs, point_problem, to_wgs84
from minhu.geo.models import LocationSource
from minhu.orders.enums import (
    CallbackMethod,
    Channel,
    Grade,
    OrderType,
    Resolution,
    ReturnReason,
    Ruling,
    Satisfaction,
    UnreasonableKind,
    Urgency,
)
from minhu.orders.states import Action, Status

# Mainland mobile (optionally +86), or a landline with area code and optional extension.
_PHONE = re.compile(r"^(?:(?:\+?86)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$", re.ASCII)
_PHONE_SEPARATORS = re.compile(r"[\s()（）]")


def _phone(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("电话号码应为文本")
    # Full-width digits and dashes (１３８…, －) are what a Chinese input method often types: NFKC
    # makes them ASCII; other scripts' digits stay what they are and fail the ASCII pattern.
    compact = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if compact == "":
        return None
    if not _PHONE.match(compact):
        raise ValueError("不是有效的电话号码（手机 1xxxxxxxxxx 或固话 0xx-xxxxxxxx）")
    return compact.removeprefix("+86").removeprefix("86") if len(compact) > 11 else compact


def _says_something(value: str) -> str:
    """A request says what is wrong: content that is only a phone number (or digits and punctuation) says
    nothing a unit could act on."""
    letters = [ch for ch in unicodedata.normalize("NFKC", value) if ch.isalpha()]
    if not letters:
        raise ValueError("请说明反映的问题：诉求内容不能只有电话号码或数字")
    return value


def _coordinate(value: Any) -> Any:
    # Booleans and strings are not coordinates, whatever lax parsing would make of them.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("应为数字")
    return float(value)


Phone = Annotated[str | None, BeforeValidator(_phone)]
Latitude = Annotated[Annotated[float, Field(ge=-90, le=90)] | None, BeforeValidator(_coordinate)]
Longitude = Annotated[Annotated[float, Field(ge=-180, le=180)] | None, BeforeValidator(_coordinate)]

MAX_CONTENT_CHARS = 20_000


class OrderCreate(InputModel):
    """A new request. Coordinates are WGS-84 (GPS); both or neither."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "type": "complaint", "channel": "hotline", "title": "小区门口夜间施工噪音扰民",
        "content": "积玉桥街某小区门口连续一周夜间施工到凌晨两点，影响休息。", "citizen_name": "王女士",
        "citizen_phone": "13812345678", "address": "武昌区积玉桥街和平大道", "latitude": 30.565,
        "longitude": 114.305}})

    type: OrderType
    channel: Channel = Channel.API
    urgency: Urgency = Urgency.NORMAL
    title: Annotated[RequiredText, Field(max_length=200)]
    content: Annotated[RequiredText, Field(max_length=MAX_CONTENT_CHARS), AfterValidator(_says_something)]
    citizen_name: Annotated[StorableText | None, Field(max_length=100)] = None
    citizen_phone: Phone = None
    anonymous: StrictBool = False
    confidential: StrictBool = False
    address: Annotated[StorableText | None, Field(max_length=500)] = None
    latitude: Latitude = None
    longitude: Longitude = None
    crs: Crs = Field(default=Crs.WGS84, description="坐标系：wgs84（GPS，默认）或 gcj02（高德、腾讯、微信）；"
                                                   "GCJ-02 坐标在登记时换算为 WGS-84 保存")

    @model_validator(mode="before")
    @classmethod
    def _swapped_coordinates(cls, data: Any) -> Any:
        # Other coordinate problems are the fields' own; a swapped pair is the pair's, and said so.
        if isinstance(data, dict):
            problem = point_problem(data.get("longitude"), data.get("latitude"))
            if problem is not None and problem.swapped:
                raise ValueError(problem.message)
        return data

    @model_validator(mode="after")
    def _coordinates_pair(self) -> OrderCreate:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("经度和纬度须同时填写")
        if self.crs is Crs.GCJ02 and self.latitude is not None and self.longitude is not None:
            # Stored as WGS-84 once and for all; the object then says so, and a retry hashes the same.
            self.longitude, self.latitude = (round(v, 7) for v in to_wgs84(self.longitude, self.latitude, Crs.GCJ02))
            self.crs = Crs.WGS84
        return self


class ActionRequest(InputModel):
    """An action on an order. ``expected_version`` is the version the actor saw (optimistic lock)."""

    expected_version: Annotated[StrictInt, Field(ge=1)]
    note: Annotated[StorableText, Field(max_length=MAX_CONTENT_CHARS)] = ""
    unit_id: Annotated[StrictInt | None, Field(ge=1, le=MAX_ROW_ID, description="dispatch: the receiving unit")] = None
    category_code: Annotated[str | None, Field(pattern=r"^(\d{2}){1,3}$", description=(
        "dispatch: the category the dispatcher settles on, any active one of the catalog (default: the "
        "order's); another category re-grades the order unless ``grade`` is given"))] = None
    unit_ids: Annotated[list[Annotated[StrictInt, Field(ge=1, le=MAX_ROW_ID)]], Field(
        max_length=10, description="whistle: the units called onto the order")] = Field(default_factory=list)
    return_reason: ReturnReason | None = Field(default=None, description="return: why the unit returns it")
    extend_to: StorableInstant | None = Field(default=None, description=(
        "ask_extension: the finish deadline asked for"))
    grade: Grade | None = Field(default=None, description=(
        "escalate: the grade asked for (default: the next one above the order's); dispatch: the grade the "
        "dispatcher settles on (default: the order's, or routing's grade for a newly chosen category)"))
    make_rule: StrictBool = Field(default=False, description=(
        "dispatch of a returned order: make this ruling a rule of the responsibility matrix"))
    reached: Annotated[StrictBool | None, Field(description=(
        "callback: was the citizen reached; false records an unanswered try (回访未接通) and keeps the order "
        "waiting, until the last try allowed (MINHU_CALLBACK_MAX_ATTEMPTS) closes it as unreachable"))] = None
    resolution: Resolution | None = Field(default=None, description="callback (reached): 解决情况")
    satisfaction: Satisfaction | None = Field(default=None, description="callback (reached): 满意度")
    method: CallbackMethod | None = Field(default=None, description="callback: how (default phone)")
    ruling: Ruling | None = Field(default=None, description="rule: the review's finding (审核认定)")
    unreasonable_kind: UnreasonableKind | None = Field(default=None, description=(
        "rule: why the request is unreasonable (only with ruling=unreasonable)"))
    duplicate_of: Annotated[str | None, Field(max_length=32, pattern=r"^[A-Za-z]{1,8}\d{8,20}$", description=(
        "merge: the number of the order this one repeats"))] = None


class UrgeRequest(InputModel):
    note: Annotated[StorableText, Field(min_length=1, max_length=MAX_CONTENT_CHARS, description="催办内容")]


class SuperviseRequest(InputModel):
    note: Annotated[StorableText, Field(min_length=1, max_length=MAX_CONTENT_CHARS, description="督办事由")]
    due_at: StorableInstant = Field(description="督办时限")


class UnitBrief(BaseModel):
    id: int
    code: str
    name: str
    kind: str


class AttachmentRead(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    url: str
    created_at: datetime


class AllowedAction(BaseModel):
    action: Action
    label: str
    note_label: str | None


class LightRead(BaseModel):
    limit: str = Field(description="accept 受理 / sign 签收 / respond 响应 / finish 办结 / callback 回访")
    label: str
    due_at: datetime
    light: str = Field(description="green 正常 / yellow 临期 / red 超期")


class OrderBrief(BaseModel):
    number: str
    status: Status
    status_label: str
    type: OrderType
    channel: Channel
    urgency: Urgency
    title: str
    address: str | None
    owner_unit: UnitBrief
    created_at: datetime
    finish_due_at: datetime | None
    light: str | None = Field(default=None, description="运行中时限的最差灯色：green / yellow / red；无运行时限为空")


class OrderPlace(BaseModel):
    """Where the order stands in the territorial tree, and how that was found."""

    street: UnitBrief | None
    community: UnitBrief | None
    grid: UnitBrief | None
    source: LocationSource | None = Field(
        description="coordinates：按坐标；address：按地址匹配；reporter：网格员上报未给坐标，定在其网格内")
    confidence: float | None
    inside: bool | None = Field(description="是否在辖区内（无位置信息时为空）")


class SuggestionRead(BaseModel):
    code: str
    name: str
    path: str
    confidence: float
    source: str = Field(description="model：分类模型；keywords：目录关键词")


class RoutingRead(BaseModel):
    """What routing suggested at intake (shown to the dispatcher; only to the centre)."""

    suggestions: list[SuggestionRead]
    suggested_grade: Grade | None = Field(default=None, description="routing 给出的等级（此后可能被升级或改派改变）")
    grade_reasons: list[str]
    suggested_owner: UnitBrief | None
    owner_reason: str
    auto_dispatched: bool
    model_version: str | None


class CallRead(BaseModel):
    unit_id: int
    unit_name: str
    called_at: datetime
    report_due_at: datetime
    reported_at: datetime | None
    report: str | None
    late: bool


class EscalationRead(BaseModel):
    from_grade: Grade | None
    to_grade: Grade
    reason: str
    requested_unit: UnitBrief
    requested_at: datetime
    decided_at: datetime | None
    accepted: bool | None = Field(description="true：同意；false：驳回；null：待审核")
    decision_note: str | None


class ExtensionRead(BaseModel):
    reason: str
    requested_at: datetime
    old_due_at: datetime | None
    new_due_at: datetime
    decided_at: datetime | None
    approved: bool | None = Field(description="true：同意；false：驳回；null：待审核")
    decision_note: str | None


class OrderRead(OrderBrief):
    content: str
    citizen_name: str | None
    citizen_phone: str | None
    phone_masked: bool
    anonymous: bool
    confidential: bool
    latitude: float | None
    longitude: float | None
    place: OrderPlace
    category_code: str | None
    category_path: str | None = Field(default=None, description="分类的各级名称：城乡建设 › 道路 › 非机动车道")
    grade: Grade | None
    updated_at: datetime
    accept_due_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    reply_text: str | None
    resolution: Resolution | None
    satisfaction: Satisfaction | None
    ruling: Ruling | None = Field(default=None, description="审核认定结果")
    ruling_reason: str | None = Field(default=None, description="审核认定理由")
    duplicate_of_id: int | None = Field(default=None, description="合并为重复件时，主工单的 id")
    callback_method: CallbackMethod | None = Field(default=None, description=(
        "phone 电话 / online 网上直评 / visit 上门"))
    callback_reached: bool | None = Field(default=None, description="回访是否联系到市民；未回访为空")
    callback_attempts: int = Field(default=0, description="本轮回访已尝试次数（含未接通）")
    unreachable: bool = Field(default=False, description="回访多次未接通，已按无法联系结束")
    version: int
    allowed_actions: list[AllowedAction]
    can_attach: bool
    can_supervise: bool = Field(default=False, description="可以催办、督办")
    can_reveal_phone: bool = Field(default=False, description="可以查看完整电话（记入留痕）")
    routing: RoutingRead | None = None
    calls: list[CallRead] = Field(default_factory=list, description="吹哨调度的单位及其报到")
    escalations: list[EscalationRead] = Field(default_factory=list, description="升级申请及其审核")
    extensions: list[ExtensionRead] = Field(default_factory=list, description="延期申请及其审核")
    dispatched_at: datetime | None = None
    return_due_at: datetime | None = Field(default=None, description="承办单位在此之前可以退单")
    lights: list[LightRead] = Field(default_factory=list, description="运行中的各项时限及其灯色")
    deadlines_provisional: bool = Field(default=False, description="时限涉及尚未录入节假日的年份，按周一至周五暂定")
    attachments: list[AttachmentRead]


class OrderPage(BaseModel):
    items: list[OrderBrief]
    next_cursor: str | None


class EventRead(BaseModel):
    action: Action
    action_label: str
    from_status: Status | None
    to_status: Status
    actor_name: str
    actor_role: str | None
    actor_unit_name: str | None
    note: str
    payload: dict[str, Any]
    at: datetime


class PhoneRead(BaseModel):
    number: str
    citizen_phone: str | None


class OrderTrack(BaseModel):
    """What a resident sees when following an order: no names, no internal notes."""

    number: str
    status: Status
    status_label: str
    title: str
    created_at: datetime
    reply_text: str | None
    steps: list[tuple[datetime, str]]
    # Joined to an earlier report of the same matter (一事多办): handled once, answered to every reporter.
    joined: bool = False
