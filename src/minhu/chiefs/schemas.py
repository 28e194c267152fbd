"""What a client sends about the chiefs' duty lists and what it gets back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from minhu.core.schemas import InputModel
from minhu.core.text import StorableText
from minhu.geo.models import PostKind
from minhu.orders.lights import Light

CategoryCode = Annotated[str, Field(pattern=r"^\d{2,12}$", max_length=12)]


class DutyItemWrite(InputModel):
    """One matter of a duty list: a catalog category, worded as the street's list words it (``item``, the
    category's name when empty), and the list it was taken from (``source``)."""

    category_code: CategoryCode
    item: Annotated[StorableText, Field(max_length=200)] = ""
    source: Annotated[StorableText, Field(max_length=100)] = ""


class DutyListWrite(InputModel):
    """The whole duty list: it replaces the one the chief's zone or grid had."""

    items: list[DutyItemWrite] = Field(max_length=500)


class DutyItemRead(BaseModel):
    category_code: str
    category_name: str
    item: str
    source: str
    active: bool  # False once the catalog retired the category: it then matches no order


class ChiefCounts(BaseModel):
    named: int  # orders that ever named this chief
    open: int  # of those, still open
    yellow: int  # open, with a yellow light
    red: int  # open, with a red light


class ChiefBrief(BaseModel):
    post_id: int
    kind: PostKind
    kind_label: str
    person: str
    zone: str  # the zone's or the grid's name
    zone_code: str
    starts_on: date
    ends_on: date | None
    account: str | None  # the username of the chief's own account, if any
    duties: int
    counts: ChiefCounts


class ChiefOrderRead(BaseModel):
    number: str
    title: str
    status: str
    category_code: str  # the duty list's category that named the chief
    light: Light | None
    finish_due_at: datetime | None
    named_at: datetime


class ChiefRead(ChiefBrief):
    phone: str | None
    duty_items: list[DutyItemRead]
    orders: list[ChiefOrderRead]  # the open orders named on the ground's chiefs that the reader may see
