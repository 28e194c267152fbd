"""Routing one order: what it is (top three categories), how hard (grade, with reasons), who owns it
(with the rule that decided) — and whether it is sure enough to dispatch itself.

The classifier names first-level categories; the catalog's keywords refine each to the deepest
category they support. Categories the training data never saw (城市管理, 公共安全 …) are reached by
their keywords alone. When no model has been trained, or the text says nothing, routing still answers
— with keyword suggestions or none — and the order simply waits for the dispatcher.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import ahocorasick
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from minhu.core.cache import TTLCache
from minhu.org.models import StreetSetting, Unit
from minhu.routing import catalog as catalog_files
from minhu.routing import classifier
from minhu.routing.grading import GradeDecision, ListedItem, grade_order, listed_item
from minhu.routing.matrix import OwnerChoice, choose_owner
from minhu.routing.models import CatalogView, CatalogViewItem, Category, Grade, RoutingRule

log = logging.getLogger("minhu.routing")

# A category named by its keywords alone is a hint, not a prediction: it never dispatches by itself.
KEYWORD_CONFIDENCE_CAP = 0.6
# A suggestion below this reads as 0%: it says nothing, and is not offered to the dispatcher.
SHOWN_CONFIDENCE = 0.005


# Above any probability: nothing dispatches itself.
NEVER = 1.01


@dataclass
class RoutingConfig:
    models_dir: Path | None = None
    # None: the threshold derived, by cross-validation, with the model in use.
    auto_dispatch_confidence: float | None = None


_config = RoutingConfig()


def configure(*, models_dir: Path | None, auto_dispatch_confidence: float | None = None) -> None:
    _config.models_dir = models_dir
    _config.auto_dispatch_confidence = auto_dispatch_confidence


def config() -> RoutingConfig:
    return _config


def warm_up() -> None:
    """Load the classifier in use and score one message through it (about a second or more for a model of tens
    of megabytes), so the first order a fresh server takes does not wait for it."""
    model = classifier.current(_config.models_dir)
    if model is not None:
        model.top("路灯不亮", "晚上小区门口一片漆黑")


def dispatch_threshold(model: classifier.TextClassifier | None = None) -> float:
    """The confidence from which an order dispatches itself: the deployment's setting when it gives one,
    else the threshold derived with ``model`` (the model in use when not given; never, without one)."""
    if _config.auto_dispatch_confidence is not None:
        return _config.auto_dispatch_confidence
    model = model or classifier.current(_config.models_dir)
    threshold = getattr(model, "dispatch_threshold", None)
    return threshold if threshold is not None else NEVER


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    path: str  # 城乡建设 › 物业管理 › 物业收费
    confidence: float
    source: str  # "model" or "keywords"


@dataclass(frozen=True)
class Route:
    suggestions: list[Suggestion]
    category: Category | None
    confidence: float | None
    grade: GradeDecision
    owner: OwnerChoice
    model_version: str | None
    auto_dispatch: bool = False


def _path(category: Category, categories: dict[str, Category]) -> str:
    names = []
    code = category.code
    while code:
        if code in categories:
            names.append(categories[code].name)
        code = code[:-2]
    return " › ".join(reversed(names))


def category_path(session: Session, code: str | None) -> str | None:
    """The category's names from the top (城乡建设 › 物业管理 › 物业收费); None for no or an unknown code.
    A retired category keeps its names: the orders filed under it still say what they were."""
    routing_tables = tables(session)
    if code is None:
        return None
    if code in routing_tables.paths:
        return routing_tables.paths[code]
    prefixes = [code[:n] for n in range(2, len(code) + 1, 2)]
    found = {c.code: c for c in session.scalars(select(Category).where(Category.code.in_(prefixes)))}
    return _path(found[code], found) if code in found else None


@dataclass(frozen=True)
class CategoryChoice:
    """An active category as a picker offers it: its path, its depth, and what a typed word may match."""

    code: str
    path: str
    level: int
    terms: str  # what a typed word may match besides the path: the code and the category's keywords


def category_choices(session: Session) -> list[CategoryChoice]:
    """Every active category, in code order (each first level followed by its own): what a dispatcher may
    choose from, whatever routing suggested."""
    categories = tables(session).categories
    choices = []
    for code in sorted(categories):
        category = categories[code]
        path = _path(category, categories)
        choices.append(CategoryChoice(code, path, category.level, " ".join((code, *category.keywords))))
    return choices


@dataclass(frozen=True)
class KeywordIndex:
    """Every keyword of the catalog in one Aho–Corasick automaton: a message is scanned once, however many
    keywords there are and however long it is (a 5,000-character message costs microseconds, not the
    milliseconds of testing each keyword in turn)."""

    automaton: Any
    codes: tuple[tuple[str, ...], ...]  # by keyword number: the categories that list the keyword

    def hits(self, text: str) -> dict[str, int]:
        """How many of each category's keywords the text contains (categories with none left out)."""
        found = {number for _end, number in self.automaton.iter(text)}
        hits: dict[str, int] = {}
        for number in found:
            for code in self.codes[number]:
                hits[code] = hits.get(code, 0) + 1
        return hits


