"""Pydantic shapes of the catalog, the responsibility matrix and the streets' item lists.

Pages parse their forms into the same shapes the API validates, so both obey one set of rules.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from minhu.core.schemas import InputModel
from minhu.core.text import RequiredText, StorableText
from minhu.core.types import MAX_ROW_ID
from minhu.org.schemas import UnitRead
from minhu.routing.models import Grade, LimitClass, OwnerKind

CATEGORY_CODE = r"^(\d{2}){1,3}$"
PARENT_CODE = r"^(\d{2}){1,2}$"
VIEW_CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"

CategoryCode = Annotated[str, Field(pattern=CATEGORY_CODE, description="两位一级，如 09、0902、090203")]
# A keyword is matched as a substring of the order's text; ``|`` separates keywords in the catalog file.
Keyword = Annotated[RequiredText, Field(max_length=40, pattern=r"^[^|\s]+$")]
Keywords = Annotated[list[Keyword], Field(max_length=60)]
RowId = Annotated[StrictInt, Field(ge=1, le=MAX_ROW_ID)]


class _Input(InputModel):
    model_config = ConfigDict(str_strip_whitespace=True)


# --- the catalog -------------------------------------------------------------------------------------


class CategoryRead(BaseModel):
    code: str
    parent: str | None
    name: str
    level: int
    grade: Grade
    owner: OwnerKind
    limit_class: LimitClass
    keywords: list[str]
    active: bool


class CategoryNode(CategoryRead):
    children: list[CategoryNode] = Field(default_factory=list)


class CategoryCreate(_Input):
    """A new category under ``parent`` (none: a new first level); its code is the parent's next free one."""

    parent: Annotated[str | None, Field(pattern=PARENT_CODE, description="上级分类编码；空为一级分类")] = None
    name: Annotated[RequiredText, Field(max_length=100)]
    grade: Grade
    owner: OwnerKind
    limit_class: LimitClass
    keywords: Keywords = Field(default_factory=list)


class CategoryUpdate(_Input):
    """The fields to change. ``active: false`` retires the category and everything below it; ``true``
    restores it alone (its parent must be active)."""

    name: Annotated[RequiredText | None, Field(max_length=100)] = None
    grade: Grade | None = None
    owner: OwnerKind | None = None
    limit_class: LimitClass | None = None
    keywords: Keywords | None = None
    active: StrictBool | None = None


class CatalogLoadRead(BaseModel):
    added: int
    updated: int
    retired: int
    version: str


# --- the responsibility matrix -----------------------------------------------------------------------


class RuleWrite(_Input):
    """A rule of the matrix: this category (and below) at this place (and below) → this owner."""

    category_code: Annotated[CategoryCode | None, Field(description="空为所有分类")] = None
    place_unit_id: Annotated[RowId | None, Field(description="区、街道、社区或网格；空为全辖区")] = None
    owner_unit_id: RowId
    co_handler_ids: Annotated[list[RowId], Field(max_length=10, description="协办单位")] = Field(
        default_factory=list)
    source: Annotated[StorableText, Field(max_length=200, description="依据，如联席会议纪要")] = ""
    decided_on: date | None = None
    note: Annotated[StorableText, Field(max_length=2000)] = ""
    active: StrictBool = True


class RuleUpdate(_Input):
    """The fields to change; the rule is checked again as a whole."""

    category_code: CategoryCode | None = None
    place_unit_id: RowId | None = None
    owner_unit_id: RowId | None = None
    co_handler_ids: Annotated[list[RowId] | None, Field(max_length=10)] = None
    source: Annotated[StorableText | None, Field(max_length=200)] = None
    decided_on: date | None = None
    note: Annotated[StorableText | None, Field(max_length=2000)] = None
    active: StrictBool | None = None


class RuleRead(BaseModel):
    id: int
    category_code: str | None
    category_path: str | None = Field(description="城市管理 › 市容环卫 › 占道经营；空为所有分类")
    place: UnitRead | None
    owner: UnitRead
    co_handlers: list[UnitRead]
    source: str
    decided_on: date | None
    note: str
    active: bool
    description: str


class ShadowedRead(BaseModel):
    rule: RuleRead
    by: RuleRead | None = Field(description="总是优先于它的规则；空表示它已无可匹配的工单")
    reason: str


class TrialRead(BaseModel):
    """Which rule would decide an order of this category standing at this place, and why."""

    category_code: str | None
    category_path: str | None
    place: UnitRead | None
    grade: Grade
    grade_reasons: list[str]
    owner: UnitRead | None
    co_handlers: list[UnitRead]
    rule: RuleRead | None
    reason: str
    applicable: list[RuleRead] = Field(description="适用的规则，决定者在前")


# --- the streets' item lists -------------------------------------------------------------------------


class ViewItemRead(BaseModel):
    id: int
    section: str
    item: str
    category_code: str
    category_path: str
    grade: Grade


class ViewRead(BaseModel):
    code: str
    name: str
    street: UnitRead | None
    source: str
    active: bool
    items: list[ViewItemRead]


class ViewCreate(_Input):
    code: Annotated[str, Field(pattern=VIEW_CODE, description="清单编码，如 SGH-A")]
    name: Annotated[RequiredText, Field(max_length=100)]
    street_code: Annotated[RequiredText, Field(max_length=32)]
    source: Annotated[StorableText, Field(max_length=200)] = ""


class ViewUpdate(_Input):
    name: Annotated[RequiredText | None, Field(max_length=100)] = None
    source: Annotated[StorableText | None, Field(max_length=200)] = None
    active: StrictBool | None = None


class ViewItemWrite(_Input):
    section: Annotated[RequiredText, Field(max_length=100, description="清单中的类别，如 市容环境类")]
    item: Annotated[RequiredText, Field(max_length=200, description="清单的事项原文")]
    category_code: CategoryCode
    grade: Grade


class ViewsLoadRead(BaseModel):
    views: int
    items: int
    version: str
