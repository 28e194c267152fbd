"""Every form body is read as strict UTF-8 text: a field in another encoding, or holding a control character, is
refused with a 422 in Chinese on every page (and nothing is written), whether the form is url-encoded or
multipart; raw UTF-8, line breaks and uploaded files pass as they are."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from minhu.core.db import Database
from minhu.orders.models import WorkOrder
from minhu.web.formdata import FormRoute
from tests.factories import make_order
from tests.intake.test_pages import csrf_of, login

WRITE = {"POST", "PUT", "PATCH", "DELETE"}


def routes(app: FastAPI) -> list[APIRoute]:
    def walk(found: list[Any]) -> list[APIRoute]:
        out: list[APIRoute] = []
        for route in found:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                out.extend(walk(inner.routes))
            elif isinstance(route, APIRoute):
                out.append(route)
        return out

    return walk(app.routes)


def order_count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(WorkOrder)) or 0


def _page_form_routes(app: FastAPI) -> list[APIRoute]:
    return [r for r in routes(app) if (r.methods or set()) & WRITE and not r.path.startswith(("/api/", "/open311/"))]


def _url(route: APIRoute, number: str) -> str:
    samples = {"number": number, "code": "01", "key": "order.red", "token": "t" * 22}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: samples.get(m.group(1), "1"), route.path)


def test_every_route_reads_its_form_strictly(app):
    loose = [r.path for r in routes(app) if not isinstance(r, FormRoute)]
    assert loose == [], "made with APIRouter(..., route_class=FormRoute)"


@pytest.mark.parametrize(("kind", "field", "refusal"), [
    ("urlencoded", b"%B2%E2%CA%D4", "UTF-8"),  # 测试 in GBK, percent-escaped as a browser would
    ("urlencoded", "\u6d4b\u8bd5".encode("gbk"), "UTF-8"),  # the same bytes unescaped, as curl -d sends them
    ("multipart", "\u6d4b\u8bd5".encode("gbk"), "UTF-8"),
    ("urlencoded", b"a%00b", "NUL"),
    ("multipart", b"a\x1bb", "U+001B"),
])
def test_every_page_form_refuses_a_field_that_is_not_utf8_text(client, db, world, kind, field, refusal):
    order = make_order(db, world)
    login(client, world.admin)
    token = csrf_of(client.get("/orders").text)
    checked = 0
    problems = []
    for route in _page_form_routes(client.app):
        url = _url(route, order.number)
        headers = {"Accept": "text/html"}
        if kind == "urlencoded":
            body = b"csrf_token=" + token.encode() + b"&note=" + field
            response = client.post(url, content=body, headers={
                **headers, "Content-Type": "application/x-www-form-urlencoded"}, follow_redirects=False)
        else:
            response = client.post(url, files=[("csrf_token", (None, token.encode())), ("note", (None, field))],
                                   headers=headers, follow_redirects=False)
        if response.status_code != 422 or refusal not in response.text or "未保存" not in response.text:
            problems.append(f"{url}: {response.status_code} {response.text[:120]}")
        checked += 1
    assert checked >= 50
    assert problems == []
    assert order_count(db) == 1, "nothing registered"


def test_the_refusal_names_the_field_for_a_client_that_reads_json(client, world):
    token = csrf_of(client.get("/public/report").text)
    response = client.post("/public/report", content=b"csrf_token=" + token.encode() + b"&title=%FF",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "not_utf8", "message": "表单内容须为 UTF-8 编码（字段 title），未保存",
        "details": [{"field": "title", "message": "表单内容须为 UTF-8 编码", "in": "form"}]}


def test_a_torn_multipart_body_is_refused_not_crashed_on(client, world):
    token = csrf_of(client.get("/public/report").text)
    response = client.post("/public/report", content=b"--x\r\nContent-Disposition: form-data\r\n\r\nabc",
                           headers={"Content-Type": "multipart/form-data; boundary=x", "X-CSRF-Token": token})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "malformed_body"
