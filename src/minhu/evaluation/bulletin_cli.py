"""``minhu bulletin make``: generate and archive a month's bulletin from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from minhu.core.deployment import open_deployment
from minhu.core.errors import DomainError
from minhu.evaluation import bulletin_archive

bulletin_app = typer.Typer(help="月度通报", no_args_is_help=True)


@bulletin_app.command("make")
def make(
    period: str | None = typer.Option(None, help="月份，如 2026-10（默认上月）"),
    policy: str | None = typer.Option(None, help="考核口径 code 或 code@version（默认口径）"),
    pdf: Path | None = typer.Option(None, help="另存 PDF 到此路径"),
    xlsx: Path | None = typer.Option(None, help="另存 Excel 到此路径"),
    if_missing: bool = typer.Option(False, "--if-missing", help="已归档则不重新生成"),
) -> None:
    """Generate the bulletin of PERIOD under POLICY and archive it (replacing the archived one of that month,
    unless --if-missing)."""
    settings, db = open_deployment()
    try:
        month = bulletin_archive.month_of(period or "")
        done = bulletin_archive.generate(db, period=month, policy_ref=policy, by="命令行",
                                         templates_dir=settings.home / "templates", only_if_missing=if_missing)
        if done is None:
            typer.echo(f"{month.label}的通报已归档，未重新生成：/bulletins/{month.key}")
            return
        for target, content in ((pdf, done.pdf), (xlsx, done.xlsx)):
            if target is not None:
                target.write_bytes(content)
    except DomainError as exc:
        for line in exc.detail_lines():
            typer.echo(line, err=True)
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    typer.echo(f"{done.title}（{done.policy_ref}）已{'重新生成' if done.replaced else '生成并归档'}："
               f"/bulletins/{done.period}?policy={done.policy_ref}")
