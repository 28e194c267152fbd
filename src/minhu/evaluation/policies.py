"""Rate policies: how a city defines its three rates (三率) and the composite score that ranks its units.

A policy says which archived orders count (order types, channels, duplicates, what the centre's rulings do,
whether an order left open past its finish deadline counts against its unit where it went overdue),
what each rate's numerator is, how the citizen's answers weigh (基本满意 as 1, 0.8, ...), and the weights of
the composite. Policies are versioned: a city that changes its rules loads a new version, and every figure
names the version it was computed under, so last year's bulletin still reads as it was published.

A policy also says how 双考 goes on from there: how the units called onto orders (吹哨报到) are scored
(``[called]``), which units report at the weekly review for being last (每周末位汇报, ``[weekly]``), and the
places that earn a reward (``[[rewards]]``: a month's top ten, the top fifty or hundred over three months).
Each of these tables is optional; a policy without one does not score, report or reward that way.

Weights are exact fractions (written "1/2" or "0.8" in the file), so the rates are exact until the one
rounding step that shows them (see ``rates.percent``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core.errors import InvalidInput
from minhu.core.text import check_storable
from minhu.evaluation.models import RatePolicyRecord
from minhu.orders.enums import Channel, OrderType, Resolution, Ruling, Satisfaction
from minhu.org.roles import UnitKind

# What a rate may count (its numerator). The denominator follows: the counted orders for the clock measures,
# the orders with the citizen's answer (or a ruling that stands for it) for the answer measures.
NUMERATORS: dict[str, str] = {
    "responded_in_time": "按时响应（在响应时限内联系诉求人）",
    "responded": "已响应",
    "finished_in_time": "按时办结（在办结时限内答复）",
    "resolved": "已解决（按解决情况折算）",
    "satisfied": "满意（按满意度折算）",
}
ANSWER_NUMERATORS = frozenset({"resolved", "satisfied"})
RULING_EFFECTS = ("exclude", "solved", "as_rated")
UNREACHABLE_EFFECTS = ("exclude", "zero")


@dataclass(frozen=True)
class RateDefinition:
    key: str
    label: str
    numerator: str
    weight: Fraction

    @property
    def needs_answer(self) -> bool:
        return self.numerator in ANSWER_NUMERATORS


# The kinds of unit ranked on the three rates, and the name of the called units' ranking beside them.
RANKED_UNIT_KINDS: tuple[UnitKind, ...] = (UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.COMMUNITY,
                                           UnitKind.PROPERTY)
CALLED = "called"
# What a called unit is scored on, in the order shown.
CALLED_MEASURES: dict[str, str] = {"report": "报到率", "resolution": "解决率", "satisfaction": "满意率"}
REWARD_BASES = ("each", "combined")


@dataclass(frozen=True)
class CalledPolicy:
    """吹哨报到单位考核: the units called onto orders, scored on their reports and on the callbacks of those
    orders; ranked from ``min_calls`` calls in the period, the last ``bottom`` places marked."""

    weights: dict[str, Fraction]  # by CALLED_MEASURES key, summing to 1
    min_calls: int
    bottom: int

    def weights_text(self) -> str:
        return " · ".join(f"{label} {_percent_text(self.weights[key])}" for key, label in CALLED_MEASURES.items())


@dataclass(frozen=True)
class WeeklyPolicy:
    """每周末位汇报: for each of ``kinds`` (ranked unit kinds, or ``called``), the last ``bottom`` places of the
    week, among the units with ``min_orders`` counted orders (``min_calls`` calls for called units)."""

    kinds: tuple[str, ...]
    bottom: int
    min_orders: int
    min_calls: int


@dataclass(frozen=True)
class RewardTier:
    """A reward (奖励) for a place: ranked within ``top`` in each of ``months`` months ending with the month shown
    (``each``), or on those months' orders taken together (``combined``); for units of ``kinds``."""

    label: str
    top: int
    months: int
    basis: str
    kinds: frozenset[UnitKind]


