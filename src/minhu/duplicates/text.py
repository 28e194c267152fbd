"""What a report says, split the way a dispatcher reads it: *where* (the places it names) and *what* (the
matter, in the words that are left once places and the hotline's courtesies are taken out).

Two reports of one matter by different people share few sentences but share the estate, the road or the
building, and the matter's key words (路灯, 油烟, 停水). Two reports of one kind of matter at different places
share the matter's words and even whole phrases, but not the place; two of one place on different matters
share the place only. Keeping the two parts apart is what lets a score tell these three cases apart.

Chinese needs no word segmentation for this: character bigrams carry both place names and matter words, and
a paraphrase that keeps the nouns keeps their bigrams.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from minhu.core.words import idf_table, segmenter
from minhu.routing import catalog
from minhu.routing import service as routing

# What ends a place name: the kinds of place a citizen names (an estate, a road, a building, an institution).
# Longest first, so that 小区 wins over 区 and 大道 over 道.
PLACE_SUFFIXES = tuple(sorted((
    "小区", "花园", "家园", "公寓", "大厦", "广场", "苑", "城", "府", "湾", "庭", "村", "社区", "街道", "路", "街",
    "大道", "巷", "弄", "桥", "公园", "学校", "小学", "中学", "大学", "学院", "幼儿园", "医院", "卫生院", "市场",
    "商场", "超市", "酒店", "宾馆", "公司", "工厂", "厂", "车站", "公交站", "地铁站", "号线", "栋", "单元", "号楼",
    "大楼", "园", "湖", "河", "镇", "乡", "工地", "隧道", "立交", "码头", "银行", "菜场", "二期", "三期",
    "一期", "四期", "五期",
), key=len, reverse=True))
# Characters that do not occur inside a place name and so bound one on the left (particles, pronouns, verbs
# that introduce a place). Digits and Latin letters do occur (A5区, 3号线, K9栋).
_NOT_IN_PLACE = set("的了我你他她它们是在有和与及对把被向从为给让将于请问本该此这那每个位都也就还又但而却因所以"
                    "住买到去来说要想会能可已经曾给被找走")
# Administrative names every report of one city repeats (西地省, A市, A5区, 高新区): they place nothing finer
# than a district, and a place name starts after them.
_ADMIN = re.compile(r"[a-z]\d{0,2}[市区县]|[\u4e00-\u9fff]{2}省|(?<![小社园])(?:高新|经开|开发|新)区")
# Districts and counties by name (A5区, 武昌区, K9县), which two reports of one place do not contradict. Not 小区,
# 社区, 城区, 园区, 景区, 片区, 校区, 老区, 市区: those are no district.
_DISTRICT = re.compile(r"[a-z]\d{1,2}[区县]|[\u4e00-\u9fff]{2}(?<![小社城园景片校老市营厂矿])[区县]")
_MAX_PLACE = 12
_MIN_PLACE = 2
# Words that introduce a place ("网格巡查发现…", "我住在…", "位于…"): a name starts after the last of them.
INTRODUCING = ("发现", "巡查", "网格", "投诉", "反映", "举报", "位于", "住在", "地址", "关于", "请问", "咨询",
               "附近", "旁边", "对面", "周边", "门口", "楼下", "隔壁", "临街", "建议", "希望", "要求", "导致")
_INTRODUCED = re.compile("^.*(?:{})".format("|".join(INTRODUCING)))
# Cores that name a kind of place, not a place: 建筑工地, 物业公司, 附近小区 identify nothing.
GENERIC_CORES = frozenset({
    "建筑", "施工", "物业", "开发", "房地产", "置业", "有限", "科技", "本", "该", "这个", "我们", "这", "那",
    "附近", "周边", "旁边", "对面", "楼下", "隔壁", "门口", "临街", "底商", "老", "新", "大", "小", "各", "所在",
    "居民", "业主", "农村", "城市", "省城", "全市", "本市", "市区", "城区", "社区", "政府", "市委", "市委市政府",
    "马", "道", "公", "人行", "机动车", "非机动车", "主干", "断头", "乡村", "村", "该村", "当地", "我", "我村",
    "地铁", "公交", "高速", "国", "省", "市", "区", "县", "乡", "镇", "小学", "中学", "大学", "医院", "学校",
})
# The suffixes, longest first. 路 ends a road but not 路灯, 路面, 路况 (a lamp, a surface, traffic: the matter, not
# the place); 府 ends 华府, not 政府.
_EXCEPT = {"路": "路(?![灯面况费途过口段边])", "府": "(?<!政)府"}
_SUFFIX = re.compile("|".join(_EXCEPT.get(s, s) for s in PLACE_SUFFIXES))
# What names a kind of place rather than this place (小区, 3栋, 二期): left out of a name's core.
_GENERIC = re.compile("|".join(PLACE_SUFFIXES) + r"|[0-9一二三四五六七八九十百]+")

# The hotline's courtesies and framing: said in every report, about no matter in particular.
BOILERPLATE = (
    "尊敬的", "领导", "您好", "你好", "请问", "希望", "谢谢", "感谢", "反映", "投诉", "举报", "相关部门", "有关部门",
    "尽快", "解决", "处理", "问题", "情况", "现在", "已经", "一直", "没有", "这个", "什么", "为什么", "请求",
    "我们", "我是", "业主", "居民", "市民", "群众", "老百姓", "严重", "影响", "生活", "政府", "部门", "给予",
    "关注", "重视", "帮助", "帮忙", "能否", "是否", "如何", "怎么", "目前", "至今", "多次", "书记", "市长",
    "局长", "区长", "主任", "此致", "敬礼", "万分", "恳请", "麻烦", "强烈", "要求", "关于", "存在", "问一下",
)
_KEPT = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")


def normalise(text: str) -> str:
    """Full-width forms folded (Ａ５ → A5), Latin lower-cased, whitespace and punctuation dropped."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(_KEPT.findall(folded))


