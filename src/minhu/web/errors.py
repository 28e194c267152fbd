"""Every failure becomes ``{"error": {"code", "message", "details"}}`` with the right status.

HTML pages get the same errors rendered as a page; API paths (``/api/``) always get JSON.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from minhu.core.errors import DomainError, TooManyRequests
from minhu.core.outages import is_unavailable
from minhu.web.formdata import MalformedForm

log = logging.getLogger("minhu.web")

_HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
               415: "unsupported_media_type", 422: "invalid_input", 429: "too_many_requests"}


# Starlette's own messages ("Not Found", "Method Not Allowed") as a zh-CN user reads them.
_HTTP_MESSAGES = {404: "页面或资源不存在", 405: "不支持此请求方法", 406: "无法提供所要求的格式",
                  415: "不支持的内容类型", 429: "请求过于频繁，请稍后再试"}


DATABASE_UNAVAILABLE = "数据库暂时不可用，请稍后重试"
DATABASE_RETRY_SECONDS = 5


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details if details is not None else []}}


def _field_path(loc: tuple[Any, ...]) -> str:
    # ("body", "citizen_phone") -> "citizen_phone"; ("query", "limit") -> "limit"
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header", "form") else [
        str(p) for p in loc]
    return ".".join(parts) or (str(loc[0]) if loc else "body")


# The people reading these are Chinese-speaking staff and residents; pydantic speaks English. Every error type
# pydantic raises has its zh-CN sentence here; one it adds later falls back to "取值不正确", never to English.
_ZH_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "missing_argument": "必填",
    "extra_forbidden": "不接受此字段",
    "unexpected_keyword_argument": "不接受此字段",
    "string_type": "应为文本",
    "string_sub_type": "应为文本",
    "string_unicode": "应为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "数字过大",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多",
    "decimal_whole_digits": "整数位数过多",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "bool_parsing": "应为是或否",
    "bool_type": "应为是或否",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "应大于 {gt}",
    "less_than": "应小于 {lt}",
    "datetime_parsing": "不是有效的时间",
    "datetime_from_date_parsing": "不是有效的时间",
    "datetime_type": "不是有效的时间",
    "datetime_object_invalid": "不是有效的时间",
    "datetime_past": "应为过去的时间",
    "datetime_future": "应为将来的时间",
    "date_parsing": "不是有效的日期",
    "date_type": "不是有效的日期",
    "date_from_datetime_parsing": "不是有效的日期",
    "date_from_datetime_inexact": "应为日期，不带时刻",
    "date_past": "应为过去的日期",
    "date_future": "应为将来的日期",
    "time_parsing": "不是有效的时刻",
    "time_type": "不是有效的时刻",
    "time_delta_parsing": "不是有效的时长",
    "time_delta_type": "不是有效的时长",
    "timezone_aware": "时间须带时区（如 +08:00）",
    "timezone_naive": "时间不应带时区",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dataclass_type": "应为对象",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "frozen_set_type": "应为列表",
    "iterable_type": "应为列表",
    "json_type": "应为 JSON 文本",
    "url_parsing": "不是有效的网址",
    "url_type": "不是有效的网址",
    "url_scheme": "网址须以 http:// 或 https:// 开头",
    "url_syntax_violation": "不是有效的网址",
    "url_too_long": "网址过长",
    "uuid_parsing": "格式不正确",
    "uuid_type": "格式不正确",
    "bytes_type": "应为文件或文本",
    "bytes_too_short": "内容过短",
    "bytes_too_long": "内容过长",
    "none_required": "应为空",
    "is_instance_of": "类型不正确",
    "is_subclass_of": "类型不正确",
    "union_tag_invalid": "类型不正确",
    "union_tag_not_found": "缺少类型标识",
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
    "frozen_field": "不可修改",
    "frozen_instance": "不可修改",
}
_FALLBACK = "取值不正确"
_CJK = re.compile(r"[\u3400-\u9fff]")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")

# The zh-CN labels of the choices a field may take, by the set of their values (registered by the app from the
# same label tables the pages use): "不是可选的值（可选：投诉、建议）", never "'complaint' or 'suggestion'".
_CHOICE_LABELS: dict[frozenset[str], dict[str, str]] = {}


def register_choice_labels(*tables: Mapping[Any, str]) -> None:
    """Each ``{EnumMember: "标签"}`` table, so that a refused choice lists what may be chosen by its labels."""
    for table in tables:
        by_value = {str(getattr(key, "value", key)): label for key, label in table.items()}
        _CHOICE_LABELS[frozenset(by_value)] = by_value


def _choices(expected: str) -> str | None:
    values = _QUOTED.findall(expected)
    labels = _CHOICE_LABELS.get(frozenset(values)) if values else None
    return "、".join(labels[v] for v in values) if labels else None


def _zh_message(err: dict[str, Any]) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        said = str(ctx.get("error", ""))
        if "UploadFile" in said:  # FastAPI: text where a file was expected
            return "应为上传的文件"
        return said if _CJK.search(said) else _FALLBACK  # our own validators speak Chinese already
    if kind in ("too_long", "too_short") and isinstance(err.get("input"), str):
        # A length limit on an optional text (``str | None``) is reported as a generic "too_long".
        kind = f"string_{kind}"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "不能为空"
    if kind in ("enum", "literal_error"):
        listed = _choices(str(ctx.get("expected", "")))
        return f"不是可选的值（可选：{listed}）" if listed else "不是可选的值"
    template = _ZH_MESSAGES.get(kind)
    if template is None:
        said = str(err.get("msg", ""))
        return said if _CJK.search(said) else _FALLBACK
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split(" {")[0]


def validation_details(errors: Any) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        kind = err.get("type", "")
        if kind == "json_invalid":
            details.append({"field": "body", "message": "请求体不是合法的 JSON（或不是 UTF-8 编码）",
                            "type": kind})
            continue
        details.append({"field": _field_path(loc), "message": _zh_message(err), "type": kind,
                        "in": str(loc[0]) if loc else "body"})
    return details


def install(app: FastAPI, *, render_html_error: Any = None) -> None:
    """Register the handlers. ``render_html_error(request, status, message)`` draws page errors."""

    def wants_html(request: Request) -> bool:
        return render_html_error is not None and not request.url.path.startswith("/api/") \
            and "text/html" in request.headers.get("accept", "")

    def reply(request: Request, status: int, body: dict[str, Any]) -> Response:
        if wants_html(request):
            return render_html_error(request, status, body["error"]["message"])  # type: ignore[no-any-return]
        return JSONResponse(body, status_code=status)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        response = reply(request, exc.status, exc.as_body())
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return reply(request, 422, error_body("invalid_input", "请求内容不合法", validation_details(exc.errors())))

    @app.exception_handler(MalformedForm)
    async def _malformed_form(request: Request, exc: MalformedForm) -> Response:
        return reply(request, 422, error_body(exc.code, str(exc.detail), exc.details))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        code = _HTTP_CODES.get(status, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code
        if message == HTTPStatus(status).phrase and status in _HTTP_MESSAGES:
            message = _HTTP_MESSAGES[status]
        details: list[dict[str, str]] = []
        if status == 400:
            # FastAPI's only 400 is a body it could not parse (e.g. invalid UTF-8): malformed input.
            status, code, message = 422, "malformed_body", "请求体无法解析（须为 UTF-8 编码的合法 JSON 或表单）"
            details = [{"field": "body", "message": message}]
        response = reply(request, status, error_body(code, message, details))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def _database(request: Request, exc: Exception) -> Response:
        if not is_unavailable(exc):
            return await _unexpected(request, exc)
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        response = reply(request, 503, error_body("database_unavailable", DATABASE_UNAVAILABLE))
        response.headers["Retry-After"] = str(DATABASE_RETRY_SECONDS)
        return response

    # A database that is locked or does not answer is an outage, not a bug: 503 at once, and the next request
    # after it returns succeeds (the pool replaces connections the server dropped).
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(PoolTimeoutError, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return reply(request, 500, error_body("internal_error", "服务器内部错误，已记录，请稍后重试"))
