"""``minhu rates …``: the rankings in a terminal, and loading a city's own rate policy."""

from __future__ import annotations

from pathlib import Path

import typer

from minhu.core.deployment import deployment_database
from minhu.core.errors import DomainError
from minhu.evaluation import policies, rankings, rates
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
