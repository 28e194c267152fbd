"""The time-limit policy as a file: checked whole, loaded as a new version, matched against an order.

Format (UTF-8 CSV): ``limit,grade,type,urgency,channel,limit_class,amount,unit,warn_hours,urge_offset,note``
(a file without the ``urge_offset`` column is read as before). A blank key matches any order. When several
lines match, the one whose keys weigh most wins: urgency (a safety matter overrides everything), then the
category's time-limit class, the grade, the type, the channel.
Two lines with the same limit and the same keys are refused, so the answer never depends on line order.
The values a key may take are given by the caller (the order's enums live above this package).

``urge_offset`` says when the sweep urges (催办) the unit holding the order, counted from the deadline in the
line's own unit: ``-2`` two before it, ``2`` two after it (the seed's 3天办结、5天催办 is ``3`` working days
with ``2``), ``0`` at the deadline itself; blank urges when the light turns yellow, as without the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from minhu.core.errors import InvalidInput
from minhu.core.text import decode_text_file
from minhu.deadlines.models import LimitKind, LimitUnit, TimeLimitRule

DEFAULT_POLICY = Path(__file__).resolve().parent / "data" / "policy.csv"
KEYS = ("grade", "type", "urgency", "channel", "limit_class")
COLUMNS = ("limit", *KEYS, "amount", "unit", "warn_hours", "urge_offset", "note")
# The header before the urging point existed: such files still load, every line urging at yellow.
LEGACY_COLUMNS = ("limit", *KEYS, "amount", "unit", "warn_hours", "note")
# The limits the sweep urges on; the others (受理, 回访) have no urging point to move.
URGED_LIMITS = frozenset({LimitKind.SIGN, LimitKind.RESPOND, LimitKind.FINISH})
# How much a filled-in key weighs when lines compete: each outweighs all the lighter ones together.
KEY_WEIGHTS = {"urgency": 16, "limit_class": 8, "grade": 4, "type": 2, "channel": 1}
# No limit is longer than a year of working days; a longer one is a typo.
MAX_AMOUNT = {LimitUnit.WORKING_HOURS: 2000.0, LimitUnit.WORKING_DAYS: 250.0, LimitUnit.CALENDAR_HOURS: 8760.0}


@dataclass(frozen=True)
class PolicyLine:
    limit: LimitKind
    keys: dict[str, str | None]
    amount: float
    unit: LimitUnit
    warn_hours: float | None
    note: str
    urge_offset: float | None = None


@dataclass(frozen=True)
class PolicyFile:
    lines: list[PolicyLine]
    version: str


def _problem(line: int, message: str) -> dict[str, str]:
    return {"field": f"第 {line} 行", "message": message}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def parse_policy(raw: bytes, allowed: Mapping[str, Collection[str]]) -> PolicyFile:
    """Check a policy file whole; ``allowed`` gives each key's valid values. Raises InvalidInput naming
    every bad line; a policy without a default line for every limit is refused too."""
    text = decode_text_file(raw, source="时限政策文件")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) not in (COLUMNS, LEGACY_COLUMNS):
        raise InvalidInput(f"时限政策表头应为 {','.join(COLUMNS)}", code="policy_invalid")
    lines: list[PolicyLine] = []
    problems: list[dict[str, str]] = []
    seen: dict[tuple[object, ...], int] = {}
    for row in reader:
        number = reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        bad = len(problems)
        try:
            limit = LimitKind(values["limit"])
        except ValueError:
            problems.append(_problem(number, f"时限种类 {values['limit']!r} 无效，应为 "
                                             f"{'/'.join(k.value for k in LimitKind)}"))
        try:
            unit = LimitUnit(values["unit"])
        except ValueError:
            problems.append(_problem(number, f"单位 {values['unit']!r} 无效，应为 "
                                             f"{'/'.join(u.value for u in LimitUnit)}"))
        keys: dict[str, str | None] = {}
        for key in KEYS:
            value = values.get(key) or None
            if value is not None and value not in allowed.get(key, ()):
                problems.append(_problem(number, f"{key} 的值 {value!r} 无效"))
            keys[key] = value
        amount = _number(values.get("amount", ""))
        warn_hours = _number(values["warn_hours"]) if values.get("warn_hours") else None
        if values.get("warn_hours") and (warn_hours is None or warn_hours < 0):
            problems.append(_problem(number, "warn_hours 须为非负数"))
        urge_text = values.get("urge_offset", "")
        urge_offset = _number(urge_text) if urge_text else None
        if urge_text and urge_offset is None:
            problems.append(_problem(number, f"催办点 urge_offset {urge_text!r} 须为数字"
                                             "（负数为时限前，正数为时限后）"))
        if len(problems) > bad:
            continue
        if amount is None or amount <= 0 or amount > MAX_AMOUNT[unit]:
            problems.append(_problem(number, f"时长 {values.get('amount')!r} 须为大于 0、不超过 "
                                             f"{MAX_AMOUNT[unit]:g} 的数"))
            continue
        if unit is LimitUnit.WORKING_DAYS and amount != int(amount):
            problems.append(_problem(number, "工作日须为整数"))
            continue
        if urge_offset is not None and (problem := _urge_problem(limit, amount, unit, urge_offset)):
            problems.append(_problem(number, problem))
            continue
        signature = (limit, *keys.values())
        if signature in seen:
            problems.append(_problem(number, f"与第 {seen[signature]} 行的时限种类和条件完全相同"))
            continue
        seen[signature] = number
        lines.append(PolicyLine(limit, keys, amount, unit, warn_hours, values.get("note", ""), urge_offset))
    defaults = {line.limit for line in lines if not any(line.keys.values())}
    for limit in LimitKind:
        if limit not in defaults and not problems:
            problems.append({"field": "limit", "message": f"缺少“{limit.value}”的默认行（各条件均为空）"})
    if problems:
        raise InvalidInput(f"时限政策有 {len(problems)} 处问题，未载入任何内容", details=problems,
                           code="policy_invalid")
    return PolicyFile(lines, hashlib.sha256(raw).hexdigest()[:12])


def _urge_problem(limit: LimitKind, amount: float, unit: LimitUnit, offset: float) -> str | None:
    """What is wrong with a line's urging point, in the administrator's words; None when it is sound."""
    if limit not in URGED_LIMITS:
        return "催办点 urge_offset 只适用于签收、响应、办结时限"
    if unit is LimitUnit.WORKING_DAYS and offset != int(offset):
        return "以工作日计的催办点 urge_offset 须为整数"
    if amount + offset <= 0:
        return f"催办点 urge_offset {offset:g} 早于计时起点：时限前最多 {amount:g}（不含）"
    if offset > MAX_AMOUNT[unit]:
        return f"催办点 urge_offset 不能晚于时限 {MAX_AMOUNT[unit]:g} 以上"
    return None


def weight(rule: TimeLimitRule | PolicyLine) -> int:
    keys = rule.keys if isinstance(rule, PolicyLine) else {k: getattr(rule, k) for k in KEYS}
    return sum(KEY_WEIGHTS[k] for k, v in keys.items() if v is not None)


def matching_rule(rules: Collection[TimeLimitRule], limit: LimitKind,
                  order_keys: Mapping[str, str | None]) -> TimeLimitRule:
    """The heaviest line for ``limit`` whose filled-in keys all equal the order's."""
    candidates = [r for r in rules if r.limit is limit
                  and all(getattr(r, k) is None or getattr(r, k) == order_keys.get(k) for k in KEYS)]
    if not candidates:  # parse_policy insists on a default line for every limit
        raise LookupError(f"policy has no line for {limit}")
    return max(candidates, key=weight)
