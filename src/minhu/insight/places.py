"""Where a report is, as hot issues compare it: the place names that place a matter finely, and whether two
reports' names are one place. The names come from ``duplicates.text.places_in``; what is added here is the
comparison of names as citizens write them, prefixed by a road, a developer or a street (劳动东路魅力之城,
万科魅力之城, 泉塘街道橄榄城)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from functools import lru_cache

import numpy as np
from scipy import sparse

from minhu.duplicates.text import GENERIC_CORES, PLACE_SUFFIXES, core

# Characters two place names share, at least, to name one place.
SHARED_RUN = 3
# Names of places too wide to gather one matter's reports by.
BROAD_SUFFIXES = ("街道", "镇", "乡", "社区", "县", "区")
# ... except an estate (小区), a park or a campus, which end in 区 and place a matter finely.
FINE_SUFFIXES = ("小区", "园区", "校区", "景区", "厂区", "营区")
# An estate's property company names the estate: 翠兰盛华府物业公司 is at 翠兰盛华府.
_COMPANY = re.compile(r"(?:物业(?:服务|管理)?(?:有限)?(?:公司|中心|处)?|(?:有限)?公司)$")
# A building of an estate is at the estate: 新梅晖华府5号楼 is at 新梅晖华府.
_BUILDING = re.compile(r"[0-9一二三四五六七八九十]+(?:号楼|栋|幢|单元|号|楼|期)$")
_BROAD_PREFIX = re.compile(r"^.*(?:街道|镇|乡|社区)(?=.)")


def fine_places(names: frozenset[str]) -> frozenset[str]:
    """The names that place a matter finely enough to gather reports by, without the wider place they start
    with (泉塘街道橄榄城 → 橄榄城): a street office's, a town's or a community's name alone (星沙街道, 北山镇) covers a
    hundred matters at once."""
    fine = set()
    for name in names:
        narrowed = _BROAD_PREFIX.sub("", name)
        if narrowed and (narrowed.endswith(FINE_SUFFIXES) or not narrowed.endswith(BROAD_SUFFIXES)):
            fine.add(narrowed)
    return frozenset(fine)


@lru_cache(maxsize=262_144)  # a city names the same estates again and again
def places_meet(left: frozenset[str], right: frozenset[str]) -> bool:
    """A place both sets name: two names sharing a run of ``SHARED_RUN`` characters that still names a place
    once its kind is taken out (``duplicates.text.core``: at least two characters). 劳动东路魅力之城 and 万科魅力之城
    share 魅力之城, 伊景园滨河苑 and 伊景园 share 伊景园; 星沙大道 and 星沙时代星城 share only 星沙, and 阳光花园小区
    and 和平花园小区 share 花园小区, which names a kind of place, not one."""
    shared = frozenset().union(*map(runs, left)) & frozenset().union(*map(runs, right))
    return any(names_a_place(run) for run in shared)


@lru_cache(maxsize=65_536)
def runs(name: str) -> frozenset[str]:
    """The runs of ``SHARED_RUN`` characters of the name without its property company and the kind it ends
    with, when three characters or more are left (金桂雅小区 → 金桂雅, 伊景园 stays): two estates of one kind
    share runs across the kind's first character (桂雅小 of 金桂雅小区 and 银桂雅小区) but are not one place."""
    name = _COMPANY.sub("", _BUILDING.sub("", name))
    for kind in PLACE_SUFFIXES:
        if name.endswith(kind) and len(name) - len(kind) >= SHARED_RUN:
            name = name[:-len(kind)]
            break
    return frozenset(name[i:i + SHARED_RUN] for i in range(len(name) - SHARED_RUN + 1))


@lru_cache(maxsize=65_536)
def names_a_place(run: str) -> bool:
    """Whether a run still names a place once its kind is taken out (花园小 does not, 魅力之 does), and not a
    kind of place or company every estate has (府物业 of 华府物业公司)."""
    rest = core(run)
    return len(rest) >= 2 and rest not in GENERIC_CORES


def place_keys(placed: Sequence[tuple[Collection[str], frozenset[str]]]) -> sparse.csr_matrix:
    """One row per (units, place names) — a report's, or a cluster's —, a column per key that two at one place
    share: a unit, and each run of ``SHARED_RUN`` characters of the names that names a place. Two with no key
    in common are not at one place (``places_meet`` decides among those that have one), so the keys' product
    finds the candidates at once."""
    keys: dict[str, int] = {}
    rows, columns = [], []
    for row, (units, names) in enumerate(placed):
        found = {f"unit:{unit}" for unit in units}
        for name in names:
            found.update(run for run in runs(name) if names_a_place(run))
        for key in sorted(found):
            rows.append(row)
            columns.append(keys.setdefault(key, len(keys)))
    return sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(placed), max(1, len(keys))))