@dataclass(frozen=True)
class RatePolicy:
    code: str
    version: int
    name: str
    description: str
    types: frozenset[OrderType]
    channels: frozenset[Channel]  # empty: every channel
    exclude_duplicates: bool
    unreachable: str
    rulings: dict[Ruling, str]
    resolution_weights: dict[Resolution, Fraction]
    satisfaction_weights: dict[Satisfaction, Fraction]
    rates: tuple[RateDefinition, ...]
    min_orders: int
    bottom: int
    # An order still open when its finish deadline passed counts, in the period of that deadline, as late and
    # as unresolved and unsatisfied; it does not count again when it is archived in a later period.
    count_overdue_open: bool = False
    called: CalledPolicy | None = None
    weekly: WeeklyPolicy | None = None
    rewards: tuple[RewardTier, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.code}@{self.version}"

    def excluded_rulings(self) -> frozenset[Ruling]:
        return frozenset(r for r, effect in self.rulings.items() if effect == "exclude")

    def solved_rulings(self) -> frozenset[Ruling]:
        return frozenset(r for r, effect in self.rulings.items() if effect == "solved")

    def weights_text(self) -> str:
        return " · ".join(f"{rate.label} {_percent_text(rate.weight)}" for rate in self.rates)


def _percent_text(weight: Fraction) -> str:
    value = weight * 100
    return f"{int(value)}%" if value.denominator == 1 else f"{float(value):g}%"


_E = TypeVar("_E", OrderType, Channel)


class PolicyError(InvalidInput):
    code = "invalid_rate_policy"

    def __init__(self, message: str, *, field: str, code: str | None = None) -> None:
        super().__init__(message, details=[{"field": field, "message": message}], code=code)


