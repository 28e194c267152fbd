"""HTML form fields → the same schemas the API validates, so pages and API obey one set of rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from minhu.core import clock
from minhu.orders.schemas import ActionRequest, OrderCreate
from minhu.web.forms import BOOL_TRUE as _BOOL_TRUE
from minhu.web.forms import int_or_none as _int_or_none
from minhu.web.forms import validated

M = TypeVar("M", ActionRequest, OrderCreate)


# The names people see on the forms, for a message that says which field is wrong.
FIELD_LABELS = {
    "type": "诉求类型", "channel": "来源渠道", "urgency": "紧急程度", "title": "标题", "content": "诉求内容",
    "citizen_name": "姓名", "citizen_phone": "手机号码", "address": "地址", "latitude": "纬度",
    "longitude": "经度", "note": "说明", "unit_id": "承办单位", "expected_version": "工单版本",
    "category_code": "诉求分类", "grade": "等级", "extend_to": "延期到", "return_reason": "退单原因",
    "reached": "是否联系到市民", "resolution": "解决情况", "satisfaction": "满意度", "method": "回访方式",
    "ruling": "认定结果", "unreasonable_kind": "不合理情形", "duplicate_of": "主工单编号",
}


def _validated(model: type[M], data: dict[str, Any]) -> M:
    return validated(model, data, FIELD_LABELS)


def action_request(form: Mapping[str, str], *, unit_ids: Sequence[str] = ()) -> ActionRequest:
    """Raises InvalidInput naming the fields that are wrong. ``unit_ids``: the units a whistle calls."""
    reached = form.get("reached")
    data: dict[str, Any] = {
        "expected_version": _int_or_none(form.get("expected_version")),
        "note": form.get("note", ""),
        "unit_id": _int_or_none(form.get("unit_id")),
        "category_code": form.get("category_code") or None,
        "unit_ids": [_int_or_none(v) for v in unit_ids if v],
        "return_reason": form.get("return_reason") or None,
        "grade": form.get("grade") or None,
        "extend_to": _city_instant_or_none(form.get("extend_to")),
        "make_rule": form.get("make_rule") in _BOOL_TRUE,
        "reached": None if reached in (None, "") else reached in _BOOL_TRUE,
        "resolution": form.get("resolution") or None,
        "satisfaction": form.get("satisfaction") or None,
        "method": form.get("method") or None,
        "ruling": form.get("ruling") or None,
        "unreasonable_kind": form.get("unreasonable_kind") or None,
        "duplicate_of": (form.get("duplicate_of") or "").strip() or None,
    }
    return _validated(ActionRequest, data)


def _city_instant_or_none(value: str | None) -> str | None:
    """A ``datetime-local`` field, read in the city's time zone (validated by the schema)."""
    if not value:
        return None
    try:
        return clock.city_local(value).isoformat()
    except ValueError:
        return value


def _float_or_none(value: str | None) -> float | str | None:
    if value is None or value.strip() == "":
        return None
    try:
        return float(value)
    except ValueError:
        return value


def order_create(form: Mapping[str, str], *, channel: str | None = None) -> OrderCreate:
    """Raises InvalidInput naming the fields that are wrong."""
    data: dict[str, Any] = {
        "type": form.get("type") or None,
        "channel": channel or form.get("channel") or "hotline",
        "urgency": form.get("urgency") or "normal",
        "title": form.get("title", ""),
        "content": form.get("content", ""),
        "citizen_name": form.get("citizen_name") or None,
        "citizen_phone": form.get("citizen_phone") or None,
        "anonymous": form.get("anonymous", "") in _BOOL_TRUE,
        "confidential": form.get("confidential", "") in _BOOL_TRUE,
        "address": form.get("address") or None,
        "latitude": _float_or_none(form.get("latitude")),
        "longitude": _float_or_none(form.get("longitude")),
    }
    return _validated(OrderCreate, data)
