"""``minhu warning``: run the early-warning scan now, and show or tune its rule."""

from __future__ import annotations

from datetime import date, timedelta

import typer

from minhu.core.deployment import deployment_database
from minhu.core.errors import DomainError
from minhu.warning import policy as policies
from minhu.warning import scan as scanning

warning_app = typer.Typer(help="诉求预警（未诉先办）", no_args_is_help=True)


@warning_app.command("scan")
def scan(week: str | None = typer.Option(
        None, "--week", help="只扫描含此日期的一周（如 2027-07-05）；省略时按参数扫描本周及此前几周")) -> None:
    """Judge the weeks and raise a warning for each community × category that breaks out (the worker does this
    hourly); a warning already raised is brought up to date, never raised twice."""
    weeks = None
    if week is not None:
        try:
            weeks = [scanning.week_start(date.fromisoformat(week))]
        except ValueError:
            raise typer.BadParameter(f"日期 {week!r} 无效，应为 YYYY-MM-DD", param_hint="--week") from None
    with deployment_database() as db, db.transaction() as session:
        result = scanning.scan(session, weeks=weeks)
    for monday in result.skipped:
        typer.echo(f"{monday} 至 {monday + timedelta(days=6)}：此前有数据的周数不足，未研判", err=True)
    typer.echo(str(result))


@warning_app.command("policy")
def policy(set_values: list[str] = typer.Option([], "--set", help="改一项参数，如 --set alpha=0.01（可重复）"),
           reset: bool = typer.Option(False, "--reset", help="恢复为随软件发布的默认参数")) -> None:
    """Show the rule's parameters in force; with --set or --reset, change them first."""
    values: dict[str, str] = {}
    for item in set_values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r} 应写成 参数=值", param_hint="--set")
        values[key.strip()] = value.strip()
    try:
        with deployment_database() as db, db.transaction() as session:
            if reset:
                policies.reset(session)
            current = policies.save(session, values, actor=None) if values else policies.current(session)
    except DomainError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(code=1) from None
    for key, value in current.as_dict().items():
        typer.echo(f"{key} = {value}")
