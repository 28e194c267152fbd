"""``minhu rates …``: the rankings, the called units' scores and the weekly bottom report in a terminal, and
loading a city's own rate policy."""

from __future__ import annotations

from pathlib import Path

import typer

from minhu.core.deployment import deployment_database
from minhu.core.errors import DomainError
from minhu.evaluation import called, policies, rankings, rates, weekly
from minhu.org.roles import UnitKind

rates_app = typer.Typer(help="三率考核与排名", no_args_is_help=True)


def _fail(exc: DomainError, hint: str) -> typer.BadParameter:
    for line in exc.detail_lines():
        typer.echo(line, err=True)
    return typer.BadParameter(exc.message, param_hint=hint)


@rates_app.command("show")
def show(
    period: str | None = typer.Option(None, help="统计期：2026-10、2026-Q3、2026 或 2026-10-01..2026-10-31；默认上月"),
    policy: str | None = typer.Option(None, help="考核口径 code 或 code@version；默认 shuiguohu"),
    kind: UnitKind = typer.Option(UnitKind.STREET, help="street、department、community 或 property"),
) -> None:
    """Print the ranking of one kind of unit for a period."""
    with deployment_database() as db, db.read() as session:
        try:
            span = rates.parse_period(period, field="--period")
            chosen = policies.resolve(session, policy)
            ranking = rankings.rank(session, chosen, span, kind)
        except DomainError as exc:
            raise _fail(exc, "--period/--policy/--kind") from None
    typer.echo(f"{span.label} {rankings.RANKED_KINDS[kind]}排名 · {chosen.name}（{chosen.ref}）："
               f"{chosen.weights_text()}")
    labels = "  ".join(r.label for r in chosen.rates)
    typer.echo(f"名次  变化  单位              件数  {labels}  综合得分")
    for row in ranking.rows:
        change = "" if row.change is None else (f"↑{row.change}" if row.change > 0 else
                                                (f"↓{-row.change}" if row.change < 0 else "—"))
        values = "  ".join(f"{r.percent}%" if r.percent is not None else "—" for r in row.figures.rates)
        typer.echo(f"{row.rank if row.rank is not None else '—':>4}  {change:<4}  {row.unit.name:<14}  "
                   f"{row.figures.counted:>4}  {values}  {row.figures.score or '—'}{'  末位' if row.bottom else ''}")


@rates_app.command("called")
def show_called(
    period: str | None = typer.Option(None, help="统计期：2026-10、2026-Q3、2026-W49、2026 或起止日期；默认上月"),
    policy: str | None = typer.Option(None, help="考核口径 code 或 code@version；默认 shuiguohu"),
) -> None:
    """Print the called units' scores (吹哨报到单位考核) for a period."""
    with deployment_database() as db, db.read() as session:
        try:
            span = rates.parse_period(period, field="--period")
            chosen = policies.resolve(session, policy)
            ranking = called.rank_called(session, chosen, span)
        except DomainError as exc:
            raise _fail(exc, "--period/--policy") from None
    weights = chosen.called.weights_text() if chosen.called else "未规定评分权重"
    typer.echo(f"{span.label} 吹哨报到单位考核 · {chosen.name}（{chosen.ref}）：{weights}")
    typer.echo("名次  单位              被叫  按时  逾期  未报到  所涉工单  报到率  解决率  满意率  综合得分")
    for row in ranking.rows:
        f = row.figures
        values = "  ".join(f"{f.rate(k).percent}%" if f.rate(k).percent is not None else "—"
                           for k in ("report", "resolution", "satisfaction"))
        typer.echo(f"{row.rank if row.rank is not None else '—':>4}  {row.unit.name:<14}  {f.calls:>4}  "
                   f"{f.reported_in_time:>4}  {f.reported_late:>4}  {f.unreported:>6}  {f.order_count:>8}  "
                   f"{values}  {f.score or '—'}{'  末位' if row.bottom else ''}")
    if not ranking.rows:
        typer.echo("本统计期参与考核的工单没有吹哨报到。")


@rates_app.command("weekly-bottom")
def show_weekly_bottom(
    week: str | None = typer.Option(None, help="ISO 周，如 2026-W49；默认上周"),
    policy: str | None = typer.Option(None, help="考核口径 code 或 code@version；默认 shuiguohu"),
) -> None:
    """Print the weekly bottom report (每周末位汇报): the last units of each kind in a week."""
    with deployment_database() as db, db.read() as session:
        try:
            span = rates.parse_week(week, field="--week")
            chosen = policies.resolve(session, policy)
            report = weekly.weekly_bottom(session, chosen, span)
        except DomainError as exc:
            raise _fail(exc, "--week/--policy") from None
    typer.echo(f"{span.label} 每周末位汇报 · {chosen.name}（{chosen.ref}）")
    if not report.configured:
        typer.echo("本考核口径未规定每周末位汇报。")
        return
    for kind in report.kinds:
        named = "；".join(f"{u.unit.name}（第 {u.rank} 名，{u.score if u.score is not None else '—'} 分）"
                         for u in kind.units)
        typer.echo(f"{kind.label}（{kind.ranked} 个单位排名）：{named or '无'}")


@rates_app.command("load")
def load(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="考核口径 TOML")) -> None:
    """Load a new version of a rate policy (an existing version is refused, never replaced)."""
    with deployment_database() as db:
        try:
            with db.transaction() as session:
                loaded = policies.load(session, file.read_text("utf-8"))
        except DomainError as exc:
            raise _fail(exc, "FILE") from None
    typer.echo(f"考核口径 {loaded.ref}（{loaded.name}）已载入：{loaded.weights_text()}")
