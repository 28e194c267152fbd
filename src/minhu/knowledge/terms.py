"""The words a text is indexed by, and the weighted words a search looks for.

Neither database cuts Chinese into words, so minhu does it (jieba's search mode, which also gives the shorter
words inside a long one: 夜间施工 → 夜间, 施工, 夜间施工) and stores the words separated by spaces; the index
of either database then only splits on spaces. A search is cut the same way and widened in two ways a clerk
needs: the groups of ``data/synonyms.txt`` (噪声 finds 噪音) and the character pairs of what was typed, which
the index keeps for titles — a miswritten character (拉圾分类) still leaves pairs of the title it meant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from minhu.core.words import idf_table, runs, segmenter

SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms.txt"
# Words that say nothing about what a text is about.
STOP_WORDS = frozenset({
    *"的了是在和与及或对把被向从为给让将于请问吗呢啊吧么我你他她它们这那有也就都还又但而之其以等个中上下不",
    "我们", "你们", "他们", "这个", "那个", "什么", "怎么", "如何", "是否", "可以", "能否", "一个", "没有", "已经",
    "现在", "请问", "您好", "你好", "谢谢", "希望", "反映", "问题", "情况", "相关", "有关", "关于", "进行",
})
# What a search looks for at most: a pasted page of text is read by its rarest words, not all of them; and
# at most so many character pairs besides (each costs the index a look-up, and they only forgive a typo).
MAX_QUERY_TERMS = 24
MAX_QUERY_PAIRS = 8
CANDIDATE_TERMS = 10
# A character pair of what was typed weighs less than a word: it is there to forgive a typo, not to rank.
PAIR_WEIGHT = 0.4


# No word is longer: jieba keeps a run of Latin letters and digits whole (a pasted hash, a line of digits), and
# PostgreSQL refuses a tsvector word over 2,047 bytes — an order holding one could not be archived.
MAX_WORD = 32


def words(text: str) -> list[str]:
    """The words of ``text`` in order, repeated as often as said: two characters or more (a Latin word or a
    number too, cut at 32 characters), stop words left out."""
    cut = segmenter().cut_for_search
    return [w[:MAX_WORD] for run in runs(text) for w in cut(run) if len(w) > 1 and w not in STOP_WORDS]


def pairs(text: str) -> list[str]:
    """The character pairs of the Chinese in ``text`` (the first-order guard against a typo)."""
    found: list[str] = []
    for run in runs(text):
        chinese = "".join(ch for ch in run if "\u4e00" <= ch <= "\u9fff")
        found.extend(chinese[i:i + 2] for i in range(len(chinese) - 1))
    return found


def document_terms(title: str, *texts: str) -> list[str]:
    """What a document is indexed by: its title's words twice (a title says what the document is about), the
    title's character pairs, and the words of its other texts."""
    title_words = words(title)
    terms = title_words + title_words + [p for p in pairs(title) if p not in set(title_words)]
    for text in texts:
        terms.extend(words(text))
    return terms


@lru_cache(maxsize=1)
def synonym_groups() -> dict[str, tuple[str, ...]]:
    """Each word of ``data/synonyms.txt`` → its whole group."""
    groups: dict[str, tuple[str, ...]] = {}
    for line in SYNONYMS_FILE.read_text("utf-8").splitlines():
        group = tuple(line.split("#", 1)[0].split())
        for word in group:
            groups[word] = group
    return groups


@dataclass(frozen=True)
class Query:
    """A search as the index reads it: each term with its weight (how rare the word is, less for a pair)."""

    weights: dict[str, float]

    @property
    def terms(self) -> list[str]:
        return sorted(self.weights)

    @property
    def rarest(self) -> list[str]:
        """The terms the index looks candidates up by: the rarest few. A document holding only common words of
        the search (小区, 反映) would rank low anyway, and looking them up would make every row a candidate."""
        return sorted(sorted(self.weights, key=lambda t: (-self.weights[t], t))[:CANDIDATE_TERMS])

    def __bool__(self) -> bool:
        return bool(self.weights)


def rarity(word: str) -> float:
    table, unknown = idf_table()
    return table.get(word, unknown)


def query_of(text: str, *, extra: Iterable[str] = ()) -> Query:
    """The weighted terms a search for ``text`` looks for (and ``extra`` words, such as a category's name)."""
    weights: dict[str, float] = {}
    for word in [*words(text), *extra]:
        group = synonym_groups().get(word, (word,))
        weight = rarity(group[0])  # a miswriting weighs what the word it stands for weighs
        for same in group:
            weights[same] = max(weights.get(same, 0.0), weight)
    kept = dict(sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:MAX_QUERY_TERMS])
    # A pair inside a word already looked for adds nothing; the others stand in for a word a typo broke.
    broken = {p: PAIR_WEIGHT * rarity(p) for p in pairs(text)
              if p not in STOP_WORDS and not any(p in word for word in kept)}
    kept.update(sorted(broken.items(), key=lambda item: (-item[1], item[0]))[:MAX_QUERY_PAIRS])
    return Query(kept)
