"""Text (and instants) that every database stores and gives back unchanged.

Python accepts strings that PostgreSQL and UTF-8 cannot hold (NUL, lone surrogates from a JSON
``\\ud800`` escape); they are refused at the edge as malformed input rather than failing deep
inside a write.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def check_storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("文本不能包含 NUL 字符")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("文本不是有效的 Unicode（孤立代理字符）") from exc
    return value


def check_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("不能为空")
    return value


StorableText = Annotated[str, AfterValidator(check_storable)]
RequiredText = Annotated[str, AfterValidator(check_storable), AfterValidator(check_not_blank)]


def check_storable_instant(value: datetime) -> datetime:
    """An aware datetime that still exists in UTC (0001-01-01T00:00+08:00 does not)."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("时间超出可表示的范围（换算为 UTC 后须在 0001–9999 年之间）") from exc


StorableInstant = Annotated[AwareDatetime, AfterValidator(check_storable_instant)]
