"""What a forwarding system sends and what it gets back."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from minhu.forwarding.models import MAX_EXTERNAL_ID
from minhu.orders.enums import Channel
from minhu.orders.schemas import OrderCreate


class ForwardedCreate(OrderCreate):
    """A request another system forwards: a new order's fields, under the sender's own id. Without ``channel``
    the order counts under the channel the system was registered with."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "external_id": "12345-20261207-000321", "type": "complaint", "title": "小区门口夜间施工噪音扰民",
        "content": "积玉桥街某小区门口连续一周夜间施工到凌晨两点，影响休息。", "citizen_name": "王女士",
        "citizen_phone": "13812345678", "address": "武昌区积玉桥街和平大道"}})

    external_id: Annotated[str, Field(min_length=1, max_length=MAX_EXTERNAL_ID, pattern=r"^[^\s\x00-\x1f]+$",
                                      description="来件系统自己的编号：同一系统内唯一，重复投递返回同一工单")]
    channel: Channel | None = None  # type: ignore[assignment]

    def order(self, *, default_channel: Channel) -> OrderCreate:
        values: dict[str, Any] = self.model_dump(exclude={"external_id"})
        values["channel"] = self.channel or default_channel
        return OrderCreate.model_validate(values)


class Receipt(BaseModel):
    """What the sender gets back: minhu's number of the order and where it stands."""

    number: str = Field(description="市民服务平台工单编号")
    external_id: str
    status: str
    status_label: str
    created: bool = Field(description="本次请求是否新建了工单（重复投递为 false）")
    joined_to: str | None = Field(default=None, description="识别为同一诉求、已并入的主工单编号")
