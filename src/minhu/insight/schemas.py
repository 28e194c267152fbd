"""The hot-issue list as the API gives it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class HotOrderRead(BaseModel):
    number: str = Field(description="工单编号")
    title: str
    created_at: datetime
    url: str = Field(description="工单的 API 地址")


class HotIssueRead(BaseModel):
    """One hot issue: a cluster of orders of one matter in one place and period."""

    rank: int = Field(description="名次，1 最热")
    heat: float = Field(description="热度：10 ×（ln(1+工单数) + ln(1+诉求人数) + ½·ln(1+点赞数)）×（1 + ½·增长）")
    title: str = Field(description="代表性标题（与其他工单最相似的一单的标题）")
    place: str = Field(description="地点：多数工单提到的地名，或所在社区、街道")
    first: datetime = Field(description="最早一单的受理时间")
    last: datetime = Field(description="最近一单的受理时间")
    count: int = Field(description="工单数")
    citizens: int = Field(description="不同诉求人数（按来电号码；无号码的每单计一人）")
    likes: int = Field(description="留言板点赞数之和")
    growth: float = Field(description="后半段与前半段工单数之差 / 工单数，-1 至 1")
    representative: str = Field(description="代表性工单编号")
    orders: list[HotOrderRead]


class HotListRead(BaseModel):
    first: date = Field(description="第一天（市内日期，含）")
    last: date = Field(description="最后一天（今天，含）")
    days: int
    orders: int = Field(description="期间的工单数")
    computed_at: datetime = Field(description="计算时间（结果缓存数分钟）")
    issues: list[HotIssueRead]
