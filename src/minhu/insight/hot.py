"""Hot issues (热点问题): clusters of reports of one matter in one place and one period, ranked by heat.

The method, in the order it runs (``docs/insight.md`` says it for readers):

1. Each report is read into words weighted by rarity (``duplicates.text.words_in``: jieba, the hotline's
   courtesies left out, a word's weight its dampened count times its inverse document frequency), its heaviest
   ``KEPT_WORDS`` kept; the places it names (``duplicates.text.places_in``: 魅力之城小区, 汇金路), without the
   wide ones (a street office, a town); the unit it was located in, when known; and a coarse area (a district,
   a street). Two vectors per report, each normalised to length one: the *whole* words, and the *matter* — the
   words left once the names of its places and how a request is put are taken out (魅力, 东路 of
   劳动东路魅力之城; 求助, 附近).
2. Two reports are linked when they came within ``window_days`` of each other, their areas do not contradict
   each other, their matters are alike (cosine ≥ ``near``), and either they are at one place (``places``), or
   their whole texts are alike (≥ ``far``) and one of them names no place — a matter that names no place (a
   fraud case, a city policy) must be said almost the same way; the same words at two estates are two matters.
3. Connected components of the links would chain matters through one report that mentions two; each
   component is cut by average linkage so that its reports keep a mean affinity of ``cohesion``.
4. Two clusters in periods within the window of each other and areas that agree merge when their mean
   matter vectors are alike (≥ ``merge_near``) at a place both name, or, for a cluster that names no place,
   their mean whole vectors are (≥ ``merge``) — one matter worded two ways is one issue.
5. A cluster needs two reports from two citizens at least: one person repeating himself is one voice.
6. Heat (热度) = 10 × (ln(1 + reports) + ln(1 + citizens) + ½·ln(1 + likes)) × (1 + ½·growth), where growth =
   (later − earlier) / reports counts the reports in the later and the earlier half of the cluster's span (−1
   all early, 0 steady, +1 all late). Reports and voices weigh alike; support is log-damped so one message
   with two thousand likes does not outrank a street-wide outage; a rising matter counts up to 1.5 times a
   steady one, a fading one half.
7. The title is the medoid's (the report most like the others); the place is the name most of its reports
   give, preferring one a title names.

Everything is pure and deterministic: ties break by report id, the same reports give the same list.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

from minhu.duplicates.text import core, normalise, places_in, words_in
from minhu.insight.places import fine_places, place_keys, places_meet

# Cosine of two reports' word vectors that links them: at one place, and without a shared place. Read off the
# board's messages: at 0.3 two messages about one estate talk of the same thing (油烟, 噪音 and the shop); below,
# of the estate only. Without a place, 0.5 keeps reposts and one case retold, not two complaints of one kind.
NEAR = 0.20
FAR = 0.50
# Mean vectors of two clusters this alike are one matter.
MERGE = 0.40
MERGE_NEAR = 0.40
# The mean affinity a cluster's reports keep among themselves once chains are cut.
COHESION = 0.15
WINDOW_DAYS = 60
# The words of a report that take part: its heaviest ones. A long complaint keeps its matter in its first
# few dozen words; the rest is story and makes every pair a little alike.
KEPT_WORDS = 40
# Words said in more than this share of the reports say nothing of a matter (小区, 问题 after the courtesies).
# A month's noise complaints can be a tenth of a district's orders: 噪音 must stay a matter's word.
COMMON_SHARE = 0.15
# ... but in a few hundred reports no word is common by that measure: a matter's own words recur in its reports.
COMMON_FLOOR = 10
# How a request is put, beyond the courtesies ``duplicates.text`` leaves out: said of every matter alike.
REQUEST_WORDS = frozenset({
    "求助", "紧急", "一带", "附近", "周边", "周围", "门口", "请求", "协调", "查处", "核实", "处置", "派人", "马上",
    "立即", "建议", "投诉", "咨询", "反应", "来电", "市民", "住户", "相关", "有关", "帮忙", "长期", "得不到",
    "明确", "答复", "说法", "存在", "加强", "管理", "监管", "现场", "到场", "督促", "落实",
})
# Rows compared at once: a block of the similarity matrix stays a few megabytes.
BLOCK_ROWS = 512


@dataclass(frozen=True)
class Report:
    """One report as the clustering sees it. ``words`` are weighted words (``duplicates.text.words_in``);
    ``places`` the place names its text gives; ``unit`` the finest unit it was located in (a community), when
    known; ``area`` a coarse place key (a district, a street) two reports of one matter never differ in; and
    ``area_label`` the name of the place to show when the text names none."""

    id: str
    title: str
    at: datetime
    words: Mapping[str, float]
    places: frozenset[str] = frozenset()
    citizen: str | None = None
    likes: int = 0
    unit: str | None = None
    area: str | None = None
    area_label: str | None = None
    # The wide places it names (沙湖社区, 星沙街道): they place nothing finely, but their words are no matter.
    wide_places: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HotIssue:
    """A ranked cluster: its heat and the evidence for it, and its reports (earliest first)."""

    rank: int
    heat: float
    title: str
    place: str
    first: datetime
    last: datetime
    count: int
    citizens: int
    likes: int
    growth: float
    report_ids: tuple[str, ...]
    representative_id: str


@dataclass(frozen=True)
class Settings:
    """The thresholds of the method (defaults above); the CLI and the tests may choose others."""

    near: float = NEAR
    far: float = FAR
    merge: float = MERGE
    merge_near: float = MERGE_NEAR
    cohesion: float = COHESION
    window_days: int = WINDOW_DAYS
    min_reports: int = 2
    min_citizens: int = 2


def read_report(id: str, title: str, text: str, at: datetime, *, citizen: str | None = None, likes: int = 0,
                unit: str | None = None, area: str | None = None, area_label: str | None = None) -> Report:
    """A report read from its words: the title counted twice (it names the matter and the place with less
    noise than the story), the places of title and text."""
    words = words_in(f"{title}。{title}。{text}")
    named = frozenset(places_in(f"{title}。{text}"))
    places = fine_places(named)
    return Report(id=id, title=title, at=at, words=words, places=places, citizen=citizen, likes=likes, unit=unit,
                  area=area, area_label=area_label, wide_places=named - places)


def _kept(report: Report) -> dict[str, float]:
    return dict(sorted(report.words.items(), key=lambda item: (-item[1], item[0]))[:KEPT_WORDS])


def _matter(report: Report, words: dict[str, float]) -> dict[str, float]:
    """The words that are not part of a place the report names (魅力, 东路, a5 of 劳动东路魅力之城小区, A5区) nor
    of how a request is put (求助, 附近, 请查处): what it says happens there."""
    names = [name.lower() for name in (*report.places, *report.wide_places, report.area, report.area_label) if name]
    return {w: v for w, v in words.items() if w not in REQUEST_WORDS and not any(w in name for name in names)}


def _vectors(rows: Sequence[dict[str, float]]) -> sparse.csr_matrix:
    """Rows of words, L2-normalised; words too common to say a matter are dropped, and so are words no other
    row says (they link nothing)."""
    frequency = Counter(word for words in rows for word in words)
    ceiling = max(COMMON_FLOOR, int(COMMON_SHARE * len(rows)))
    vocabulary: dict[str, int] = {}
    indices, columns, values = [], [], []
    for row, words in enumerate(rows):
        for word, weight in words.items():
            if frequency[word] > ceiling or frequency[word] < 2:
                continue
            indices.append(row)
            columns.append(vocabulary.setdefault(word, len(vocabulary)))
            values.append(weight)
    matrix = sparse.csr_matrix((np.asarray(values, dtype=np.float64), (indices, columns)),
                               shape=(len(rows), max(1, len(vocabulary))))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def same_place(a: Report, b: Report) -> bool:
    """One place: the same unit, or a place both name (``places_meet``)."""
    if a.unit is not None and a.unit == b.unit:
        return True
    return bool(a.places and b.places and places_meet(a.places, b.places))


def _pairs(block: sparse.spmatrix, floor: float, start: int) -> tuple[np.ndarray, np.ndarray]:
    """The (left, right) report indices of a block's entries ≥ ``floor`` above its diagonal."""
    entries = sparse.coo_matrix(block)
    keep = (entries.data >= floor) & (entries.col > entries.row)
    return entries.row[keep] + start, entries.col[keep] + start


