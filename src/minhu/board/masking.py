"""Personal data in a message's own words, masked before anything is shown to the public: mobile and landline
numbers, ID-card numbers, car plates, room and door numbers. And words of abuse, which hold a message for a
moderator's eyes whatever else it says.

Masking keeps what a reader needs to follow the matter (the estate, the building, the road) and the shape of
what was there (``138****5678``, ``鄂A·*****``, ``3栋*单元***室``), so a moderator sees what was masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Mainland ID card: 17 digits and a digit or X; checked before phone numbers, which it contains.
_ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[\s-]?\d{3,4}[\s-]?\d{4}(?!\d)|(?<!\d)(?:8|6)\d{3}[\s-]?\d{4}(?!\d)")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(rf"([{_PROVINCES}][A-HJ-NP-Z])[·・.\s]?[A-HJ-NP-Z0-9]{{5,6}}(?![A-Za-z0-9])", re.IGNORECASE)
# Digits, Latin letters and the plus and minus signs typed full-width (１３８…, ＋８６) read as their ASCII forms:
# what a Chinese input method types is masked like the rest.
_FULL_WIDTH = str.maketrans({chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)
                             if chr(code - 0xFEE0).isalnum() or chr(code - 0xFEE0) in "+-"})
# Rooms and doors: 3-2-501, 2单元1101室, 1101室, 501号房.
_DOOR_TRIPLE = re.compile(r"(?<![\d-])(\d{1,3})-\d{1,2}-\d{3,4}(?![\d-])")
_UNIT_ROOM = re.compile(r"(\d{1,2}|[一二三四五六七八九十])单元\s*\d{3,4}(室|号|房)?")
_ROOM = re.compile(r"(?<!\d)\d{3,4}(室|号房)")

ABUSE = ("傻逼", "煞笔", "傻b", "sb政府", "狗官", "狗日", "去死", "操你", "草泥马", "你妈的", "他妈的", "王八蛋",
         "畜生", "废物政府", "滚蛋", "杂种", "混蛋")


@dataclass(frozen=True)
class Masked:
    text: str
    # What was masked or found, in words for the moderator (手机号码, 身份证号 …), without repeats.
    found: tuple[str, ...]
    abusive: bool


def mask(text: str) -> Masked:
    found: list[str] = []
    text = text.translate(_FULL_WIDTH)

    def sub(pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str], label: str, value: str) -> str:
        result, count = pattern.subn(replace, value)
        if count and label not in found:
            found.append(label)
        return result

    out = sub(_ID_CARD, lambda m: f"{m.group(1)}{'*' * 12}", "身份证号", text)
    out = sub(_MOBILE, lambda m: f"{m.group(1)}****{m.group(2)}", "手机号码", out)
    out = sub(_LANDLINE, lambda m: f"{m.group(1) or ''}{'-' if m.group(1) else ''}********", "固定电话", out)
    out = sub(_PLATE, lambda m: f"{m.group(1).upper()}·*****", "车牌号", out)
    out = sub(_DOOR_TRIPLE, lambda m: f"{m.group(1)}-*-***", "门牌号", out)
    out = sub(_UNIT_ROOM, lambda m: f"{m.group(1)}单元***{m.group(2) or ''}", "门牌号", out)
    out = sub(_ROOM, lambda m: f"***{m.group(1)}", "门牌号", out)
    lowered = text.lower().replace(" ", "")
    abusive = any(word in lowered for word in ABUSE)
    if abusive:
        found.append("疑似辱骂")
    return Masked(out, tuple(found), abusive)