class Keyworded(Protocol):
    """A category as the keyword index reads it: a stored category or a row of the catalog file."""

    @property
    def keywords(self) -> list[str]: ...


def keyword_index(categories: Mapping[str, Keyworded]) -> KeywordIndex:
    """The catalog's keywords, each once, with the categories that list it."""
    listed: dict[str, list[str]] = {}
    for code, category in categories.items():
        for keyword in dict.fromkeys(category.keywords):
            if keyword:
                listed.setdefault(keyword, []).append(code)
    automaton = ahocorasick.Automaton()
    for number, keyword in enumerate(listed):
        automaton.add_word(keyword, number)
    if listed:
        automaton.make_automaton()
    return KeywordIndex(automaton, tuple(tuple(codes) for codes in listed.values()))


def keyword_hits(index: KeywordIndex, text: str) -> dict[str, int]:
    """How many of each category's keywords the text contains (categories with none left out)."""
    return index.hits(text) if index.codes else {}


def _path_hits(code: str, hits: dict[str, int]) -> int:
    """Keyword hits of a category and its ancestors."""
    return sum(hits.get(code[:n], 0) for n in range(2, len(code) + 1, 2))


def refine(top: Category, categories: dict[str, Category], hits: dict[str, int]) -> Category:
    """The deepest category under ``top`` whose keywords (with its ancestors') best match the text."""
    best, best_score = top, (0, 0)
    for code in hits:
        if not code.startswith(top.code) or code == top.code:
            continue
        score = (_path_hits(code, hits), categories[code].level)
        if score > best_score or (score == best_score and code < best.code):
            best, best_score = categories[code], score
    return best


@dataclass(frozen=True)
class RoutingTables:
    categories: dict[str, Category]
    rules: list[RoutingRule]
    # The items of the streets' active lists, by (street id, category code).
    listed: dict[tuple[int, str], list[ListedItem]] = field(default_factory=dict)
    # Derived once per load, read for every order: the keyword scan, the first levels by name, each
    # category's path of names.
    keywords: KeywordIndex = field(default_factory=lambda: keyword_index({}))
    tops_by_name: dict[str, Category] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    # The streets that run a sub-centre (街道分中心): their A and B orders go to the street, which dispatches inside.
    sub_centres: frozenset[int] = frozenset()

    @classmethod
    def build(cls, categories: dict[str, Category], rules: list[RoutingRule],
              listed: dict[tuple[int, str], list[ListedItem]], sub_centres: frozenset[int]) -> RoutingTables:
        return cls(categories, rules, listed, keyword_index(categories),
                   {c.name: c for c in categories.values() if c.level == 1},
                   {code: _path(category, categories) for code, category in categories.items()}, sub_centres)