def _chunks(text: str) -> list[str]:
    """Runs of letters and digits between punctuation and administrative names (a place never spans a comma,
    and starts after its district)."""
    folded = _ADMIN.sub("，", unicodedata.normalize("NFKC", text or "").lower())
    return _KEPT.findall(folded)


def places_in(text: str) -> list[str]:
    """The place names ``text`` mentions, without district-level names nor places that name only a kind of place.

    A name ends at each place suffix (小区, 路, 栋 …) and extends left over characters that may belong to a name,
    at most ``_MAX_PLACE`` characters in all, and starts after the words that introduce a place:
    "A5区魅力之城小区" and "网格巡查发现魅力之城小区" both give 魅力之城 and 魅力之城小区. "边上的建筑工地" and
    "物业公司" give nothing: their core (``core``) names no particular place.
    """
    found = []
    for chunk in _chunks(text):
        for suffix in _SUFFIX.finditer(chunk):
            start, end = suffix.start(), suffix.end()
            while start > 0 and end - start < _MAX_PLACE and chunk[start - 1] not in _NOT_IN_PLACE:
                start -= 1
            name = _INTRODUCED.sub("", chunk[start:end])
            if len(name) > len(suffix.group(0)) and len(core(name)) >= _MIN_PLACE and core(name) not in GENERIC_CORES:
                found.append(name)
    return found


@lru_cache(maxsize=65_536)  # the comparison asks for the cores of every candidate's places, again and again
def core(name: str) -> str:
    """A place name without what names its kind (幸福里小区3栋 → 幸福里): what two wordings of it share."""
    return _GENERIC.sub("", name)


def bigrams(text: str) -> Counter[str]:
    """Character bigrams of normalised text, counted."""
    kept = normalise(text)
    return Counter(kept[i:i + 2] for i in range(len(kept) - 1))


@lru_cache(maxsize=1)
def _boilerplate_bigrams() -> frozenset[str]:
    return frozenset(b for phrase in BOILERPLATE for b in bigrams(phrase))


