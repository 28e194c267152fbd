"""How routing does in production: its suggestions against what dispatchers chose.

Compared at the first level (the classifier's level): top-1 agreement, whether the choice was among
the three suggestions, agreement on the owner, and the confusion between suggested and chosen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.routing.models import Category, RoutingDecision


@dataclass
class ProductionReport:
    decided: int = 0
    top1: int = 0
    top3: int = 0
    owner_agreed: int = 0
    auto_dispatched: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    def rate(self, count: int) -> float:
        return round(count / self.decided, 4) if self.decided else 0.0

    def table(self) -> str:
        if not self.decided:
            return "尚无派单记录：派单员确认分类与承办单位后，这里统计建议的准确率。"
        lines = [f"已派单 {self.decided} 件（其中自动派单 {self.auto_dispatched} 件）",
                 f"首选分类一致 {self.rate(self.top1):.1%}，前三建议含所选 {self.rate(self.top3):.1%}，"
                 f"承办单位一致 {self.rate(self.owner_agreed):.1%}", "", "建议 → 实际（一级分类）："]
        for (suggested, chosen), count in sorted(self.confusion.items(), key=lambda kv: (-kv[1], kv[0])):
            mark = "" if suggested == chosen else "  ✗"
            lines.append(f"  {suggested} → {chosen}：{count}{mark}")
        return "\n".join(lines)


def production_report(session: Session) -> ProductionReport:
    names = {c.code: c.name for c in session.scalars(select(Category).where(Category.level == 1))}

    def top_name(code: str | None) -> str:
        return names.get(code[:2], code[:2]) if code else "（无）"

    result = ProductionReport()
    for decision in session.scalars(select(RoutingDecision).where(RoutingDecision.chosen_at.is_not(None))):
        result.decided += 1
        result.auto_dispatched += decision.auto_dispatched
        chosen, suggested = decision.chosen_category, decision.suggested_category
        if chosen and suggested and chosen[:2] == suggested[:2]:
            result.top1 += 1
        if chosen and any(s.get("code", "")[:2] == chosen[:2] for s in decision.suggestions):
            result.top3 += 1
        if decision.chosen_owner_id is not None and decision.chosen_owner_id == decision.suggested_owner_id:
            result.owner_agreed += 1
        result.confusion[(top_name(suggested), top_name(chosen))] += 1
    return result
