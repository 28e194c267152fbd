"""Reply quality (答复质量): how well a unit's reply answers its request, scored before the centre approves it.

Pure functions over text and day counts, no database: ``score(ReplyInput(...))`` gives a score 0–100, a
grade (优/良/中/差), one sub-score per criterion with its reasons in zh-CN, the parts the reply lacks, and
why the total was capped below its criteria's weighted sum, when it was.
The criteria — relevance, completeness, timeliness, tone — their weights and every phrase list are data,
in ``data/reply_quality.toml`` (documented there), so a city tunes them without touching code.

Relevance compares character bigrams rather than words: jieba is not a runtime dependency, and bigrams
carry place names and objects (景蓉, 路灯) as well as words do for an overlap measure.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).parent / "data" / "reply_quality.toml"

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_ALNUM = re.compile(r"[A-Za-z0-9]{2,}")
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,80})[”\"」』]")
_DATE = re.compile(r"\d{2,4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*月\s*\d{1,2}\s*日")
_NOISE = re.compile(r"[\s\W_]+")
_USER = re.compile(r"[A-Z]{1,2}\d{3,}")  # the board's user codes (UU0081234) say nothing


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


GRADE_LABELS = {Grade.EXCELLENT: "优", Grade.GOOD: "良", Grade.FAIR: "中", Grade.POOR: "差"}
CRITERION_LABELS = {"relevance": "针对性", "completeness": "完整性", "timeliness": "及时性", "tone": "规范性"}


@dataclass(frozen=True)
class Part:
    """A part a good reply has (核查情况, 处理措施 …), found by any of its phrases or patterns."""

    key: str
    label: str
    hint: str
    weight: float
    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]

    def found_in(self, text: str) -> bool:
        return any(p in text for p in self.phrases) or any(p.search(text) for p in self.patterns)


@dataclass(frozen=True)
class Kind:
    """A kind of request (咨询, 建议) recognised by its title, and the parts its reply is expected to have."""

    key: str
    label: str
    phrases: tuple[str, ...]
    expects: frozenset[str]


@dataclass(frozen=True)
class Rules:
    weights: Mapping[str, float]
    grades: Sequence[tuple[Grade, float]]  # best first
    title_share: float
    title_full: float
    detail_full: float
    detail_chars: int
    ignore: frozenset[str]
    off_topic_below: float
    off_topic_cap: float
    parts: Sequence[Part]
    kinds: Sequence[Kind]
    default_limit_days: float
    zero_at: float
    greetings: tuple[str, ...]
    thanks: tuple[str, ...]
    polite_share: float
    generic: tuple[str, ...]  # longest first, so a long phrase is removed before the short one inside it
    empty_chars: int
    substance_full: int
    empty_cap: float


def parse_rules(raw: Mapping[str, Any]) -> Rules:
    """Rules from the TOML document's data; raises KeyError or ValueError when it is incomplete."""
    parts = [Part(key=p["key"], label=p["label"], hint=p["hint"], weight=float(p["weight"]),
                  phrases=tuple(p.get("phrases", ())), patterns=tuple(re.compile(x) for x in p.get("patterns", ())))
             for p in raw["completeness"]["parts"]]
    kinds = [Kind(key=k["key"], label=k["label"], phrases=tuple(k["phrases"]), expects=frozenset(k["expects"]))
             for k in raw["completeness"].get("kinds", ())]
    unknown = {key for kind in kinds for key in kind.expects} - {p.key for p in parts}
    if unknown:
        raise ValueError(f"kinds expect parts that are not defined: {sorted(unknown)}")
    weights = {k: float(v) for k, v in raw["weights"].items()}
    if set(weights) != set(CRITERION_LABELS):
        raise ValueError(f"weights must name exactly {sorted(CRITERION_LABELS)}")
    grades = sorted(((Grade(k), float(v)) for k, v in raw["grades"].items()), key=lambda g: -g[1])
    rel, tim, tone = raw["relevance"], raw["timeliness"], raw["tone"]
    return Rules(
        weights=weights, grades=grades, title_share=float(rel["title_share"]), title_full=float(rel["title_full"]),
        detail_full=float(rel["detail_full"]), detail_chars=int(rel["detail_chars"]), ignore=frozenset(rel["ignore"]),
        off_topic_below=float(rel["off_topic_below"]), off_topic_cap=float(rel["off_topic_cap"]), parts=parts,
        kinds=kinds, default_limit_days=float(tim["default_limit_days"]), zero_at=float(tim["zero_at"]),
        greetings=tuple(tone["greetings"]), thanks=tuple(tone["thanks"]), polite_share=float(tone["polite_share"]),
        generic=tuple(sorted(tone["generic"], key=len, reverse=True)), empty_chars=int(tone["empty_chars"]),
        substance_full=int(tone["substance_full"]), empty_cap=float(tone["empty_cap"]))