def _links(reports: Sequence[Report], whole: sparse.csr_matrix, matter: sparse.csr_matrix,
           settings: Settings) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j in time order, that are linked: their matters alike (≥ ``near``), and either at one
    place or with whole texts alike (≥ ``far``) and not at two places. Reports are compared only with those of
    the next ``window_days`` (they are in time order), block by block, and the conditions are sparse products
    and masks before any pair is looked at one by one: a month of a district holds millions of pairs of one
    kind of matter (路灯, 噪音) at different places."""
    window = timedelta(days=settings.window_days)
    times = [r.at for r in reports]
    seconds = np.array([(t - times[0]).total_seconds() for t in times])
    area_codes: dict[str, int] = {}
    areas = np.array([area_codes.setdefault(r.area, len(area_codes)) if r.area is not None else -1
                      for r in reports])
    placed = np.array([r.unit is not None or bool(r.places) for r in reports], dtype=bool)
    found: set[tuple[int, int]] = set()
    count = len(reports)
    places = place_keys([((r.unit,) if r.unit is not None else (), r.places) for r in reports])
    whole_t, matter_t, places_t = whole.T.tocsc(), matter.T.tocsc(), places.T.tocsc()
    start = 0
    while start < count:
        stop = min(count, start + BLOCK_ROWS)
        reach = stop
        while reach < count and times[reach] - times[stop - 1] <= window:
            reach += 1
        matters = sparse.csr_matrix(matter[start:stop] @ matter_t[:, start:reach])
        matters.data[matters.data < settings.near] = 0.0
        matters.eliminate_zeros()
        near_place = sparse.csr_matrix(places[start:stop] @ places_t[:, start:reach])
        wholes = sparse.csr_matrix(whole[start:stop] @ whole_t[:, start:reach])
        wholes.data[wholes.data < settings.far] = 0.0
        wholes.eliminate_zeros()
        for mask, needs_place in ((near_place, True), (wholes, False)):
            lefts, rights = _pairs(matters.multiply(mask > 0), settings.near, start)
            agree = (areas[lefts] < 0) | (areas[rights] < 0) | (areas[lefts] == areas[rights])
            keep = agree & (seconds[rights] - seconds[lefts] <= window.total_seconds())
            if not needs_place:
                # Two placed reports alike over their whole texts are linked at one place (above) or not at all.
                keep &= ~(placed[lefts] & placed[rights])
                found.update(zip(lefts[keep].tolist(), rights[keep].tolist(), strict=True))
                continue
            for left, right in zip(lefts[keep].tolist(), rights[keep].tolist(), strict=True):
                if same_place(reports[left], reports[right]):
                    found.add((left, right))
        start = stop
    return found


def _components(count: int, links: set[tuple[int, int]]) -> list[list[int]]:
    if not links:
        return [[i] for i in range(count)]
    left, right = zip(*sorted(links), strict=True)
    graph = sparse.coo_matrix((np.ones(len(links)), (left, right)), shape=(count, count))
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return list(groups.values())


def _mostly_placed(members: Sequence[Report]) -> bool:
    """Whether more than half of ``members`` name one place (by its core): a fraud case whose messages mention
    a bank or a company here and there names no place."""
    cores = Counter(c for r in members for c in {core(name) for name in r.places} if len(c) >= 2)
    return bool(cores) and max(cores.values()) * 2 > len(members)


def _centroids(vectors: sparse.csr_matrix, groups: list[list[int]]) -> sparse.csr_matrix:
    """Each group's mean vector, normalised to length one (the direction of its sum), one row per group."""
    sizes = [len(g) for g in groups]
    rows = np.repeat(np.arange(len(groups)), sizes)
    columns = np.fromiter((i for g in groups for i in g), dtype=np.int64, count=sum(sizes))
    indicator = sparse.csr_matrix((np.ones(len(columns)), (rows, columns)), shape=(len(groups), vectors.shape[0]))
    sums = sparse.csr_matrix(indicator @ vectors)
    norms = np.sqrt(np.asarray(sums.multiply(sums).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ sums)


def _merge_candidates(matter: sparse.csr_matrix, whole: sparse.csr_matrix, keys: sparse.csr_matrix,
                      placed: np.ndarray, settings: Settings) -> tuple[dict[tuple[int, int], float],
                                                                       dict[tuple[int, int], float]]:
    """The pairs of clusters (a < b) worth a look, with their matters' and whole texts' cosines: matters alike
    (≥ ``merge_near``) with a place key in common, or — when one of the two names no place — whole texts alike
    (≥ ``merge``) and matters as alike as a link needs. Block by block, as sparse products and masks: a month
    holds thousands of clusters, most of one kind of matter at different places."""
    matter_found: dict[tuple[int, int], float] = {}
    whole_found: dict[tuple[int, int], float] = {}
    matter_t, whole_t, keys_t = matter.T.tocsc(), whole.T.tocsc(), keys.T.tocsc()
    unplaced_columns = sparse.diags((~placed).astype(np.float64))
    for start in range(0, matter.shape[0], BLOCK_ROWS):
        stop = min(matter.shape[0], start + BLOCK_ROWS)
        matters = sparse.csr_matrix(matter[start:stop] @ matter_t)
        shared = sparse.csr_matrix(keys[start:stop] @ keys_t) > 0
        there = sparse.coo_matrix(matters.multiply(shared))
        keep = (there.data >= settings.merge_near) & (there.col > there.row + start)
        for a, b, value in zip(there.row[keep] + start, there.col[keep], there.data[keep], strict=True):
            matter_found[(int(a), int(b))] = float(value)
        # Whole texts only where one of the two names no place: unplaced rows against all, all against
        # unplaced columns.
        wholes = sparse.csr_matrix(whole[start:stop] @ whole_t)
        rows_unplaced = sparse.diags((~placed[start:stop]).astype(np.float64))
        either = sparse.csr_matrix(rows_unplaced @ wholes) + sparse.csr_matrix(wholes @ unplaced_columns)
        anywhere = sparse.coo_matrix(either.multiply(either >= settings.merge))
        for a, b in zip(anywhere.row + start, anywhere.col, strict=True):
            a, b = int(a), int(b)
            if b <= a:
                continue
            matter_alike = float(matters[a - start, b])
            whole_alike = float(wholes[a - start, b])
            if whole_alike >= settings.merge and matter_alike >= settings.near:
                whole_found[(a, b)] = whole_alike
                matter_found.setdefault((a, b), matter_alike)
    return matter_found, whole_found


def _merge(reports: Sequence[Report], whole: sparse.csr_matrix, matter: sparse.csr_matrix,
           groups: list[list[int]], settings: Settings) -> list[list[int]]:
    """Candidates that are one matter worded two ways become one: their mean vectors alike (the matters' at a
    place both name, the whole texts' otherwise), their periods within the window of each other, their areas
    agreeing. Only candidates of two or more reports take part: a lone report that belonged would have been
    linked."""
    window = timedelta(days=settings.window_days)
    big = [g for g in groups if len(g) >= 2]
    small = [g for g in groups if len(g) < 2]
    if len(big) < 2:
        return groups
    parent = list(range(len(big)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    spans = [(min(reports[i].at for i in g), max(reports[i].at for i in g)) for g in big]
    areas = [{reports[i].area for i in g} - {None} for g in big]
    places = [frozenset().union(*(reports[i].places for i in g)) for g in big]
    units = [{u for i in g if (u := reports[i].unit) is not None} for g in big]
    placed = [bool(units[n]) or _mostly_placed([reports[i] for i in g]) for n, g in enumerate(big)]
    matter_similarity, whole_similarity = _merge_candidates(
        _centroids(matter, big), _centroids(whole, big),
        place_keys([(group_units, names) for group_units, names in zip(units, places, strict=True)]),
        np.array(placed, dtype=bool), settings)
    for a, b in sorted(matter_similarity.keys() | whole_similarity.keys()):
        matter_alike, whole_alike = matter_similarity.get((a, b), 0.0), whole_similarity.get((a, b), 0.0)
        if spans[b][0] - spans[a][1] > window or spans[a][0] - spans[b][1] > window:
            continue
        if areas[a] and areas[b] and not areas[a] & areas[b]:
            continue
        # Whole texts alike count only when their matters are too (two matters of one street are alike over the
        # street's name), and only for a cluster that names no place: one kind of matter at two estates is two.
        unplaced = not placed[a] or not placed[b]
        alike_anywhere = unplaced and whole_alike >= settings.merge and matter_alike >= settings.near
        alike_there = matter_alike >= settings.merge_near and (
            bool(units[a] & units[b]) or places_meet(places[a], places[b]))
        if alike_anywhere or alike_there:
            parent[root(b)] = root(a)
    merged: dict[int, list[int]] = {}
    for index, group in enumerate(big):
        merged.setdefault(root(index), []).extend(group)
    return [sorted(g) for g in merged.values()] + small


def _split(reports: Sequence[Report], whole: sparse.csr_matrix, matter: sparse.csr_matrix,
           groups: list[list[int]], links: set[tuple[int, int]], settings: Settings) -> list[list[int]]:
    """Components cut where a chain of links joins two matters (油烟 at an estate, and the estate's road works
    through one report that mentions both): average linkage over the pairs' affinity — the matters'
    similarity at one place, the whole texts' elsewhere — keeps together only reports whose mean affinity
    reaches ``cohesion``. A component whose reports are all linked to each other is left whole: every link's
    affinity reaches ``near`` or ``far``, both above ``cohesion``, so no cut would come."""
    result: list[list[int]] = []
    component_of = {index: n for n, group in enumerate(groups) for index in group}
    links_in = Counter(component_of[left] for left, _ in links)
    for n, group in enumerate(groups):
        size = len(group)
        if size < 3 or (links_in[n] == size * (size - 1) // 2 and settings.cohesion <= settings.near):
            result.append(group)
            continue
        whole_block = (whole[group] @ whole[group].T).toarray()
        matter_block = (matter[group] @ matter[group].T).toarray()
        at_one_place = _same_place_matrix([reports[i] for i in group])
        affinity = np.where(at_one_place, np.maximum(whole_block, matter_block), whole_block)
        distance = np.clip(1.0 - affinity, 0.0, None)
        np.fill_diagonal(distance, 0.0)
        tree = linkage(squareform(distance, checks=False), method="average")
        labels = fcluster(tree, t=1.0 - settings.cohesion, criterion="distance")
        parts: dict[int, list[int]] = {}
        for index, label in zip(group, labels, strict=True):
            parts.setdefault(int(label), []).append(index)
        result.extend(parts.values())
    return result


def _same_place_matrix(members: Sequence[Report]) -> np.ndarray:
    """Whether each two of ``members`` are at one place, computed once per distinct (unit, places) pair of
    signatures: a cluster of a hundred reports names a handful of places."""
    signatures: dict[tuple[str | None, frozenset[str]], int] = {}
    index = np.array([signatures.setdefault((r.unit, r.places), len(signatures)) for r in members])
    keys = list(signatures)
    meets = np.zeros((len(keys), len(keys)), dtype=bool)
    for x, (unit_x, places_x) in enumerate(keys):
        for y in range(x, len(keys)):
            unit_y, places_y = keys[y]
            meets[x, y] = meets[y, x] = (unit_x is not None and unit_x == unit_y) or (
                bool(places_x and places_y) and places_meet(places_x, places_y))
    same: np.ndarray = meets[np.ix_(index, index)]
    return same


def heat_of(count: int, citizens: int, likes: int, growth: float) -> float:
    """The heat index (module docstring, step 6)."""
    base = math.log1p(count) + math.log1p(citizens) + 0.5 * math.log1p(max(0, likes))
    return round(10 * base * (1 + 0.5 * growth), 1)


def growth_of(times: Sequence[datetime]) -> float:
    """(later − earlier) / (later + earlier) over the two halves of the span; 0 for reports at one instant."""
    first, last = min(times), max(times)
    if first == last:
        return 0.0
    middle = first + (last - first) / 2
    later = sum(1 for t in times if t > middle)
    earlier = len(times) - later
    return (later - earlier) / len(times)


def _place_of(members: Sequence[Report]) -> str:
    """The place most of the cluster's reports name: of the names' cores (魅力之城 of 劳动东路魅力之城小区), the one
    the most reports name within one of theirs (the longer on a tie: the more specific), shown in its most used
    wording; else the most common area label. A name one report gives alone is not the cluster's place."""
    cores_of = [{core(name) for name in r.places} for r in members]
    candidates = sorted({c for cores in cores_of for c in cores if len(c) >= 2})
    titled = [c for c in candidates if any(c in normalise(r.title) for r in members)]
    candidates = titled or candidates  # a place a title names is what the reports are about, not passed by
    support = {c: sum(1 for cores in cores_of if any(c in other for other in cores)) for c in candidates}
    if support:
        best = min(candidates, key=lambda c: (-support[c], -len(c), c))
        if support[best] >= 2:
            wordings = Counter(name for r in members for name in r.places if core(name) == best)
            return min(wordings.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0]
    labels = Counter(r.area_label for r in members if r.area_label)
    if labels:
        return min(labels.items(), key=lambda item: (-item[1], item[0]))[0]
    return ""


def _medoid(vectors: sparse.csr_matrix, members: list[int]) -> int:
    if len(members) <= 2:
        return min(members)  # two reports are equally like each other: the earlier, as the tie-break says
    block = vectors[members]
    totals = np.asarray((block @ block.T).sum(axis=1)).ravel()
    best = max(range(len(members)), key=lambda k: (round(float(totals[k]), 9), -members[k]))
    return members[best]


def _citizens(members: Sequence[Report]) -> int:
    """Distinct citizens; a report whose citizen is unknown counts as its own."""
    known = {r.citizen for r in members if r.citizen}
    return len(known) + sum(1 for r in members if not r.citizen)


def find_hot_issues(reports: Sequence[Report], settings: Settings | None = None, *,
                    limit: int | None = None) -> list[HotIssue]:
    """The hot issues among ``reports``, hottest first (ties: more reports, then earlier first report)."""
    chosen = settings or Settings()
    ordered = sorted(reports, key=lambda r: (r.at, r.id))
    if len(ordered) < 2:
        return []
    kept = [_kept(r) for r in ordered]
    whole = _vectors(kept)
    matter = _vectors([_matter(r, words) for r, words in zip(ordered, kept, strict=True)])
    links = _links(ordered, whole, matter, chosen)
    groups = _split(ordered, whole, matter, _components(len(ordered), links), links, chosen)
    groups = _merge(ordered, whole, matter, groups, chosen)
    found = []
    for group in groups:
        members = [ordered[i] for i in group]
        citizens = _citizens(members)
        if len(members) < chosen.min_reports or citizens < chosen.min_citizens:
            continue
        times = [r.at for r in members]
        growth = growth_of(times)
        likes = sum(max(0, r.likes) for r in members)
        representative = ordered[_medoid(whole, group)]
        found.append(HotIssue(rank=0, heat=heat_of(len(members), citizens, likes, growth),
                              title=representative.title, place=_place_of(members), first=min(times),
                              last=max(times), count=len(members), citizens=citizens, likes=likes,
                              growth=round(growth, 3), report_ids=tuple(r.id for r in members),
                              representative_id=representative.id))
    found.sort(key=lambda h: (-h.heat, -h.count, h.first, h.report_ids[0]))
    ranked = [HotIssue(**{**h.__dict__, "rank": n}) for n, h in enumerate(found, start=1)]
    return ranked[:limit] if limit is not None else ranked
