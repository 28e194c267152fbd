"""Malformed input to every API write route is refused in zh-CN: each message and each offending field's message is
Chinese (no "Value should have at most 200 items", no Python lists of enum values), in the one error shape."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from minhu.web.errors import validation_details

# English a pydantic or FastAPI message would carry.
ENGLISH = re.compile(r"\b(Value|value|should|Input|input|[Ff]ield required|valid|must|expected|[Ee]rror|"
                     r"[Ll]ist|[Ss]tring|least|most|[Ee]num)\b")
CJK = re.compile(r"[\u3400-\u9fff]")
WRITE = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(app: FastAPI) -> list[APIRoute]:
    def walk(routes: list[Any]) -> list[APIRoute]:
        found: list[APIRoute] = []
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                found.extend(walk(inner.routes))
            elif isinstance(route, APIRoute):
                found.append(route)
        return found

    return [r for r in walk(app.routes) if r.path.startswith("/api/") and (r.methods or set()) & WRITE]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            if options:
                return _resolve(spec, options[0])
    return schema


def _bad(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value the schema refuses: too long, too many, not one of the choices, the wrong type."""
    schema = _resolve(spec, schema)
    if "enum" in schema:
        return "no-such-choice"
    kind = schema.get("type")
    if kind == "string":
        if "maxLength" in schema:
            return "长" * (schema["maxLength"] + 1)
        if schema.get("format") in ("date-time", "date"):
            return "昨天下午"
        return 12345
    if kind in ("integer", "number"):
        return "many"
    if kind == "boolean":
        return "maybe"
    if kind == "array":
        return ["no-such-choice"] * 300
    return "not an object"


def _bodies(spec: dict[str, Any], route: APIRoute, method: str) -> list[tuple[str, Any]]:
    operation = spec["paths"][route.path][method.lower()]
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = _resolve(spec, content["application/json"]["schema"])
        props = schema.get("properties", {})
        bad = {name: _bad(spec, prop) for name, prop in props.items()}
        return [("json", {}), ("json", bad), ("json", {**bad, "no_such_field": 1}), ("raw", b"{not json")]
    if content:  # multipart or url-encoded: nothing, then text where a file is expected
        return [("form", {}), ("form", {"file": "不是文件"})]
    return [("json", {"unexpected": 1})]


def _path(route: APIRoute) -> str:
    sample = {"number": "WC20261130000001", "action": "no_such_action", "code": "01"}
    return re.sub(r"\{(\w+)\}", lambda m: sample.get(m.group(1), "1"), route.path)


def _english(text: str) -> bool:
    return bool(ENGLISH.search(text)) or not CJK.search(text)


def test_every_api_write_route_refuses_malformed_input_in_chinese(client, world, token_for):
    app: FastAPI = client.app
    spec = app.openapi()
    headers = token_for(world.admin)
    problems: list[str] = []
    checked = 0
    for route in _routes(app):
        for method in sorted((route.methods or set()) & WRITE):
            # Query parameters of the wrong kind as well (limits, dates, choices).
            params = {p["name"]: "不是数字" for p in spec["paths"][route.path][method.lower()].get("parameters", [])
                      if p["in"] == "query"}
            for kind, body in _bodies(spec, route, method):
                url = _path(route)
                if kind == "json":
                    response = client.request(method, url, json=body, headers=headers, params=params)
                elif kind == "raw":
                    response = client.request(method, url, content=body, params=params,
                                              headers={**headers, "Content-Type": "application/json"})
                else:
                    response = client.request(method, url, data=body, headers=headers, params=params)
                where = f"{method} {url} {kind} {json.dumps(body, ensure_ascii=False)[:80] if kind != 'raw' else ''}"
                if response.status_code >= 500 or response.status_code < 400:
                    if response.status_code >= 500:
                        problems.append(f"{where}: {response.status_code}")
                    continue
                error = response.json().get("error")
                if not isinstance(error, dict) or set(error) != {"code", "message", "details"}:
                    problems.append(f"{where}: not the error shape: {response.text[:200]}")
                    continue
                checked += 1
                messages = [error["message"]] + [d.get("message", "") for d in error["details"]
                                                 if isinstance(d, dict)]
                problems.extend(f"{where}: {m!r}" for m in messages if _english(m))
                if response.status_code == 422 and error["details"]:
                    assert all("field" in d for d in error["details"]), where
    assert checked > 40
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("error", "said"), [
    ({"type": "too_long", "loc": ("body", "unit_ids"), "msg": "List should have at most 10 items after validation",
      "ctx": {"field_type": "List", "max_length": 10, "actual_length": 300}}, "最多 10 项"),
    ({"type": "too_long", "loc": ("body", "title"), "msg": "Value should have at most 200 items after validation",
      "input": "长" * 201, "ctx": {"field_type": "Value", "max_length": 200, "actual_length": 201}},
     "不能超过 200 个字符"),
    ({"type": "enum", "loc": ("body", "type"), "msg": "Input should be 'complaint', 'suggestion'",
      "ctx": {"expected": "'complaint', 'consultation', 'suggestion', 'help', 'report' or 'praise'"}}, None),
    ({"type": "string_too_short", "loc": ("body", "note"), "msg": "String should have at least 1 character",
      "ctx": {"min_length": 1}}, "不能为空"),
    ({"type": "value_error", "loc": ("body",), "msg": "Value error, something", "ctx": {"error": "something"}},
     "取值不正确"),
    ({"type": "some_future_type", "loc": ("body", "x"), "msg": "Input is wrong in a new way"}, "取值不正确"),
])
def test_pydantic_errors_read_in_chinese(client, error: dict[str, Any], said: str | None) -> None:
    message = validation_details([error])[0]["message"]
    assert not _english(message), message
    if said is not None:
        assert message == said


def test_too_long_text_is_counted_in_characters(client, world, token_for):
    response = client.post("/api/v1/orders", headers=token_for(world.operator), json={
        "type": "complaint", "title": "灯" * 201, "content": "小区路灯不亮", "address": "路" * 501})
    assert response.status_code == 422
    said = {d["field"]: d["message"] for d in response.json()["error"]["details"]}
    assert said == {"title": "不能超过 200 个字符", "address": "不能超过 500 个字符"}


def test_a_refused_choice_lists_the_choices_by_their_labels(client, world, token_for):
    response = client.post("/api/v1/orders", headers=token_for(world.operator), json={
        "type": "grumble", "title": "路灯不亮", "content": "小区路灯不亮"})
    assert response.status_code == 422
    detail = next(d for d in response.json()["error"]["details"] if d["field"] == "type")
    assert detail["message"].startswith("不是可选的值（可选：投诉、")
    assert "complaint" not in detail["message"]


def test_a_request_that_is_only_a_phone_number_says_what_is_missing(client, token_for, world):
    headers = token_for(world.operator)
    for content in ("13812345678", "138-1234-5678！！", "  027 8888 6666  "):
        answer = client.post("/api/v1/orders", headers=headers,
                             json={"type": "help", "title": "来电", "content": content})
        assert answer.status_code == 422
        [detail] = answer.json()["error"]["details"]
        assert detail["field"] == "content"
        assert detail["message"] == "请说明反映的问题：诉求内容不能只有电话号码或数字"