@cache
def default_rules() -> Rules:
    return parse_rules(tomllib.loads(RULES_FILE.read_text("utf-8")))


@dataclass(frozen=True)
class ReplyInput:
    """A request and its reply. ``days_taken``: working days from the request to the reply;
    ``limit_days``: the order's limit in working days (the rules' default when unknown)."""

    title: str
    detail: str
    reply: str
    days_taken: float | None = None
    limit_days: float | None = None


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    score: float | None  # 0–100; None when it could not be judged (it then carries no weight)
    weight: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class MissingPart:
    key: str
    label: str
    hint: str


@dataclass(frozen=True)
class ReplyQuality:
    score: int
    grade: Grade
    criteria: tuple[Criterion, ...]
    missing: tuple[MissingPart, ...]
    says_nothing: bool
    # Why the total is below the criteria's weighted sum (the cap that lowered it): without it the score
    # would contradict the sub-scores shown beside it.
    caps: tuple[str, ...] = ()

    @property
    def grade_label(self) -> str:
        return GRADE_LABELS[self.grade]

    def as_payload(self) -> dict[str, Any]:
        """What the APPROVE event keeps in the trail: small, plain JSON."""
        return {"score": self.score, "grade": self.grade.value,
                "criteria": {c.key: None if c.score is None else round(c.score) for c in self.criteria},
                "missing": [m.key for m in self.missing], "caps": list(self.caps)}


# --- the criteria ------------------------------------------------------------------------------------------

def key_terms(text: str, ignore: frozenset[str]) -> set[str]:
    """Character bigrams of the Chinese runs and the letter/digit runs of ``text``, less stock words."""
    terms: set[str] = set()
    for run in _CJK.findall(text):
        terms.update(run[i:i + 2] for i in range(len(run) - 1))
    terms.update(m.upper() for m in _ALNUM.findall(text) if not _USER.fullmatch(m.upper()))
    return terms - ignore


def _without_echo(reply: str, title_terms: set[str], ignore: frozenset[str]) -> str:
    """The reply less the quotations of the request's own title (“关于您反映的‘……’”): echoing the
    question is not answering it."""
    def keep(match: re.Match[str]) -> str:
        quoted = key_terms(match.group(1), ignore)
        return "" if quoted and len(quoted & title_terms) >= 0.6 * len(quoted) else match.group(0)
    return _QUOTED.sub(keep, reply)


def _relevance(item: ReplyInput, rules: Rules) -> tuple[float | None, list[str]]:
    title_terms = key_terms(item.title, rules.ignore)
    detail_terms = key_terms(item.detail[:rules.detail_chars], rules.ignore) - title_terms
    answer = key_terms(_without_echo(item.reply, title_terms, rules.ignore), rules.ignore)
    if not title_terms and not detail_terms:
        return None, ["诉求没有可比对的关键词，无法判断针对性"]
    title_hit = len(title_terms & answer) / len(title_terms) if title_terms else None
    detail_hit = len(detail_terms & answer) / len(detail_terms) if detail_terms else None
    title_score = min(1.0, title_hit / rules.title_full) if title_hit is not None else None
    detail_score = min(1.0, detail_hit / rules.detail_full) if detail_hit is not None else None
    if title_score is None:
        value = detail_score or 0.0
    elif detail_score is None:
        value = title_score
    else:
        value = rules.title_share * title_score + (1 - rules.title_share) * detail_score
    shared = sorted(title_terms & answer)
    reasons = [f"诉求标题的关键词有 {title_hit:.0%} 出现在答复中" if title_hit is not None else "诉求没有标题",
               f"诉求内容的关键词有 {detail_hit:.0%} 出现在答复中" if detail_hit is not None else "诉求没有内容"]
    if value < rules.off_topic_below:
        reasons.append("答复几乎没有提到诉求所说的地点、对象和问题，答非所问")
    elif value < 0.35:
        reasons.append("答复很少提到诉求所说的地点、对象和问题，可能答非所问")
    elif shared:
        reasons.append("答复提到了诉求中的“" + "”“".join(shared[:4]) + "”")
    return value, reasons


def kind_of(title: str, rules: Rules) -> Kind | None:
    return next((k for k in rules.kinds if any(p in title for p in k.phrases)), None)


def _completeness(item: ReplyInput, rules: Rules) -> tuple[float, list[str], list[MissingPart]]:
    kind = kind_of(item.title, rules)
    expected = [p for p in rules.parts if kind is None or p.key in kind.expects]
    # Stock phrases hide false parts: 调查处理 holds 查处, 核实后 holds 核实.
    text = _without_stock(item.reply, rules)
    found = [p for p in expected if p.found_in(text)]
    missing = [MissingPart(p.key, p.label, p.hint) for p in expected if p not in found]
    total = sum(p.weight for p in expected) or 1.0
    reasons = [f"{kind.label}类诉求，不要求" + "、".join(p.label for p in rules.parts if p not in expected)] \
        if kind is not None and len(expected) < len(rules.parts) else []
    if found:
        reasons.append("已写明" + "、".join(p.label for p in found))
    if missing:
        reasons.append("缺少" + "、".join(m.label for m in missing))
    return sum(p.weight for p in found) / total, reasons, missing


