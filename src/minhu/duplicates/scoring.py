"""The duplicate score of two reports: how sure a dispatcher would be that they are one matter (一事多办).

Evidence, each a feature of ``Evidence``:

- *where*: the places both texts (and addresses) name — the titles' apart, as a title names the place it is
  about —, the districts, and — for orders located on the map — the distance between them against the reach
  of the category (a lamp is a point, a water outage an estate);
- *what*: the matter's bigrams once places and courtesies are taken out, the titles', the catalog topics, and
  the words both use weighted by rarity;
- *when*: how far apart they came;
- *who*: the same caller's phone (a citizen repeating himself is one matter more often than two strangers).

A small forest of decision trees (gradient boosting) over these features gives the score: the features
interact (the same words count only at the same place), which a weighted sum cannot say. It was fitted on pairs
labelled the way a dispatcher labels them, and is kept as data in ``data/scorer.json`` with the two thresholds
chosen from its cross-validated precision and recall (``bench/dedup.py --fit`` refits all three). It is read
here by plain Python, so the score is the same on every machine. ``reasons`` puts the evidence into words for
the people who decide.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import cast

from minhu.duplicates.text import Reading, core

FEATURES = ("place_overlap", "shared_place", "matter", "title", "topic", "place_conflict", "log_days",
            "place_and_matter", "title_place_shared", "title_place_conflict", "district_conflict", "words")
SCORER = Path(__file__).resolve().parent / "data" / "scorer.json"
# Not fitted (the labelled pairs carry no phones): the same caller again makes one matter likelier, by this much
# on the forest's log-odds — about what a title worded alike adds.
SAME_PHONE_LOG_ODDS = 1.0


# A tree's node: (feature, threshold, left child, right child, value); a leaf has no children (-1).
Node = tuple[int, float, int, int, float]


@dataclass(frozen=True)
class Forest:
    """Regression trees whose summed leaves, scaled by ``rate`` and added to ``start``, are the log-odds of one
    matter; and the thresholds chosen for them."""

    start: float
    rate: float
    trees: tuple[tuple[Node, ...], ...]
    join: float
    suggest: float

    def log_odds(self, vector: list[float]) -> float:
        return self._compiled(vector)

    def walked_log_odds(self, vector: list[float]) -> float:
        """The log-odds by walking each tree's nodes: what ``log_odds`` computes, several times slower."""
        total = 0.0
        for nodes in self.trees:
            feature, threshold, left, right, value = nodes[0]
            while left != -1:
                feature, threshold, left, right, value = nodes[left if vector[feature] <= threshold else right]
            total += value
        return self.start + self.rate * total

    @cached_property
    def _compiled(self) -> Callable[[list[float]], float]:
        """The trees as one Python expression of nested conditionals, compiled once. Intake scores every
        candidate of every new order; walking 150 trees node by node was a millisecond of each order, the
        compiled expression a fifth of that. The source is built from the forest's own numbers (``repr`` of a
        float reads back the same float), so the sum is the walked sum, leaf for leaf and in the same order."""
        def subtree(nodes: tuple[Node, ...], at: int) -> str:
            feature, threshold, left, right, value = nodes[at]
            if left == -1:
                return repr(value)
            return (f"({subtree(nodes, left)} if v[{feature}] <= {threshold!r} "
                    f"else {subtree(nodes, right)})")

        total = " + ".join(subtree(nodes, 0) for nodes in self.trees) or "0.0"
        source = f"lambda v: {self.start!r} + {self.rate!r} * (0.0 + {total})"
        return cast(Callable[[list[float]], float], eval(compile(source, str(SCORER), "eval"), {}))


