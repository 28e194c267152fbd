"""Every JSON body the API takes is held to one rule: a field the schema does not know is refused, and so is free
text holding NUL or another control character (PostgreSQL refuses NUL in a text column, which used to surface as a
500 there). Both are 422s naming the offending fields, and nothing is written."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import func, select

from minhu.core.schemas import InputModel
from minhu.orders.models import WorkOrder
from tests.api.test_validation_messages import WRITE, _path, _resolve, _routes


def _json_bodies(app: FastAPI) -> list[tuple[APIRoute, str, dict[str, Any]]]:
    spec = app.openapi()
    found = []
    for route in _routes(app):
        for method in sorted((route.methods or set()) & WRITE):
            content = spec["paths"][route.path][method.lower()].get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((route, method, _resolve(spec, content["application/json"]["schema"])))
    return found


def _with_control_characters(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Each text property of ``schema`` (or list of texts) holding a NUL, an escape and a line feed."""
    body: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(spec, prop)
        if prop.get("type") == "string" and "enum" not in prop and "format" not in prop:
            body[name] = "路灯\x00不亮\x1b\n"
        elif prop.get("type") == "array" and _resolve(spec, prop.get("items", {})).get("type") == "string":
            body[name] = ["路灯\x00不亮"]
    return body


def test_every_json_body_is_an_input_model(app):
    loose = []
    for route in _routes(app):
        for param in route.dependant.body_params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel) and not issubclass(model, InputModel):
                loose.append(f"{route.path}: {model.__name__}")
    assert loose == []


def test_every_json_body_refuses_a_field_it_does_not_know(client, world, token_for):
    headers = token_for(world.admin)
    bodies = _json_bodies(client.app)
    assert len(bodies) >= 12
    problems = []
    for route, method, _schema in bodies:
        response = client.request(method, _path(route), json={"no_such_field": 1}, headers=headers)
        named = {(d.get("field"), d.get("type")) for d in response.json()["error"]["details"]} \
            if response.status_code == 422 else set()
        if ("no_such_field", "extra_forbidden") not in named:
            problems.append(f"{method} {route.path}: {response.status_code} {response.text[:160]}")
    assert problems == []


def test_every_json_body_refuses_control_characters_in_its_text_naming_each_field(client, db, world, token_for):
    headers = token_for(world.admin)
    spec = client.app.openapi()
    problems = []
    checked = 0
    for route, method, schema in _json_bodies(client.app):
        body = _with_control_characters(spec, schema)
        if not body:
            continue
        response = client.request(method, _path(route), json=body, headers=headers)
        if response.status_code != 422:
            problems.append(f"{method} {route.path}: {response.status_code} {response.text[:160]}")
            continue
        named = {str(d.get("field", "")).split(".")[0] for d in response.json()["error"]["details"]}
        missing = sorted(set(body) - named)
        if missing:
            problems.append(f"{method} {route.path}: {missing} not named in {response.text[:300]}")
        checked += len(body)
    assert checked >= 25
    assert problems == []
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == 0