def _timeliness(item: ReplyInput, rules: Rules) -> tuple[float | None, list[str]]:
    if item.days_taken is None:
        return None, ["没有诉求或答复的时间，无法判断及时性"]
    limit = item.limit_days if item.limit_days and item.limit_days > 0 else rules.default_limit_days
    basis = "工单时限" if item.limit_days and item.limit_days > 0 else "默认时限"
    taken = max(0.0, item.days_taken)
    reason = f"用时 {taken:.1f} 个工作日，{basis} {limit:g} 个工作日"
    if taken <= limit:
        return 1.0, [reason + "，按时答复"]
    value = max(0.0, 1 - (taken - limit) / (limit * (rules.zero_at - 1)))
    return value, [reason + f"，超时 {taken - limit:.1f} 个工作日"]


def _without_stock(text: str, rules: Rules) -> str:
    for phrase in rules.generic:
        text = text.replace(phrase, "")
    return text


def substance(reply: str, rules: Rules, title_terms: set[str] | None = None) -> str:
    """What the reply says beyond greetings, thanks, stock phrases, dates and echoes of the title."""
    text = _without_echo(reply, title_terms or set(), rules.ignore)
    text = _without_stock(_DATE.sub("", text), rules)
    for phrase in (*rules.greetings, *rules.thanks):
        text = text.replace(phrase, "")
    text = _USER.sub("", text)
    return _NOISE.sub("", text)


def _tone(item: ReplyInput, rules: Rules) -> tuple[float, list[str], bool]:
    greeted = any(g in item.reply for g in rules.greetings)
    thanked = any(t in item.reply for t in rules.thanks)
    polite = (0.5 if greeted else 0.0) + (0.5 if thanked else 0.0)
    left = len(substance(item.reply, rules, key_terms(item.title, rules.ignore)))
    says_nothing = left < rules.empty_chars
    value = rules.polite_share * polite + (1 - rules.polite_share) * min(1.0, left / rules.substance_full)
    reasons = ["有称呼问候" if greeted else "缺少称呼问候（如“您好”）",
               "有致谢或致歉" if thanked else "缺少致谢（如“感谢您的支持”）"]
    if says_nothing:
        reasons.append(f"除套话外只有 {left} 个字，没有说明事实（如只写“已转相关部门”“请耐心等待”）")
    else:
        reasons.append(f"除套话外有 {left} 个字的具体内容")
    return value, reasons, says_nothing


def _grade(value: float, rules: Rules) -> Grade:
    return next((grade for grade, lowest in rules.grades if value >= lowest), Grade.POOR)


def score(item: ReplyInput, rules: Rules | None = None) -> ReplyQuality:
    """Score ``item``'s reply against its request (see the module docstring)."""
    rules = rules or default_rules()
    relevance, relevance_reasons = _relevance(item, rules)
    completeness, completeness_reasons, missing = _completeness(item, rules)
    timeliness, timeliness_reasons = _timeliness(item, rules)
    tone, tone_reasons, says_nothing = _tone(item, rules)
    values: dict[str, tuple[float | None, list[str]]] = {
        "relevance": (relevance, relevance_reasons), "completeness": (completeness, completeness_reasons),
        "timeliness": (timeliness, timeliness_reasons), "tone": (tone, tone_reasons)}
    criteria = tuple(Criterion(key, CRITERION_LABELS[key], None if v is None else 100 * v, rules.weights[key],
                               tuple(reasons)) for key, (v, reasons) in values.items())
    judged = [c for c in criteria if c.score is not None]
    weight = sum(c.weight for c in judged) or 1.0
    weighted = sum(c.weight * (c.score or 0.0) for c in judged) / weight
    caps: list[tuple[float, str]] = []
    if says_nothing:
        caps.append((rules.empty_cap, "答复仅有套话、缺少事实"))
    if relevance is not None and relevance < rules.off_topic_below:
        caps.append((rules.off_topic_cap, "答复答非所问"))
    total = min([weighted, *(cap for cap, _ in caps)])
    # The cap that set the total (both, when they are equal), not one that a lower cap made moot.
    reasons = tuple(f"{why}，总分封顶 {cap:g} 分（各项加权 {round(weighted)} 分）"
                    for cap, why in caps if cap == total < weighted)
    return ReplyQuality(score=round(total), grade=_grade(total, rules), criteria=criteria,
                        missing=tuple(missing), says_nothing=says_nothing, caps=reasons)
