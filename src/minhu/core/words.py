"""Chinese words: jieba's segmenter and its table of how rare each word is, loaded once per process.

Duplicate recognition weighs the words two reports share by how rare they are; the knowledge base indexes and
searches by the same words. Both read them from here, so a process loads jieba's dictionary once.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba

_segmenter_lock = threading.Lock()
# Letters and digits of any script: what words are cut from (punctuation and spaces only separate them).
_KEPT = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")


@lru_cache(maxsize=1)
def segmenter() -> jieba.Tokenizer:
    """jieba's tokenizer, its dictionary loaded once per process (about a second, the first time)."""
    with _segmenter_lock:
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        return tokenizer


@lru_cache(maxsize=1)
def idf_table() -> tuple[dict[str, float], float]:
    """jieba's inverse document frequencies of words (from its general corpus) and the value for a word it does
    not know — the rarest kind, as names of estates and companies are."""
    table: dict[str, float] = {}
    path = Path(jieba.__file__).resolve().parent / "analyse" / "idf.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, value = line.partition(" ")
        if value:
            table[word] = float(value)
    values = sorted(table.values())
    return table, values[len(values) // 2] + 2.0


def runs(text: str) -> list[str]:
    """``text`` folded (full-width forms, Latin lower case) and split into runs of letters and digits: a word
    never spans a comma or a space."""
    return _KEPT.findall(unicodedata.normalize("NFKC", text or "").lower())
