"""How routing does in production: its suggestions against what dispatchers chose.

One computation serves ``minhu model report`` and the quality page (分类质量). The basis is the routing
decisions a dispatcher settled (``chosen_at`` in the period): top-1 agreement at the first level (the
classifier's level) and at the exact category, whether the choice was among the three suggestions, the
confusion between suggested and chosen first levels, how well the confidence matches the accuracy
(calibration), and how often the suggested owner was the chosen one. Beside it, the orders routed in the
period: how many dispatched themselves, and how many of those a unit sent back — the sign that the
auto-dispatch threshold is too low.

Counts are aggregated in SQL. Top-3 hits read the suggestions' JSON, which the two databases query
differently, so they are counted in Python over two columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, select, true
from sqlalchemy.orm import Session

from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.permissions import visible_clause
from minhu.orders.states import Action
from minhu.org.models import User
from minhu.routing.models import Category, RoutingDecision

# Calibration buckets of the top suggestion's confidence; 0.85, the default auto-dispatch threshold, is an
# edge so the orders that would dispatch themselves are read apart.
BUCKET_EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0)
FREQUENT_CONFUSIONS = 10
LISTED_AUTO_RETURNS = 20
NO_SUGGESTION = "（无建议）"


@dataclass(frozen=True)
class CalibrationBucket:
    low: float
    high: float
    count: int
    mean_confidence: float
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.count if self.count else 0.0


@dataclass(frozen=True)
class Confusion:
    suggested: str
    chosen: str
    count: int


@dataclass(frozen=True)
class AutoReturn:
    number: str
    title: str
    confidence: float | None
    suggested: str | None
    reason: str


@dataclass
class ProductionReport:
    start: datetime | None = None
    end: datetime | None = None
    # Routed in the period (by the decision's time) and, of those, dispatched by the system.
    routed: int = 0
    auto_dispatched: int = 0
    # Settled by a dispatcher in the period; ``judged`` of them with a chosen category.
    decided: int = 0
    judged: int = 0
    top1: int = 0  # first level
    top1_exact: int = 0
    top3: int = 0  # first level
    top3_exact: int = 0
    owner_suggested: int = 0
    owner_agreed: int = 0
    # (suggested first-level code or "", chosen first-level code) → count, over the judged decisions.
    matrix: dict[tuple[str, str], int] = field(default_factory=dict)
    calibration: list[CalibrationBucket] = field(default_factory=list)
    confusions: list[Confusion] = field(default_factory=list)  # exact categories, most frequent first
    auto_returned: int = 0
    auto_returns: list[AutoReturn] = field(default_factory=list)
    manual_dispatched: int = 0
    manual_returned: int = 0
    names: dict[str, str] = field(default_factory=dict)  # category code → name, every level

    # --- derived figures ----------------------------------------------------------------------------

    def rate(self, count: int) -> float:
        """A share of the judged decisions (0 when there are none)."""
        return round(count / self.judged, 4) if self.judged else 0.0

    @staticmethod
    def share(count: int, total: int) -> float | None:
        return round(count / total, 4) if total else None

    @property
    def auto_return_rate(self) -> float | None:
        return self.share(self.auto_returned, self.auto_dispatched)

    @property
    def manual_return_rate(self) -> float | None:
        return self.share(self.manual_returned, self.manual_dispatched)

    @property
    def expected_calibration_error(self) -> float | None:
        total = sum(b.count for b in self.calibration)
        if not total:
            return None
        return round(sum(b.count / total * abs(b.accuracy - b.mean_confidence) for b in self.calibration), 4)

    def name(self, code: str) -> str:
        return self.names.get(code, code) if code else NO_SUGGESTION

    def path(self, code: str) -> str:
        """城乡建设 › 物业管理 for 0102: the names of the code and its ancestors."""
        if not code:
            return NO_SUGGESTION
        return " › ".join(self.names.get(code[:n], code[:n]) for n in range(2, len(code) + 1, 2))

    @property
    def suggested_levels(self) -> list[str]:
        """The matrix's rows: suggested first levels (with "" for no suggestion last)."""
        codes = sorted({s for s, _ in self.matrix if s})
        return codes + ([""] if any(not s for s, _ in self.matrix) else [])

    @property
    def chosen_levels(self) -> list[str]:
        return sorted({c for _, c in self.matrix})

    def row_total(self, suggested: str) -> int:
        return sum(n for (s, _), n in self.matrix.items() if s == suggested)

    def column_total(self, chosen: str) -> int:
        return sum(n for (_, c), n in self.matrix.items() if c == chosen)

    def table(self) -> str:
        """The report as text for the command line."""
        if not self.decided and not self.routed:
            return "尚无派单记录：派单员确认分类与承办单位后，这里统计建议的准确率。"
        lines = [f"路由建议 {self.routed} 件，其中自动派单 {self.auto_dispatched} 件"
                 f"（{_pct(self.share(self.auto_dispatched, self.routed))}）；派单员确认 {self.decided} 件，"
                 f"其中选定分类 {self.judged} 件"]
        if self.judged:
            lines.append(f"首选分类一致：一级 {self.rate(self.top1):.1%}，精确 {self.rate(self.top1_exact):.1%}；"
                         f"前三建议含所选：一级 {self.rate(self.top3):.1%}，精确 {self.rate(self.top3_exact):.1%}")
        if self.owner_suggested:
            lines.append(f"承办单位一致 {self.owner_agreed / self.owner_suggested:.1%}"
                         f"（{self.owner_agreed}/{self.owner_suggested}，有建议承办单位的）")
        if self.auto_dispatched:
            lines.append(f"自动派单后被退单 {self.auto_returned}/{self.auto_dispatched}"
                         f"（{_pct(self.auto_return_rate)}；派单员派出的被退单 {_pct(self.manual_return_rate)}）")
        if self.matrix:
            lines += ["", "建议 → 实际（一级分类）："]
            for (suggested, chosen), count in sorted(self.matrix.items(), key=lambda kv: (-kv[1], kv[0])):
                mark = "" if suggested == chosen else "  ✗"
                lines.append(f"  {self.name(suggested)} → {self.name(chosen)}：{count}{mark}")
        if self.calibration:
            lines += ["", "置信度校准（首选建议的置信度 vs 一级分类实际准确率）："]
            for b in self.calibration:
                lines.append(f"  {b.low:.2f}–{b.high:.2f}：{b.count} 件，平均置信度 {b.mean_confidence:.1%}，"
                             f"实际准确率 {b.accuracy:.1%}")
            lines.append(f"  期望校准误差 ECE {self.expected_calibration_error:.3f}")
        if self.confusions:
            lines += ["", "最常见的混淆（建议 → 实际）："]
            lines += [f"  {self.path(c.suggested)} → {self.path(c.chosen)}：{c.count}" for c in self.confusions]
        return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _within(column: Any, start: datetime | None, end: datetime | None) -> ColumnElement[bool]:
    conditions = [column.is_not(None)]
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return and_(*conditions)