@lru_cache(maxsize=1)
def forest() -> Forest:
    """The fitted forest, with its thresholds: ``join`` joins a new order to the matter automatically, ``suggest``
    shows the candidate to the operator and the dispatcher with its reasons."""
    data = json.loads(SCORER.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise RuntimeError(f"{SCORER} was fitted on other features: refit it with bench/dedup.py --fit")
    trees = tuple(tuple(zip(t["feature"], t["threshold"], t["left"], t["right"], t["value"], strict=True))
                  for t in data["trees"])
    return Forest(data["start"], data["rate"], trees, data["join"], data["suggest"])


@dataclass(frozen=True)
class Evidence:
    place_overlap: float
    shared_place: str | None
    matter: float
    title: float
    topic: float
    place_conflict: bool
    days: float | None
    title_place_shared: bool = False
    title_place_conflict: bool = False
    district_conflict: bool = False
    words: float = 0.0
    same_phone: bool = False
    metres: float | None = None
    reach_metres: float | None = None
    same_community: bool = False

    @property
    def near(self) -> bool:
        return self.metres is not None and self.reach_metres is not None and self.metres <= self.reach_metres

    @property
    def far(self) -> bool:
        """Beyond the category's reach: two points of a lamp 300 m apart are two lamps."""
        return self.metres is not None and self.reach_metres is not None and self.metres > self.reach_metres

    def vector(self) -> list[float]:
        """The features in ``FEATURES`` order. Points on the map speak for the texts' places: two points within
        the category's reach are as good as one place named by both, and points beyond it as bad as two different
        places named; one community, without points, is half an overlap."""
        days = self.days if self.days is not None else 0.0
        overlap, shared, conflict = self.place_overlap, bool(self.shared_place), self.place_conflict
        if self.near:
            overlap, shared, conflict = 1.0, True, False
        elif self.far:
            overlap, shared, conflict = 0.0, False, True
        elif self.same_community and self.metres is None:
            overlap, conflict = max(overlap, 0.5), False
        place = max(overlap, 1.0 if shared else 0.0)
        matter = max(self.matter, self.title, self.topic)
        title_shared, title_conflict, district_conflict = (self.title_place_shared, self.title_place_conflict,
                                                          self.district_conflict)
        if self.near:
            title_shared, title_conflict, district_conflict = True, False, False
        elif self.far:
            title_shared, title_conflict = False, True
        return [overlap, 1.0 if shared else 0.0, self.matter, self.title, self.topic, 1.0 if conflict else 0.0,
                math.log1p(max(days, 0.0)), place * matter, float(title_shared), float(title_conflict),
                float(district_conflict), self.words]


def cosine(left: Counter[str], right: Counter[str]) -> float:
    """Cosine of two bag-of-bigram vectors, each count dampened (sqrt) so a word said five times does not
    outweigh five words said once."""
    if not left or not right:
        return 0.0
    small, large = (left, right) if len(left) < len(right) else (right, left)
    dot = sum(math.sqrt(count * large[gram]) for gram, count in small.items() if gram in large)
    if dot == 0:
        return 0.0
    norm = math.sqrt(sum(left.values())) * math.sqrt(sum(right.values()))
    return dot / norm


def weighted_cosine(left: dict[str, float] | None, right: dict[str, float] | None) -> float:
    if not left or not right:
        return 0.0
    small, large = (left, right) if len(left) < len(right) else (right, left)
    dot = sum(weight * large[word] for word, weight in small.items() if word in large)
    if dot == 0:
        return 0.0
    return dot / (math.sqrt(sum(w * w for w in left.values())) * math.sqrt(sum(w * w for w in right.values())))


def dice(left: frozenset[str], right: frozenset[str]) -> float:
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


def shared_name(left_names: frozenset[str], right_names: frozenset[str]) -> str | None:
    """The most specific place both name, by the names' cores (魅力之城, 魅力之城小区 and 魅力之城3栋 are one
    place; one core inside the other counts, as a longer wording of it)."""
    best: str | None = None
    right_cores = [(right, core(right)) for right in right_names]
    for left in left_names:
        left_core = core(left)
        for right, right_core in right_cores:
            shorter, longer = (left_core, right_core) if len(left_core) <= len(right_core) else (right_core, left_core)
            if len(shorter) >= 2 and shorter in longer:
                name = left if len(left) <= len(right) else right
                if best is None or len(name) > len(best):
                    best = name
    return best


def evidence(a: Reading, b: Reading, *, a_time: datetime | None = None, b_time: datetime | None = None,
             same_phone: bool = False, metres: float | None = None, reach_metres: float | None = None,
             same_community: bool = False) -> Evidence:
    overlap = 0.0
    if a.place_grams and b.place_grams:
        overlap = len(a.place_grams & b.place_grams) / min(len(a.place_grams), len(b.place_grams))
    shared = shared_name(a.places, b.places)
    conflict = a.has_places and b.has_places and shared is None and overlap < 0.25
    days = abs((a_time - b_time).total_seconds()) / 86_400 if a_time is not None and b_time is not None else None
    title_shared = shared_name(a.title_places, b.title_places) is not None
    title_conflict = bool(a.title_places) and bool(b.title_places) and shared_name(
        a.title_places, b.places) is None and shared_name(a.places, b.title_places) is None
    return Evidence(place_overlap=overlap, shared_place=shared, matter=cosine(a.matter, b.matter),
                    title=dice(a.title, b.title), topic=dice(a.topics, b.topics), place_conflict=conflict,
                    title_place_shared=title_shared, title_place_conflict=title_conflict,
                    district_conflict=bool(a.districts) and bool(b.districts) and not a.districts & b.districts,
                    words=weighted_cosine(a.words, b.words), days=days, same_phone=same_phone,
                    metres=metres, reach_metres=reach_metres, same_community=same_community)


def probability(found: Evidence, model: Forest | None = None) -> float:
    z = (model or forest()).log_odds(found.vector())
    if found.same_phone:
        z += SAME_PHONE_LOG_ODDS
    return 1 / (1 + math.exp(-z))


def reasons(found: Evidence) -> list[str]:
    """The evidence in a dispatcher's words, strongest first."""
    said = []
    if found.near and found.metres is not None:
        said.append(f"相距 {found.metres:.0f} 米")
    if found.shared_place and not found.far:
        said.append(f"同一地点：{found.shared_place}")
    elif found.place_overlap >= 0.5:
        said.append("地点描述相近")
    elif found.same_community and found.metres is None:
        said.append("同一社区")
    if max(found.matter, found.words) >= 0.3:
        said.append(f"诉求内容相似 {max(found.matter, found.words):.0%}")
    elif found.topic >= 0.5:
        said.append("同类诉求")
    if found.title >= 0.4:
        said.append("标题相近")
    if found.same_phone:
        said.append("同一来电号码")
    if found.days is not None:
        said.append("同日反映" if found.days < 1 else f"相隔 {found.days:.0f} 天")
    if found.place_conflict and not found.near:
        said.append("所述地点不同")
    if found.far and found.metres is not None:
        said.append(f"相距 {found.metres / 1000:.1f} 公里")
    return said