# The catalog, the matrix and the streets' lists change a few times a year and are read for every order:
# kept per process for a few seconds (the writers in this process forget them at once), as detached,
# read-only rows.
_tables: TTLCache[str, RoutingTables] = TTLCache(ttl_seconds=10)


def forget_routing(session: Session | None = None) -> None:
    """Drop the cached tables now and, given the writer's ``session``, again once it commits: a request
    routing an order between the two would otherwise cache what the commit is about to replace."""
    _tables.clear()
    if session is not None:
        event.listen(session, "after_commit", lambda _session: _tables.clear(), once=True)


def _listed_items(session: Session) -> dict[tuple[int, str], list[ListedItem]]:
    rows = session.execute(select(CatalogView.unit_id, CatalogView.name, CatalogViewItem.section,
                                  CatalogViewItem.item, CatalogViewItem.category_code, CatalogViewItem.grade)
                           .join(CatalogView, CatalogView.id == CatalogViewItem.view_id)
                           .where(CatalogView.active.is_(True), CatalogView.unit_id.is_not(None))
                           .order_by(CatalogView.code, CatalogViewItem.id))
    listed: dict[tuple[int, str], list[ListedItem]] = {}
    for unit_id, view_name, section, item, category_code, grade in rows:
        assert unit_id is not None  # the query keeps only views of a unit
        listed.setdefault((unit_id, category_code), []).append(
            ListedItem(unit_id, view_name, section, item, category_code, grade))
    return listed


def tables(session: Session) -> RoutingTables:
    def load() -> RoutingTables:
        return RoutingTables.build(catalog_files.active_categories(session),
                                   list(session.scalars(select(RoutingRule).where(RoutingRule.active.is_(True)))),
                                   _listed_items(session),
                                   frozenset(session.scalars(select(StreetSetting.street_id)
                                                             .where(StreetSetting.sub_centre.is_(True)))))
    return _tables.get_or_load(str(session.get_bind().engine.url), load)


def suggest(session: Session, title: str, content: str, *, k: int = 3) -> tuple[list[Suggestion], str | None]:
    suggestions, model = _suggest(session, title, content, k=k)
    return suggestions, model.version if model is not None else None


def _suggest(session: Session, title: str, content: str, *,
             k: int) -> tuple[list[Suggestion], classifier.TextClassifier | None]:
    """The suggestions and the model that made them (None: keywords only)."""
    routing_tables = tables(session)
    categories, paths = routing_tables.categories, routing_tables.paths
    if not categories:
        return [], None
    hits = keyword_hits(routing_tables.keywords, f"{title}\n{content}")
    by_name = routing_tables.tops_by_name
    model = None
    suggestions: list[Suggestion] = []
    try:
        model = classifier.current(_config.models_dir)
        ranked = model.top(title, content, k=k) if model is not None else []
    except Exception:  # a broken or outdated model file must never stop intake: the order waits instead
        log.exception("the classifier failed; routing by keywords only")
        model, ranked = None, []
    for label, probability in ranked:
        top_category = by_name.get(label)
        if top_category is None:
            continue
        category = refine(top_category, categories, hits)
        suggestions.append(Suggestion(category.code, category.name, paths[category.code],
                                      round(probability, 4), "model"))
    # Categories the model cannot name (never in its training data) can still be named by their words.
    labelled = set(model.labels) if model is not None else set()
    keyword_tops = [c for name, c in by_name.items() if name not in labelled]
    scored = []
    for top in keyword_tops:
        category = refine(top, categories, hits)
        if category is not top or top.code in hits:
            scored.append((_path_hits(category.code, hits), category))
    for count, category in sorted(scored, key=lambda pair: (-pair[0], pair[1].code))[:k]:
        confidence = round(min(KEYWORD_CONFIDENCE_CAP, 0.2 * count), 4)
        suggestions.append(Suggestion(category.code, category.name, paths[category.code], confidence,
                                      "keywords"))
    suggestions.sort(key=lambda s: -s.confidence)
    unique: list[Suggestion] = []
    for suggestion in suggestions:
        if all(suggestion.code != kept.code for kept in unique):
            unique.append(suggestion)
    return unique[:k], model


