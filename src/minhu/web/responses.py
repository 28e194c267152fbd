"""The error responses routes declare in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_DESCRIPTIONS = {
    400: "请求无法解析", 401: "未认证或令牌无效", 403: "无权执行", 404: "不存在或不可见",
    409: "与当前状态冲突", 413: "请求体过大", 422: "输入不合法（details 指明字段）",
    429: "尝试过于频繁（Retry-After 指明等待秒数）",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] | dict[str, Any]


class ErrorBody(BaseModel):
    error: ErrorDetail


def ERRORS(*statuses: int) -> dict[int | str, dict[str, Any]]:  # noqa: N802 - reads like a constant
    """``responses=`` for a route: each status with the shared error body."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses}