def _first_level(column: Any) -> ColumnElement[str]:
    return func.substr(column, 1, 2)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _returned_after(moment: Any) -> ColumnElement[bool]:
    """The decision's order was returned (退单) after ``moment``."""
    return exists().where(OrderEvent.order_id == RoutingDecision.order_id,
                          OrderEvent.action == Action.RETURN, OrderEvent.at >= moment)


def production_report(session: Session, *, start: datetime | None = None, end: datetime | None = None,
                      viewer: User | None = None) -> ProductionReport:
    """The report over decisions settled in [start, end) and orders routed in it (all time when open). The
    auto-dispatched orders that came back are listed as far as ``viewer`` may see them (all without one)."""
    report = ProductionReport(start=start, end=end)
    report.names = {row.code: row.name for row in session.execute(select(Category.code, Category.name))}
    decided = _within(RoutingDecision.chosen_at, start, end)
    judged = and_(decided, RoutingDecision.chosen_category.is_not(None))
    d = RoutingDecision
    same_first = _first_level(d.suggested_category) == _first_level(d.chosen_category)
    row = session.execute(select(
        func.count(), _count_if(d.chosen_category.is_not(None)), _count_if(same_first),
        _count_if(d.suggested_category == d.chosen_category), _count_if(d.suggested_owner_id.is_not(None)),
        _count_if(d.suggested_owner_id == d.chosen_owner_id),
    ).where(decided)).one()
    (report.decided, report.judged, report.top1, report.top1_exact, report.owner_suggested,
     report.owner_agreed) = (int(v) for v in row)

    for suggestions, chosen in session.execute(select(d.suggestions, d.chosen_category).where(judged)):
        codes = [str(s.get("code", "")) for s in suggestions or []]
        report.top3 += any(code[:2] == chosen[:2] for code in codes)
        report.top3_exact += chosen in codes

    cells = select(func.coalesce(_first_level(d.suggested_category), "").label("suggested"),
                   _first_level(d.chosen_category).label("chosen")).where(judged).subquery()
    report.matrix = {(s, c): int(n) for s, c, n in session.execute(
        select(cells.c.suggested, cells.c.chosen, func.count()).group_by(cells.c.suggested, cells.c.chosen))}

    report.calibration = _calibration(session, judged, same_first)
    pairs = select(d.suggested_category, d.chosen_category, func.count().label("n")).where(
        judged, d.suggested_category.is_not(None), d.suggested_category != d.chosen_category,
    ).group_by(d.suggested_category, d.chosen_category)
    report.confusions = [Confusion(s or "", c or "", int(n)) for s, c, n in session.execute(
        pairs.order_by(func.count().desc(), d.suggested_category, d.chosen_category).limit(FREQUENT_CONFUSIONS))]
    _auto_dispatch_figures(session, report, start, end, viewer)
    return report