@dataclass(frozen=True)
class Assessment:
    """How hard an order of a given category is where it stands, and who owns it."""

    category: Category | None
    grade: GradeDecision
    owner: OwnerChoice


def assess(session: Session, category: Category | None, *, title: str, content: str, street: Unit | None,
           community: Unit | None, place: Unit | None, repeat_unsolved: bool = False) -> Assessment:
    """Grade an order of ``category`` and name its owner by the matrix — what intake does with the first
    suggestion, and what the dispatcher's form asks again when another category is chosen."""
    routing_tables = tables(session)
    listed = listed_item(routing_tables.listed, street.id if street is not None else None, category)
    grade = grade_order(f"{title}\n{content}", category, listed=listed, repeat_unsolved=repeat_unsolved)
    owner = choose_owner(session, routing_tables.rules, category, grade.grade, street=street, community=community,
                         place=place, sub_centre=street is not None and street.id in routing_tables.sub_centres)
    return Assessment(category, grade, owner)


@dataclass(frozen=True)
class LevelItem:
    """A matter a street's own list (else the catalog) grades A: what a grid worker may solve on the spot."""

    code: str
    label: str
    path: str


def a_level_items(session: Session, street_id: int | None) -> list[LevelItem]:
    """The street's A items as its list words them, in the list's order; for a street without a list, the
    catalog's categories of grade A below the first level. An item the street's list raises above A is left out."""
    routing_tables = tables(session)
    categories, paths = routing_tables.categories, routing_tables.paths
    own = [item for (unit_id, _code), items in routing_tables.listed.items() if unit_id == street_id for item in items]
    if own:
        return [LevelItem(item.category_code, item.item, paths[item.category_code]) for item in own
                if item.grade is Grade.A and item.category_code in categories]
    return sorted((LevelItem(c.code, c.name, paths[c.code]) for c in categories.values()
                   if c.grade is Grade.A and c.level > 1), key=lambda item: item.code)


def active_category(session: Session, code: str) -> Category | None:
    """The active category of ``code`` (as routing reads the catalog), or None."""
    return tables(session).categories.get(code)


def route(session: Session, *, title: str, content: str, street: Unit | None, community: Unit | None,
          place: Unit | None, repeat_unsolved: bool = False, chosen: str | None = None) -> Route:
    """Suggest categories, grade and owner. With ``chosen`` (an active category the reporter picked, such as an
    Open311 service), the order takes that category; it dispatches itself only when the model, sure, agrees
    with it (names it, a category inside it, or the one it sits in)."""
    # The model is read once per order: its suggestions and its threshold come from the same one.
    suggestions, model = _suggest(session, title, content, k=3)
    best = suggestions[0] if suggestions else None
    picked = tables(session).categories.get(chosen) if chosen is not None else None
    category = picked or (tables(session).categories.get(best.code) if best is not None else None)
    assessed = assess(session, category, title=title, content=content, street=street, community=community,
                      place=place, repeat_unsolved=repeat_unsolved)
    grade, owner = assessed.grade, assessed.owner
    sure = best is not None and best.source == "model" and best.confidence >= dispatch_threshold(model)
    if picked is not None and best is not None and not (best.code.startswith(picked.code)
                                                        or picked.code.startswith(best.code)):
        sure = False
    return Route(suggestions=suggestions, category=category, confidence=best.confidence if best else None,
                 grade=grade, owner=owner, model_version=model.version if model is not None else None,
                 auto_dispatch=sure and owner.unit is not None and grade.grade is not Grade.D)