def _fraction(value: object, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PolicyError(f"{where} 须写成数字或分数字符串（如 \"0.8\" 或 \"4/5\"）", field=where)
    try:
        number = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise PolicyError(f"{where} 不是数字：{value}", field=where) from None
    if not 0 <= number <= 1:
        raise PolicyError(f"{where} 须在 0 到 1 之间：{value}", field=where)
    return number


def _enum_set(kind: type[_E], values: object, where: str) -> frozenset[_E]:
    if not isinstance(values, list):
        raise PolicyError(f"{where} 须是列表", field=where)
    try:
        return frozenset(kind(v) for v in values)
    except ValueError:
        raise PolicyError(f"{where} 含未知取值：{values}", field=where) from None


def _table(definition: dict[str, Any], name: str, allowed: set[str]) -> dict[str, Any] | None:
    """An optional table of the file, with no key but ``allowed`` (a misspelt key is an error, not a default)."""
    table = definition.get(name)
    if table is None:
        return None
    if not isinstance(table, dict):
        raise PolicyError(f"{name} 须是表（[{name}]）", field=name)
    _only(table, allowed, name)
    return table


def _only(table: dict[str, Any], allowed: set[str], where: str) -> None:
    if unknown := sorted(set(table) - allowed):
        raise PolicyError(f"{where} 含未知的项：{'、'.join(unknown)}（可用：{'、'.join(sorted(allowed))}）",
                          field=f"{where}.{unknown[0]}")


def _count(table: dict[str, Any], key: str, where: str, *, default: int | None = None, least: int = 0,
           most: int = 10_000) -> int:
    value = table.get(key, default)
    if value is None:
        raise PolicyError(f"考核口径缺少 {where}.{key}", field=f"{where}.{key}")
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise PolicyError(f"{where}.{key} 须是 {least} 到 {most} 之间的整数：{value}", field=f"{where}.{key}")
    return value


def _parse_called(definition: dict[str, Any]) -> CalledPolicy | None:
    table = _table(definition, "called", {"weights", "min_calls", "bottom"})
    if table is None:
        return None
    weights_table = table.get("weights")
    if not isinstance(weights_table, dict):
        raise PolicyError("called.weights 须是表，列出 report、resolution、satisfaction 的权重", field="called.weights")
    _only(weights_table, set(CALLED_MEASURES), "called.weights")
    weights = {key: _fraction(weights_table.get(key, "0"), f"called.weights.{key}") for key in CALLED_MEASURES}
    if sum(weights.values()) != 1:
        raise PolicyError("called.weights 的权重之和须等于 1", field="called.weights")
    return CalledPolicy(weights=weights, min_calls=_count(table, "min_calls", "called", default=1, least=1),
                        bottom=_count(table, "bottom", "called", default=0))


def _parse_weekly(definition: dict[str, Any]) -> WeeklyPolicy | None:
    table = _table(definition, "weekly", {"kinds", "bottom", "min_orders", "min_calls"})
    if table is None:
        return None
    known = [k.value for k in RANKED_UNIT_KINDS] + [CALLED]
    kinds = table.get("kinds", known)
    if not isinstance(kinds, list) or not kinds or any(k not in known for k in kinds) or len(set(kinds)) < len(kinds):
        raise PolicyError(f"weekly.kinds 须是不重复的 {'、'.join(known)} 组成的列表：{kinds}", field="weekly.kinds")
    return WeeklyPolicy(kinds=tuple(kinds), bottom=_count(table, "bottom", "weekly", least=1),
                        min_orders=_count(table, "min_orders", "weekly", default=1, least=1),
                        min_calls=_count(table, "min_calls", "weekly", default=1, least=1))


def _parse_rewards(definition: dict[str, Any]) -> tuple[RewardTier, ...]:
    tiers = definition.get("rewards", [])
    if not isinstance(tiers, list) or any(not isinstance(t, dict) for t in tiers):
        raise PolicyError("rewards 须写成 [[rewards]] 表的数组", field="rewards")
    parsed = []
    for index, tier in enumerate(tiers):
        where = f"rewards[{index}]"
        _only(tier, {"label", "top", "months", "basis", "kinds"}, where)
        label = tier.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 20:
            raise PolicyError(f"{where}.label 须是 1 到 20 个字的名称", field=f"{where}.label")
        try:
            check_storable(label)
        except ValueError as problem:
            raise PolicyError(f"{where}.label：{problem}", field=f"{where}.label") from None
        basis = tier.get("basis", "each")
        if basis not in REWARD_BASES:
            raise PolicyError(f"{where}.basis 须是 {REWARD_BASES} 之一", field=f"{where}.basis")
        kinds = tier.get("kinds", [UnitKind.STREET.value])
        ranked = {k.value for k in RANKED_UNIT_KINDS}
        if not isinstance(kinds, list) or not kinds or any(k not in ranked for k in kinds):
            raise PolicyError(f"{where}.kinds 须是 {'、'.join(sorted(ranked))} 组成的列表：{kinds}",
                              field=f"{where}.kinds")
        parsed.append(RewardTier(label=label.strip(), top=_count(tier, "top", where, least=1),
                                 months=_count(tier, "months", where, default=1, least=1, most=12), basis=basis,
                                 kinds=frozenset(UnitKind(k) for k in kinds)))
    if len({t.label for t in parsed}) < len(parsed):
        raise PolicyError("rewards 的 label 不能重复", field="rewards")
    return tuple(parsed)


def parse(definition: dict[str, Any]) -> RatePolicy:
    """A policy from its TOML tables, checked whole: every problem names the key it is about."""
    try:
        scope = definition.get("scope", {})
        answers = definition.get("answers", {})
        ranking = definition.get("ranking", {})
        code, version = str(definition["code"]), definition["version"]
        if not code.isidentifier() or not isinstance(version, int) or version < 1:
            raise PolicyError("code 须是字母数字标识，version 须是正整数", field="code")
        count_overdue_open = scope.get("count_overdue_open", False)
        if not isinstance(count_overdue_open, bool):
            raise PolicyError("scope.count_overdue_open 须为 true 或 false", field="scope.count_overdue_open")
        unreachable = scope.get("unreachable", "exclude")
        if unreachable not in UNREACHABLE_EFFECTS:
            raise PolicyError(f"scope.unreachable 须是 {UNREACHABLE_EFFECTS} 之一", field="scope.unreachable")
        rulings: dict[Ruling, str] = {}
        for ruling in Ruling:
            effect = scope.get("rulings", {}).get(ruling.value, "as_rated")
            if effect not in RULING_EFFECTS:
                raise PolicyError(f"scope.rulings.{ruling.value} 须是 {RULING_EFFECTS} 之一",
                                  field=f"scope.rulings.{ruling.value}")
            rulings[ruling] = effect
        resolution = {r: _fraction(answers["resolution"][r.value], f"answers.resolution.{r.value}") for r in Resolution}
        satisfaction = {s: _fraction(answers["satisfaction"][s.value], f"answers.satisfaction.{s.value}")
                        for s in Satisfaction}
        rates = []
        for index, rate in enumerate(definition["rates"]):
            if rate["numerator"] not in NUMERATORS:
                raise PolicyError(f"rates[{index}].numerator 须是 {sorted(NUMERATORS)} 之一",
                                  field=f"rates[{index}].numerator")
            rates.append(RateDefinition(str(rate["key"]), str(rate["label"]), rate["numerator"],
                                        _fraction(rate["weight"], f"rates[{index}].weight")))
        if not rates or sum(r.weight for r in rates) != 1:
            raise PolicyError("各项率的权重之和须等于 1", field="rates")
        if len({r.key for r in rates}) != len(rates):
            raise PolicyError("rates 的 key 不能重复", field="rates")
        return RatePolicy(
            code=code, version=version, name=str(definition["name"]),
            description=str(definition.get("description", "")),
            types=_enum_set(OrderType, scope.get("types", [t.value for t in OrderType]), "scope.types"),
            channels=_enum_set(Channel, scope.get("channels", []), "scope.channels"),
            exclude_duplicates=bool(scope.get("exclude_duplicates", True)), unreachable=unreachable, rulings=rulings,
            resolution_weights=resolution, satisfaction_weights=satisfaction, rates=tuple(rates),
            min_orders=int(ranking.get("min_orders", 1)), bottom=int(ranking.get("bottom", 0)),
            count_overdue_open=count_overdue_open, called=_parse_called(definition),
            weekly=_parse_weekly(definition), rewards=_parse_rewards(definition))
    except KeyError as missing:
        raise PolicyError(f"考核口径缺少 {missing.args[0]}", field=str(missing.args[0])) from None


def parse_toml(text: str) -> RatePolicy:
    return _parse_text(text)[0]


def _parse_text(text: str) -> tuple[RatePolicy, dict[str, Any]]:
    """The policy and the tables it was read from (what ``load`` stores)."""
    try:
        definition = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"考核口径文件不是合法的 TOML：{error}", field="file") from None
    # What is stored must be storable: a "\u0000" escape would reach the database as a NUL character.
    for key in ("code", "name", "description"):
        try:
            check_storable(str(definition.get(key, "")))
        except ValueError as problem:
            raise PolicyError(f"{key}：{problem}", field=key) from None
    return parse(definition), definition


