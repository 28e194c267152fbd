"""Reading Open311 answers as a client would: XML through a real XML parser, element by element, into the same
plain values JSON gives, so one assertion checks both formats."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from tests.open311.conftest import BASE, KEY

FORMATS = ("xml", "json")
LISTS = {"attributes", "values", "endpoints", "formats", "notes", "photos"}
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})$")


def _element(element: ET.Element) -> Any:
    children = list(element)
    if element.tag in LISTS:
        return [_element(child) for child in children]
    if not children:
        return element.text  # None for an empty element, as JSON's null
    return {child.tag: _element(child) for child in children}


def read(response, fmt: str, *, root: str | None = None, item: str | None = None) -> Any:
    """The body as plain values: a list of dicts for list answers (``item`` names XML's children), a dict for
    discovery and definitions. XML's leaves are text; numbers and booleans compare through ``text``."""
    assert response.headers["content-type"].startswith("text/xml" if fmt == "xml" else "application/json")
    if fmt == "json":
        return response.json()
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    tree = ET.fromstring(response.content)
    if root is not None:
        assert tree.tag == root
    if item is None:
        return _element(tree)
    assert all(child.tag == item for child in tree)
    return [_element(child) for child in tree]


def text(value: Any) -> str | None:
    """A JSON value as XML writes it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def error_of(response, fmt: str) -> dict[str, Any]:
    errors = read(response, fmt, root="errors", item="error")
    assert len(errors) == 1
    assert text(errors[0]["code"]) == str(response.status_code)
    found: dict[str, Any] = errors[0]
    return found


def instant(value: str) -> datetime:
    assert W3C.match(value), value
    return datetime.fromisoformat(value)


def post_request(client, fmt: str = "json", **fields: Any):
    data: dict[str, Any] = {"api_key": KEY, "service_code": "streetlight", "lat": "30.5526", "long": "114.3053",
                            "attribute[fault]": "dark",
                            "description": "幸福里小区3栋门口的路灯坏了一个多星期，晚上漆黑一片。"}
    data.update(fields)
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


def created_id(response, fmt: str = "json") -> str:
    assert response.status_code in (200, 201), response.text
    [item] = read(response, fmt, root="service_requests", item="request")
    return str(item["service_request_id"])


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
