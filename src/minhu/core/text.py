"""Text (and instants) that every database stores and gives back unchanged.

Python accepts strings that PostgreSQL and UTF-8 cannot hold (NUL, lone surrogates from a JSON
``\\ud800`` escape); they are refused at the edge as malformed input rather than failing deep
inside a write. So are the other C0 control characters (escape, backspace, form feed…): no person
types them, they corrupt what a page, a CSV export or an XML feed later shows, and only tab, line
feed and carriage return have a meaning in text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from minhu.core.errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_problem(value: str) -> str | None:
    """What is wrong with ``value`` as stored text (zh-CN), or None: a C0 control character other than tab,
    line feed and carriage return, or a lone surrogate."""
    found = _CONTROL.search(value)
    if found is not None:
        char = found.group()
        return "文本不能包含 NUL 字符" if char == "\x00" else f"文本不能包含控制字符（U+{ord(char):04X}）"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "文本不是有效的 Unicode（孤立代理字符）"
    return None


def check_storable(value: str) -> str:
    problem = control_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def decode_text_file(raw: bytes, *, source: str = "文件", encoding: str | None = None) -> str:
    """A file's text: UTF-8 (with or without BOM) unless ``encoding`` says otherwise.

    Chinese spreadsheets save "CSV" as GB18030/GBK by default; such a file is named as such instead of
    being read as garbage. Raises InvalidInput (code ``not_utf8``).
    """
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InvalidInput(f"{source}无法按 {encoding} 解码：{exc}", code="not_utf8") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput(f"{source}不是 UTF-8 编码，也无法识别", code="not_utf8") from None
    raise InvalidInput(f"{source}是 GB18030/GBK 编码（Excel、WPS 的“CSV”默认如此），不是 UTF-8：请另存为"
                       "“CSV UTF-8（逗号分隔）”，或导入时注明编码（如 --encoding gb18030）", code="not_utf8")


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
