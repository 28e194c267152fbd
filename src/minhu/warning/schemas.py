"""What a client sends to the early-warning API and what it gets back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from minhu.core.schemas import InputModel
from minhu.core.text import StorableText
from minhu.warning.models import WarningState


class TaskRequest(InputModel):
    """转为任务: the unit that acts, by when, and what it is asked to do."""

    unit_id: Annotated[int, Field(strict=True, ge=1, le=2_147_483_647)]
    due_on: date
    note: Annotated[StorableText, Field(min_length=1, max_length=2_000)]


class DismissRequest(InputModel):
    reason: Annotated[StorableText, Field(min_length=1, max_length=2_000)]


class WarningOrder(BaseModel):
    number: str
    title: str


class WarningTask(BaseModel):
    unit_id: int
    unit_name: str | None
    due_on: date
    note: str
    by_id: int | None
    at: datetime | None


class WarningRead(BaseModel):
    id: int
    state: WarningState
    state_label: str
    community_id: int
    community_name: str
    street_id: int | None
    street_name: str
    category_code: str
    category_name: str
    week_start: date
    observed: int
    expected: float
    trailing_mean: float
    last_year: float | None
    p_value: float
    orders: list[WarningOrder]
    detected_at: datetime
    acknowledged_by_id: int | None
    acknowledged_at: datetime | None
    task: WarningTask | None
    dismissed_at: datetime | None
    dismiss_reason: str


class WarningPage(BaseModel):
    total: int
    items: list[WarningRead]
