"""Chinese addresses as citizens type them, and a gazetteer that turns them into points.

Callers of the hotline give addresses like ``湖北省武汉市武昌区和平大道123号``, ``武昌中南路街道`` or
just ``滨江苑3栋``. Two steps make them usable:

* :func:`parse_admin` peels the administrative prefix (province, city, district) off the front. We
  need it to notice addresses outside our jurisdiction, and to keep it from being matched as a
  place name. cpca is not usable (see ECOSYSTEM.md), and levels below the district are ours anyway.
* :class:`Gazetteer` finds the city's own place names (the ``place`` layer of docs/map-format.md:
  streets, communities, roads, estates, landmarks) in what is left, and ranks them by how precisely
  each pins a location.

Both are pure and never raise on odd input: an address that cannot be read yields no candidates,
and the person taking the call places the order on the map by hand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["KINDS", "Candidate", "Gazetteer", "ParsedAddress", "PlaceEntry", "normalize", "parse_admin"]

KINDS = frozenset({"street", "community", "road", "estate", "landmark"})


@dataclass(frozen=True)
class PlaceEntry:
    """One gazetteer name. ``unit_code`` is the unit it lies in; for a street or community entry it
    is that unit's own code, so that containment can be read off the hierarchical codes."""

    name: str
    kind: str  # street | community | road | estate | landmark
    aliases: tuple[str, ...]
    lon: float
    lat: float
    unit_code: str | None


@dataclass(frozen=True)
class ParsedAddress:
    province: str | None
    city: str | None
    district: str | None
    rest: str


@dataclass(frozen=True)
class Candidate:
    name: str
    kind: str
    lon: float
    lat: float
    unit_code: str | None
    confidence: float
    matched: str  # the text of the address that matched the name or an alias


# --- normalisation ------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")


