"""``minhu dashboard rebuild``: count the dashboard's daily figures afresh from the orders."""

from __future__ import annotations

import typer

from minhu.core.deployment import deployment_database
from minhu.dashboard import rollup

dashboard_app = typer.Typer(help="数据看板", no_args_is_help=True)


@dashboard_app.command("rebuild")
def rebuild() -> None:
    """Recount the daily counts the dashboard reads from every order, in one transaction: after orders were
    loaded by other means than minhu's own, or after the city's time zone changed (the days are the city's)."""
    with deployment_database() as db, db.transaction() as session:
        rows = rollup.rebuild(session.connection())
    typer.echo(f"看板日汇总已重建：{rows} 行")
