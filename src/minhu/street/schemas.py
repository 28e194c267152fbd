"""What the street sub-centre's API reads and takes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictBool

from minhu.core.schemas import InputModel
from minhu.orders.schemas import OrderBrief, UnitBrief


class StreetSettingsWrite(InputModel):
    sub_centre: StrictBool = Field(description="本街道设分中心：辖区的 A、B 级工单派到街道，由街道派单员内派")
    review_inner_replies: StrictBool = Field(True, description="内派单位的答复先经街道审核，再报指挥中心")
    a_level_straight: StrictBool = Field(False, description="A 级工单到达街道后由系统自动内派到所在网格或社区")


class StreetSettingsRead(BaseModel):
    street: UnitBrief
    sub_centre: bool
    review_inner_replies: bool
    a_level_straight: bool
    updated_at: datetime | None


class StreetItemRead(BaseModel):
    order: OrderBrief
    proposed_unit: UnitBrief | None = Field(None, description="路由建议的内派单位（待内派的工单）")
    proposal_reason: str | None = None
    reply_by: str | None = Field(None, description="答复待街道审核的内派单位")


class StreetQueueRead(BaseModel):
    street: UnitBrief
    to_dispatch: list[StreetItemRead] = Field(description="待内派：区里派到街道或内派单位退回街道的工单")
    to_review: list[StreetItemRead] = Field(description="待街道审核：内派单位已答复的工单")
    inside: list[StreetItemRead] = Field(description="内派办理中")