def _is_edge_punctuation(char: str) -> bool:
    # '#' is punctuation to Unicode but means "number" in addresses (3#楼), so it stays.
    return char != "#" and unicodedata.category(char).startswith("P")


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII), no whitespace, no punctuation at the ends.

    Whitespace is removed everywhere, not only at the ends: in Chinese addresses spaces are only
    separators people type ("武昌区 和平大道"), and keeping them would break name matching.
    """
    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))
    start, end = 0, len(text)
    while start < end and _is_edge_punctuation(text[start]):
        start += 1
    while end > start and _is_edge_punctuation(text[end - 1]):
        end -= 1
    return text[start:end]


def _skip_separators(text: str, pos: int) -> int:
    """Past commas, dashes and the like between administrative parts ("湖北省，武汉市")."""
    while pos < len(text) and _is_edge_punctuation(text[pos]):
        pos += 1
    return pos


# --- the administrative prefix ------------------------------------------------------------------

# Provinces are a closed list: a pattern like "…省" would also take "中南路省妇幼保健院".
_PROVINCE_SHORT_NAMES: dict[str, str] = {
    "北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市",
    "河北": "河北省", "山西": "山西省", "辽宁": "辽宁省", "吉林": "吉林省", "黑龙江": "黑龙江省",
    "江苏": "江苏省", "浙江": "浙江省", "安徽": "安徽省", "福建": "福建省", "江西": "江西省",
    "山东": "山东省", "河南": "河南省", "湖北": "湖北省", "湖南": "湖南省", "广东": "广东省",
    "海南": "海南省", "四川": "四川省", "贵州": "贵州省", "云南": "云南省", "陕西": "陕西省",
    "甘肃": "甘肃省", "青海": "青海省", "台湾": "台湾省",
    "内蒙古": "内蒙古自治区", "广西": "广西壮族自治区", "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区",
    "香港": "香港特别行政区", "澳门": "澳门特别行政区",
}  # fmt: skip
_MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})
_PROVINCES = tuple(_PROVINCE_SHORT_NAMES.values())  # no full name is a prefix of another
_PROVINCE_SHORT_LONGEST_FIRST = tuple(sorted(_PROVINCE_SHORT_NAMES.items(), key=lambda item: -len(item[0])))

_CJK = "\u4e00-\u9fff"


def _suffix_pattern(min_stem: int, max_stem: int, suffix: str) -> re.Pattern[str]:
    # Non-greedy: the shortest name that ends in the suffix ("武汉市" in "武汉市武昌区"). The stem
    # is bounded because real names are short, and a long run of characters before a 区 is a place
    # such as "积玉桥街和平社区", not a district.
    return re.compile(rf"[{_CJK}]{{{min_stem},{max_stem}}}?{suffix}")


_CITY_PATTERNS = (
    _suffix_pattern(2, 10, "自治州"),
    _suffix_pattern(2, 6, "地区"),
    _suffix_pattern(2, 5, "盟"),
    _suffix_pattern(2, 4, "市"),
    _suffix_pattern(2, 4, "州"),  # 恩施州, 黔东南州; one-character stems would take "神州", "九州"
)
_DISTRICT_PATTERNS = (_suffix_pattern(2, 4, "区"), _suffix_pattern(1, 4, "县"))
# Only after a city or province: alone, "…旗" and "…市" are more likely something else.
_BANNER_PATTERN = _suffix_pattern(2, 6, "旗")
_COUNTY_CITY_PATTERN = _suffix_pattern(2, 4, "市")

# Words that end like an administrative unit but are places or things (超市 is a supermarket,
# 小区 an estate). Checked on the last two characters of a pattern match.
_NOT_ADMIN_ENDINGS = frozenset({
    "超市", "菜市", "夜市", "集市", "门市", "城市", "都市", "花市", "早市", "晚市", "街市", "股市",
    "黑市", "鱼市", "米市", "灯市", "果市",
    "社区", "小区", "园区", "校区", "景区", "片区", "街区", "商区", "厂区", "营区", "库区", "院区",
    "辖区", "病区", "禁区", "市区", "城区", "务区", "宅区", "活区", "公区", "舍区", "护区", "车区",
    "属区", "览区", "业区", "范区", "税区",
    "联盟", "同盟",
    "红旗", "国旗", "彩旗", "锦旗", "党旗", "团旗", "队旗",
})  # fmt: skip

# What may not follow an administrative name, because then it is the start of a longer place name:
# 武汉大学, 武昌火车站, 武汉大道, 湖南路, 苏州街, 农贸市场, 小区域.
_COMPOUND_AFTER = re.compile(
    r"[东西南北中]?(?:路|街(?!道|办)|大道|大街|巷|胡同)"
    r"|火车站|高铁站|站|港|码头|机场|大学|学院|医院|中学|小学|广场|公园|大桥|桥|场|域"
)


def _known_levels(full: str) -> tuple[str, ...]:
    """Which levels a full name from ``known`` can fill, judged by its suffix.

    "…市" fits two levels (武汉市 is a city, 利川市 a county-level city in the district slot);
    the order of the stages sorts it out. A name with no administrative suffix is ignored.
    """
    if full in _PROVINCES or full.endswith(("省", "自治区", "特别行政区")):
        return ("province",)
    if full.endswith("市"):
        return ("city", "district")
    if full.endswith(("州", "地区", "盟")):
        return ("city",)
    if full.endswith(("区", "县", "旗")):
        return ("district",)
    return ()


@dataclass(frozen=True)
class _KnownNames:
    """``known`` sorted for prefix matching: per level, (surface, full name), longest surface first,
    so "武汉市" is taken whole before its short form "武汉" could leave a stray "市" behind."""

    province: tuple[tuple[str, str], ...] = ()
    city: tuple[tuple[str, str], ...] = ()
    district: tuple[tuple[str, str], ...] = ()


def _prepare_known(known: Mapping[str, str] | None) -> _KnownNames:
    levels: dict[str, set[tuple[str, str]]] = {"province": set(), "city": set(), "district": set()}
    for short, full in (known or {}).items():
        short_n, full_n = normalize(short), normalize(full)
        if not short_n or not full_n:
            continue
        for level in _known_levels(full_n):
            levels[level].update({(short_n, full_n), (full_n, full_n)})

    def ordered(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0])))

    return _KnownNames(ordered(levels["province"]), ordered(levels["city"]), ordered(levels["district"]))


def _ends_cleanly(text: str, end: int) -> bool:
    return _COMPOUND_AFTER.match(text, end) is None


def _match_known(text: str, pos: int, names: tuple[tuple[str, str], ...]) -> tuple[str, int] | None:
    for surface, full in names:
        if text.startswith(surface, pos) and _ends_cleanly(text, pos + len(surface)):
            return full, pos + len(surface)
    return None


def _match_patterns(text: str, pos: int, patterns: Sequence[re.Pattern[str]]) -> tuple[str, int] | None:
    """The shortest acceptable suffix-pattern match at ``pos``."""
    best: tuple[str, int] | None = None
    for pattern in patterns:
        match = pattern.match(text, pos)
        if match is None:
            continue
        name = match.group()
        if name[-2:] in _NOT_ADMIN_ENDINGS or not _ends_cleanly(text, match.end()):
            continue
        if best is None or match.end() < best[1]:
            best = (name, match.end())
    return best


def _match_city(text: str, pos: int, known: _KnownNames) -> tuple[str, int] | None:
    return _match_known(text, pos, known.city) or _match_patterns(text, pos, _CITY_PATTERNS)


def _match_district(text: str, pos: int, known: _KnownNames, *, after: bool) -> tuple[str, int] | None:
    """``after``: a province or city was named before, which makes "…旗" and a second "…市" safe."""
    hit = _match_known(text, pos, known.district)
    if hit is not None and (after or not hit[0].endswith("市")):
        return hit
    patterns = (*_DISTRICT_PATTERNS, _BANNER_PATTERN, _COUNTY_CITY_PATTERN) if after else _DISTRICT_PATTERNS
    return _match_patterns(text, pos, patterns)


def _match_province(text: str, pos: int, known: _KnownNames) -> tuple[str, int] | None:
    for full in _PROVINCES:
        if text.startswith(full, pos):
            return full, pos + len(full)
    hit = _match_known(text, pos, known.province)
    if hit is not None:
        return hit
    # A bare province name ("湖北武汉市") only when a city or district follows: alone, "湖南" is as
    # likely the start of 湖南路, which many cities have.
    for short, full in _PROVINCE_SHORT_LONGEST_FIRST:
        if text.startswith(short, pos):
            after = _skip_separators(text, pos + len(short))
            follows = (
                _match_district(text, after, known, after=False)
                if full in _MUNICIPALITIES
                else _match_city(text, after, known)
            )
            if follows is not None:
                return full, pos + len(short)
    return None


def _parse(text: str, known: _KnownNames) -> tuple[ParsedAddress, str, int]:
    """The parse, the normalised text, and where the rest starts in it (for the gazetteer, which
    also accepts names that begin inside the prefix, like 湖北省博物馆)."""
    norm = normalize(text)
    pos = 0
    province = city = district = None
    hit = _match_province(norm, pos, known)
    if hit is not None:
        province, pos = hit[0], _skip_separators(norm, hit[1])
        if province in _MUNICIPALITIES:
            city = province  # a municipality is both levels; it has districts directly below it
    if city is None:
        hit = _match_city(norm, pos, known)
        if hit is not None:
            city, pos = hit[0], _skip_separators(norm, hit[1])
    hit = _match_district(norm, pos, known, after=province is not None or city is not None)
    if hit is not None:
        district, pos = hit[0], _skip_separators(norm, hit[1])
    return ParsedAddress(province, city, district, norm[pos:]), norm, pos


def parse_admin(text: str, *, known: Mapping[str, str] | None = None) -> ParsedAddress:
    """Split the leading province, city and district off an address.

    Full names are recognised by their suffix (省/自治区, the four municipalities; 市/州/地区/盟;
    区/县/旗, and 市 for a county-level city after a city). Short forms without the suffix are
    recognised only through ``known`` (short → full, e.g. ``{"武昌": "武昌区"}``) and are reported
    by their full name, except that a bare province name is taken when a city follows it. A name is
    never taken when what follows makes it part of a longer place name (武汉大学, 武昌火车站).
    The parts must come in order at the start: a "…区" later in the text is left in ``rest``.
    """
    return _parse(text, _prepare_known(known))[0]


def _short_form(full: str) -> str | None:
    for suffix in ("特别行政区", "自治区", "自治州", "地区", "省", "市", "区", "县", "旗", "盟"):
        if full.endswith(suffix) and len(full) - len(suffix) >= 2:
            return full[: -len(suffix)]
    return None


# --- the gazetteer ------------------------------------------------------------------------------

# How precisely a kind of place pins a location. An estate or landmark is a spot; a community a few
# blocks; a road may run for kilometres; a street office covers several communities.
_BASE_CONFIDENCE = {"estate": 0.9, "landmark": 0.9, "community": 0.8, "road": 0.6, "street": 0.5}
_ROAD_WITH_NUMBER = 0.7  # 和平大道123号: the number narrows the road down, though we have no door numbers
_INSIDE_BONUS = 0.05  # the estate named with its community (or a community with its street) confirm each other
_MAX_CONFIDENCE = 0.95  # a name match is never certain: names repeat and callers misspeak
_FOREIGN_FACTOR = 0.2  # the address names another district or city: our same-named place is likely wrong

_PRECISION_RANK = {"street": 0, "road": 1, "community": 2, "estate": 3, "landmark": 3}
_CONTAINERS = frozenset({"street", "community"})
_HOUSE_NUMBER = re.compile(r"[0-9零〇一二两三四五六七八九十百千]+(?:-[0-9]+)?号")


@dataclass
class _Hit:
    entry: PlaceEntry
    matched: str
    position: int
    score: float


def _within(inner: PlaceEntry, outer: PlaceEntry) -> bool:
    """Whether ``inner`` lies in ``outer``'s unit: unit codes are hierarchical (420106001 is a street,
    420106001002 one of its communities, 15 digits a grid in it), so containment is a prefix."""
    if inner.unit_code is None or outer.unit_code is None:
        return False
    return inner.unit_code.startswith(outer.unit_code)


class Gazetteer:
    """The city's place names, indexed for finding every name that occurs in an address.

    The index maps each name and alias (normalised) to its entries, and each first character to the
    lengths of the names starting with it. Scanning an address is then a few dictionary look-ups per
    character, leftmost-longest like a regex alternation sorted by length ("和平大道" wins over the
    alias "和平"), but independent of the size of the gazetteer.
    """

    def __init__(
        self,
        entries: Sequence[PlaceEntry],
        *,
        home_province: str = "湖北省",
        home_city: str = "武汉市",
        home_district: str | None = "武昌区",
        known: Mapping[str, str] | None = None,
    ) -> None:
        """The home names are full names (湖北省, 武汉市, 武昌区); their short forms (湖北, 武汉, 武昌) are
        always known. ``known`` adds more short names, e.g. the city's other districts ({"洪山": "洪山区"}),
        so that "洪山中南路" is recognised as outside the home district. ``home_district=None`` makes
        the whole city home (a city-wide gazetteer)."""
        self.home_province = normalize(home_province)
        self.home_city = normalize(home_city)
        self.home_district = normalize(home_district) if home_district else None
        names: dict[str, str] = {}
        for full in (self.home_province, self.home_city, self.home_district):
            short = _short_form(full) if full else None
            if full and short:
                names[short] = full
        names.update(known or {})
        self._known = _prepare_known(names)

        self._entries = tuple(entries)
        self._by_surface: dict[str, list[PlaceEntry]] = {}
        lengths: dict[str, set[int]] = {}
        for entry in self._entries:
            if entry.kind not in KINDS:
                raise ValueError(f"地名 {entry.name!r} 的类型 {entry.kind!r} 无效（应为 {'/'.join(sorted(KINDS))}）")
            if not normalize(entry.name):
                raise ValueError("地名不能为空")
            surfaces = {normalize(surface) for surface in (entry.name, *entry.aliases)}
            surfaces.discard("")
            for surface in surfaces:
                self._by_surface.setdefault(surface, []).append(entry)
                lengths.setdefault(surface[0], set()).add(len(surface))
        self._lengths = {first: tuple(sorted(ls, reverse=True)) for first, ls in lengths.items()}

    def __len__(self) -> int:
        return len(self._entries)

    def _scan(self, text: str, start: int) -> list[tuple[int, str]]:
        """Non-overlapping leftmost-longest names in ``text`` that reach past ``start`` (the end of
        the administrative prefix): a name inside the prefix is the prefix, but one that begins in it
        (湖北省博物馆 after "湖北省" was taken as the province) is a real place."""
        found: list[tuple[int, str]] = []
        i = 0
        while i < len(text):
            step = 1
            for length in self._lengths.get(text[i], ()):
                surface = text[i : i + length]
                if len(surface) == length and surface in self._by_surface:
                    if i + length > start:
                        found.append((i, surface))
                    step = length
                    break
            i += step
        return found

    def _is_foreign(self, parsed: ParsedAddress) -> bool:
        return (
            (parsed.province is not None and parsed.province != self.home_province)
            or (parsed.city is not None and parsed.city != self.home_city)
            or (
                parsed.district is not None and self.home_district is not None and parsed.district != self.home_district
            )
        )

    def geocode(self, text: str, *, limit: int = 5) -> list[Candidate]:
        """Places named in ``text``, best first, at most ``limit``, one per (name, kind).

        Confidence (0–1, two decimals) is how precisely the kind of place pins the location, raised
        when names confirm each other and cut to a fifth when the address names another district or
        city. No place name found → ``[]``.
        """
        if limit <= 0:
            return []
        parsed, norm, start = _parse(text, self._known)
        hits: list[_Hit] = []
        for position, surface in self._scan(norm, start):
            end = position + len(surface)
            for entry in self._by_surface[surface]:
                score = _BASE_CONFIDENCE[entry.kind]
                if entry.kind == "road" and _HOUSE_NUMBER.match(norm, end):
                    score = _ROAD_WITH_NUMBER
                hits.append(_Hit(entry, surface, position, score))
        if not hits:
            return []

        containers = [hit.entry for hit in hits if hit.entry.kind in _CONTAINERS]
        factor = _FOREIGN_FACTOR if self._is_foreign(parsed) else 1.0
        best: dict[tuple[str, str], _Hit] = {}
        for hit in hits:
            rank = _PRECISION_RANK[hit.entry.kind]
            if any(
                _PRECISION_RANK[outer.kind] < rank and outer is not hit.entry and _within(hit.entry, outer)
                for outer in containers
            ):
                hit.score += _INSIDE_BONUS
            hit.score = min(hit.score, _MAX_CONFIDENCE) * factor
            key = (hit.entry.name, hit.entry.kind)
            if key not in best or hit.score > best[key].score:
                best[key] = hit

        ranked = sorted(
            best.values(),
            key=lambda hit: (-hit.score, -_PRECISION_RANK[hit.entry.kind], hit.position, hit.entry.name),
        )
        return [
            Candidate(
                name=hit.entry.name,
                kind=hit.entry.kind,
                lon=hit.entry.lon,
                lat=hit.entry.lat,
                unit_code=hit.entry.unit_code,
                confidence=round(max(0.0, min(1.0, hit.score)), 2),
                matched=hit.matched,
            )
            for hit in ranked[:limit]
        ]
