"""The bottom units of a week (末位单位), as the scheduling page lists them.

The one place scheduling asks evaluation for them: the rankings (双考) over the ISO week under the default rate
policy, the units each ranking marks as its last places. A weekly bottom report kept by evaluation itself can
replace the body of ``bottom_units`` without anything else here changing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from minhu.evaluation import policies, rankings, rates
from minhu.scheduling.weeks import Week


@dataclass(frozen=True)
class BottomUnit:
    unit_id: int
    name: str
    kind_label: str  # 街道, 职能部门 …: the ranking it is last in
    rank: int | None
    ranked: int  # how many units that ranking ranked
    score: Decimal | None
    counted: int  # the orders its figures count


def bottom_units(session: Session, week: Week) -> list[BottomUnit]:
    """The units last in their ranking for ``week`` (every ranked kind), worst first within each kind."""
    policy = policies.resolve(session, None)
    period = rates.custom(week.monday, week.end)
    found: list[BottomUnit] = []
    for kind, ranking in rankings.rank_all(session, policy, period).items():
        ranked = len(ranking.ranked)
        rows = sorted((r for r in ranking.rows if r.bottom), key=lambda r: -(r.rank or 0))
        found.extend(BottomUnit(r.unit.id, r.unit.name, rankings.RANKED_KINDS[kind], r.rank, ranked, r.figures.score,
                                r.figures.counted) for r in rows)
    return found
