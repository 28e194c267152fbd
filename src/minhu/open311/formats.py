"""The two wire formats of GeoReport v2, written from one tree of plain values.

A response is a root name, the name of each item and the items: dicts whose values are text, numbers, booleans,
datetimes, None (an empty element in XML, null in JSON), nested dicts, or lists, whose elements XML names by
``ITEM_NAMES`` (``attributes`` holds ``attribute`` elements, ``values`` holds ``value`` …). XML is what the
specification requires; JSON carries the same fields as an array of objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi.responses import Response

from minhu.core import clock


class Format(StrEnum):
    XML = "xml"
    JSON = "json"


MEDIA_TYPES = {Format.XML: "text/xml; charset=utf-8", Format.JSON: "application/json; charset=utf-8"}
# The formats discovery lists, as the specification writes them.
FORMAT_NAMES = ("text/xml", "application/json")
# What XML 1.0 cannot carry: C0 controls but tab and newlines, lone surrogates, U+FFFE and U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ITEM_NAMES = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format",
              "notes": "note", "photos": "photo", "services": "service", "errors": "error"}


def w3c(at: datetime | None) -> str | None:
    """An instant as W3C ISO 8601 with the city's offset (``2026-12-07T09:30:00+08:00``)."""
    if at is None:
        return None
    return at.astimezone(clock.city_tz()).replace(microsecond=0).isoformat()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value) or ""
    # Text another door stored may hold what XML cannot carry: dropped, so the answer stays well-formed.
    return NOT_XML.sub("", str(value))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _append(parent: Element, name: str, value: Any) -> None:
    element = SubElement(parent, name)
    if value is None:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(element, key, inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            _append(element, ITEM_NAMES.get(name, "item"), inner)
    else:
        element.text = _text(value)


def document(root: str, item: str | None, items: Sequence[dict[str, Any]] | dict[str, Any], fmt: Format,
             *, status_code: int = 200) -> Response:
    """``items`` under ``root`` (each named ``item``), or one dict as the root's own children (``item`` None:
    discovery, a service definition)."""
    if fmt is Format.JSON:
        body = json.dumps(_json_value(items), ensure_ascii=False)
        return Response(body.encode("utf-8"), status_code=status_code, media_type=MEDIA_TYPES[fmt])
    element = Element(root)
    if item is None:
        assert isinstance(items, dict)
        for key, value in items.items():
            _append(element, key, value)
    else:
        for one in items:
            _append(element, item, one)
    xml = tostring(element, encoding="utf-8", xml_declaration=True)
    return Response(xml, status_code=status_code, media_type=MEDIA_TYPES[fmt])


def errors(status: int, description: str, fmt: Format, *, headers: dict[str, str] | None = None) -> Response:
    """The specification's error body: ``<errors><error><code/><description/></error></errors>`` or
    ``[{"code", "description"}]``."""
    response = document("errors", "error", [{"code": status, "description": description}], fmt,
                        status_code=status)
    response.headers.update(headers or {})
    return response
