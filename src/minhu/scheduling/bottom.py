"""The bottom units of a week (末位单位), as the scheduling page lists them.

The one place scheduling asks evaluation for them: evaluation's weekly bottom report (``evaluation.weekly``) over
the ISO week under the default rate policy — the three rates' rankings and the called units' (双考).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from minhu.evaluation import policies, rates, weekly
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
    """The units the weekly bottom report (每周末位汇报) names for ``week``, under the default policy, kind by kind."""
    report = weekly.weekly_bottom(session, policies.resolve(session, None), rates.custom(week.monday, week.end))
    return [BottomUnit(b.unit.id, b.unit.name, b.kind_label, b.rank, kind.ranked, b.score, b.counted)
            for kind in report.kinds for b in kind.units]