def _calibration(session: Session, judged: ColumnElement[bool],
                 same_first: ColumnElement[bool]) -> list[CalibrationBucket]:
    d = RoutingDecision
    edges = BUCKET_EDGES
    bucket = case(*((d.confidence < edges[i + 1], i) for i in range(len(edges) - 2)), else_=len(edges) - 2)
    rows = select(bucket.label("bucket"), d.confidence.label("confidence"),
                  case((same_first, 1), else_=0).label("correct")).where(judged, d.confidence.is_not(None)).subquery()
    result = session.execute(select(rows.c.bucket, func.count(), func.avg(rows.c.confidence), func.sum(rows.c.correct))
                             .group_by(rows.c.bucket).order_by(rows.c.bucket))
    return [CalibrationBucket(edges[int(i)], edges[int(i) + 1], int(n), round(float(mean), 4), int(correct))
            for i, n, mean, correct in result]


def _auto_dispatch_figures(session: Session, report: ProductionReport, start: datetime | None,
                           end: datetime | None, viewer: User | None) -> None:
    d = RoutingDecision
    routed = _within(d.at, start, end)
    returned = _returned_after(d.at)
    manual = and_(routed, d.auto_dispatched.is_(False), d.chosen_at.is_not(None))
    row = session.execute(select(
        func.count(), _count_if(d.auto_dispatched.is_(True)), _count_if(and_(d.auto_dispatched.is_(True), returned)),
        _count_if(manual), _count_if(and_(manual, _returned_after(d.chosen_at))),
    ).where(routed)).one()
    (report.routed, report.auto_dispatched, report.auto_returned, report.manual_dispatched,
     report.manual_returned) = (int(v) for v in row)
    if report.auto_returned:
        seen = visible_clause(viewer) if viewer is not None else true()
        report.auto_returns = _auto_returns(session, and_(routed, d.auto_dispatched.is_(True), returned, seen))


def _auto_returns(session: Session, condition: ColumnElement[bool]) -> list[AutoReturn]:
    """The latest auto-dispatched orders that came back, each with the reason of its first return."""
    first_return = (select(OrderEvent.payload).where(OrderEvent.order_id == RoutingDecision.order_id,
                                                     OrderEvent.action == Action.RETURN)
                    .order_by(OrderEvent.id).limit(1).scalar_subquery())
    statement: Select[Any] = (select(WorkOrder.number, WorkOrder.title, RoutingDecision.confidence,
                                     RoutingDecision.suggested_category, first_return)
                              .join(WorkOrder, WorkOrder.id == RoutingDecision.order_id).where(condition)
                              .order_by(RoutingDecision.at.desc()).limit(LISTED_AUTO_RETURNS))
    return [AutoReturn(number, title, confidence, suggested,
                       str((payload or {}).get("reason_label") or "")) for number, title, confidence, suggested, payload
            in session.execute(statement)]
