"""``minhu citizens export`` and ``minhu citizens erase``: a citizen's requests about their own data."""

from __future__ import annotations

from pathlib import Path

import typer

from minhu.core.deployment import deployment_database
from minhu.core.errors import DomainError
from minhu.orders.cli import write_package
from minhu.privacy import service

citizens_app = typer.Typer(help="诉求人个人信息（导出、删除）", no_args_is_help=True)


@citizens_app.command("export")
def export(phone: str = typer.Argument(..., help="诉求人的电话号码"),
           output: Path | None = typer.Option(None, "--output", "-o", help="输出 JSON 文件；省略时写到标准输出")
           ) -> None:
    """Everything kept about the citizen of PHONE, as JSON; each order read notes the export in its trail."""
    try:
        with deployment_database() as db, db.transaction() as session:
            package = service.export_citizen(session, phone, actor=None)
    except DomainError as exc:
        typer.echo(f"无法导出：{exc.message}", err=True)
        raise typer.Exit(code=1) from None
    write_package(package, output, what="件工单")


@citizens_app.command("erase")
def erase(phone: str = typer.Argument(..., help="诉求人的电话号码"),
          yes: bool = typer.Option(False, "--yes", help="确认：匿名化后无法恢复")) -> None:
    """Anonymise every order made with PHONE now (the orders and the statistics stay), at the citizen's request."""
    if not yes:
        typer.echo("匿名化后无法恢复：确认请加 --yes", err=True)
        raise typer.Exit(code=1)
    try:
        with deployment_database() as db, db.transaction() as session:
            done = service.erase_citizen(session, phone, actor=None)
    except DomainError as exc:
        typer.echo(f"无法删除：{exc.message}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"已匿名化 {done.orders} 件工单的个人信息，删除验证码记录 {done.codes} 条")