def builtin_sources() -> dict[str, str]:
    """The policies shipped with minhu, by code: 水果湖街 (10/40/50) and the Beijing style."""
    folder = resources.files("minhu.evaluation") / "data" / "rate_policies"
    return {entry.name.removesuffix(".toml"): entry.read_text("utf-8")
            for entry in folder.iterdir() if entry.name.endswith(".toml")}


DEFAULT_CODE = "shuiguohu"


@cache
def _builtins() -> tuple[RatePolicy, ...]:
    # Package data: read and checked once per process, not on every page that names a policy.
    return tuple(map(parse_toml, builtin_sources().values()))


def available(session: Session) -> list[RatePolicy]:
    """Every selectable policy version: the built-ins and what was loaded, newest version of each code first."""
    found = {(p.code, p.version): p for p in _builtins()}
    for record in session.scalars(select(RatePolicyRecord)):
        found[(record.code, record.version)] = parse(record.definition)
    return sorted(found.values(), key=lambda p: (p.code != DEFAULT_CODE, p.code, -p.version))


def resolve(session: Session, ref: str | None) -> RatePolicy:
    """The policy a request names: ``code`` (its newest version), ``code@version``, or None for the default."""
    code, _, version_text = (ref or DEFAULT_CODE).partition("@")
    every = available(session)
    candidates = [p for p in every if p.code == code and (not version_text or str(p.version) == version_text)]
    if not candidates:
        known = ", ".join(sorted({p.ref for p in every}))
        raise PolicyError(f"没有考核口径 {ref}（可选：{known}）", field="policy", code="unknown_rate_policy")
    return candidates[0]


def load(session: Session, text: str) -> RatePolicy:
    """Store a new policy version; a version already loaded (or built in) is refused, never overwritten."""
    policy, definition = _parse_text(text)
    if any(p.code == policy.code and p.version == policy.version for p in available(session)):
        raise PolicyError(f"考核口径 {policy.ref} 已存在：请提高 version", field="version",
                          code="rate_policy_exists")
    session.add(RatePolicyRecord(code=policy.code, version=policy.version, name=policy.name, source=text,
                                 definition=definition))
    return policy