@lru_cache(maxsize=1)
def _topic_index() -> routing.KeywordIndex:
    """The default catalog's keywords of its finer categories (a first level's 小区, 物业 say too little)."""
    rows = {row.code: row for row in catalog.read_catalog().rows if len(row.code) >= 4}
    return routing.keyword_index(rows)


def topics_in(text: str) -> frozenset[str]:
    """The finest categories of the catalog whose keywords ``text`` uses (路灯 → 市政路灯, 井盖 → 井盖缺失破损,
    油烟 → 大气污染): the matter named in the catalog's words, however the rest is worded. A category is left
    out when one of its own subcategories is there: 市政设施 adds nothing to 市政路灯."""
    hits = routing.keyword_hits(_topic_index(), text)
    return frozenset(code for code in hits if not any(other != code and other.startswith(code) for other in hits))


def words_in(text: str) -> dict[str, float]:
    """The words of ``text`` (two characters or more, courtesies left out), each weighted by how often it is said
    (dampened) and how rare it is: two reports that share 晟通牡丹舸 share more than two that share 物业."""
    table, unknown = idf_table()
    counts = Counter(w for w in segmenter().lcut(normalise(text)) if len(w) > 1 and w not in _BOILERPLATE_WORDS)
    return {w: round((1 + math.log(n)) * table.get(w, unknown), 3) for w, n in counts.items()}


_BOILERPLATE_WORDS = frozenset(BOILERPLATE)


@dataclass(frozen=True)
class Reading:
    """One report read for comparison: the places it names (and their cores' bigrams), its matter's bigrams, the
    title's, and the catalog topics it touches."""

    places: frozenset[str]
    place_grams: frozenset[str]
    matter: Counter[str]
    title: frozenset[str]
    topics: frozenset[str] = frozenset()
    # The places the title names (a title names the place it is about, with less noise than the text) and the
    # districts or counties named anywhere.
    title_places: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    words: dict[str, float] | None = None

    @property
    def has_places(self) -> bool:
        return bool(self.places)


def read(title: str, detail: str, address: str | None = None) -> Reading:
    """Read a report. The address, when there is one, is a place like those named in the text."""
    text = f"{title}。{detail}"
    names = places_in(text) + (places_in(address) if address else [])
    if address and not names:
        cleaned = normalise(address)
        if len(cleaned) >= _MIN_PLACE:
            names.append(cleaned)
    skip = _boilerplate_bigrams()
    matter = _grams_without(normalise(text), names, skip)
    title_grams = _grams_without(normalise(title), names, skip)
    folded = unicodedata.normalize("NFKC", text).lower()
    return Reading(frozenset(names), place_grams(names), matter, frozenset(title_grams), topics_in(normalise(text)),
                   frozenset(places_in(title)), frozenset(_district_names(folded)), words_in(text))


def districts_in(text: str) -> list[str]:
    """The districts and counties ``text`` names (A5区, 武昌区, K9县), in order, repeats kept."""
    return _district_names(unicodedata.normalize("NFKC", text or "").lower())


def _district_names(folded: str) -> list[str]:
    found = []
    for match in _DISTRICT.finditer(folded):
        name = match.group(0)
        found.append(name[-3:] if name[0].isascii() else name)
    return found


def place_grams(names: Iterable[str]) -> frozenset[str]:
    """The bigrams of the places' cores: what two wordings of one place share."""
    return frozenset().union(*map(_core_grams, names))


@lru_cache(maxsize=65_536)
def _core_grams(name: str) -> frozenset[str]:
    return frozenset(bigrams(core(name)))


def _grams_without(text: str, names: list[str], skip: frozenset[str]) -> Counter[str]:
    """The bigrams of ``text`` once the place ``names`` are cut out and the courtesies skipped."""
    for name in sorted(set(names), key=len, reverse=True):
        text = text.replace(name, "|")
    return Counter(g for g in (text[i:i + 2] for i in range(len(text) - 1)) if "|" not in g and g not in skip)
