"""What a client sends about topics and what it gets back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from minhu.core.schemas import InputModel
from minhu.core.text import StorableText
from minhu.topics.models import LinkSource, TopicState

Keyword = Annotated[StorableText, Field(min_length=2, max_length=20)]
CategoryCode = Annotated[str, Field(pattern=r"^\d{2,12}$", max_length=12)]
OrderNumber = Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,32}$")]
RowId = Annotated[int, Field(ge=1, le=2_147_483_647)]


class TopicCreate(InputModel):
    title: Annotated[StorableText, Field(min_length=2, max_length=200)]
    description: Annotated[StorableText, Field(max_length=5_000)] = ""
    owner_unit_id: RowId
    target: Annotated[StorableText, Field(max_length=500)] = ""
    deadline: date | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=20)
    category_codes: list[CategoryCode] = Field(default_factory=list, max_length=20)
    place_unit_id: RowId | None = None
    order_numbers: list[OrderNumber] = Field(default_factory=list, max_length=10_000)
    # Link the orders of the last 30 days that meet the rule, as well as those named.
    link_recent: bool = True

    @model_validator(mode="after")
    def _has_a_rule(self) -> TopicCreate:
        if not self.keywords and not self.category_codes:
            raise ValueError("请至少填写一个关键词或一个分类，用来识别此题的工单")
        return self


class TopicNoteCreate(InputModel):
    text: Annotated[StorableText, Field(min_length=2, max_length=2_000)]


class TopicStateChange(InputModel):
    state: TopicState


class TopicBrief(BaseModel):
    id: int
    title: str
    month: str
    state: TopicState
    state_label: str
    owner: str
    target: str
    deadline: date | None
    orders: int
    open_orders: int


class WeeklyCount(BaseModel):
    week: date  # the Monday the week starts on
    orders: int
    after: bool  # the week began once the topic was taken up


class TopicRead(TopicBrief):
    description: str
    keywords: list[str]
    category_codes: list[str]
    place: str | None
    created_at: datetime
    weekly: list[WeeklyCount]
    notes: list[TopicNoteRead]
    linked: list[TopicOrderRead]


class TopicNoteRead(BaseModel):
    text: str
    author: str | None
    at: datetime


class TopicOrderRead(BaseModel):
    number: str
    title: str
    status: str
    source: LinkSource
    linked_at: datetime


TopicRead.model_rebuild()
