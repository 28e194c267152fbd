"""The console's forms of the catalog, the matrix and the lists → the schemas the API validates."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from minhu.routing.schemas import (
    CategoryCreate,
    CategoryUpdate,
    RuleWrite,
    ViewCreate,
    ViewItemWrite,
    ViewUpdate,
)
from minhu.web.forms import BOOL_TRUE, int_or_none, validated

# The names people see on the forms, for a message that says which field is wrong.
FIELD_LABELS = {
    "parent": "上级分类", "name": "名称", "grade": "默认等级", "owner": "承办类型", "limit_class": "时限类别",
    "keywords": "关键词", "category_code": "分类", "place_unit_id": "地点", "owner_unit_id": "承办单位",
    "co_handler_ids": "协办单位", "source": "依据", "decided_on": "决定日期", "note": "备注", "code": "编码",
    "street_code": "街道", "section": "类别", "item": "事项",
}

# Keywords are typed as people type lists: separated by |, commas, 、 or spaces.
_KEYWORD_SEPARATORS = re.compile(r"[|,，、;；\s]+")


def keywords(text: str) -> list[str]:
    return [k for k in _KEYWORD_SEPARATORS.split(text) if k]


def _category_fields(form: Mapping[str, str]) -> dict[str, Any]:
    return {"name": form.get("name", ""), "grade": form.get("grade") or None, "owner": form.get("owner") or None,
            "limit_class": form.get("limit_class") or None, "keywords": keywords(form.get("keywords", ""))}


def category_create(form: Mapping[str, str]) -> CategoryCreate:
    """Raises InvalidInput naming the fields that are wrong."""
    return validated(CategoryCreate, {"parent": form.get("parent") or None, **_category_fields(form)}, FIELD_LABELS)


def category_update(form: Mapping[str, str]) -> CategoryUpdate:
    return validated(CategoryUpdate, _category_fields(form), FIELD_LABELS)


def rule_write(form: Mapping[str, str], *, co_handler_ids: Sequence[str], active: bool) -> RuleWrite:
    """``active``: a new rule is; an edited one is as its checkbox says."""
    data: dict[str, Any] = {
        "category_code": form.get("category_code") or None,
        "place_unit_id": int_or_none(form.get("place_unit_id")),
        "owner_unit_id": int_or_none(form.get("owner_unit_id")),
        "co_handler_ids": [int_or_none(v) for v in co_handler_ids if v],
        "source": form.get("source", ""),
        "decided_on": form.get("decided_on") or None,
        "note": form.get("note", ""),
        "active": active,
    }
    return validated(RuleWrite, data, FIELD_LABELS)


def view_create(form: Mapping[str, str]) -> ViewCreate:
    return validated(ViewCreate, {k: form.get(k, "") for k in ("code", "name", "street_code", "source")},
                     FIELD_LABELS)


def view_update(form: Mapping[str, str]) -> ViewUpdate:
    return validated(ViewUpdate, {"name": form.get("name", ""), "source": form.get("source", ""),
                                  "active": form.get("active", "") in BOOL_TRUE}, FIELD_LABELS)


def view_item(form: Mapping[str, str]) -> ViewItemWrite:
    return validated(ViewItemWrite, {k: form.get(k, "") for k in ("section", "item", "category_code", "grade")},
                     FIELD_LABELS)
