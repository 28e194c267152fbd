"""``minhu insight hot``: hot issues (热点问题) found in a message-board file, by the method the product uses on
its own orders."""

from __future__ import annotations

from pathlib import Path

import typer

from minhu.core.errors import InvalidInput
from minhu.insight import hot, messages

insight_app = typer.Typer(help="热点问题与数据洞察", no_args_is_help=True)

_OUTPUT_HELP = "写出 " + ",".join(messages.ISSUE_COLUMNS)
_INPUT_HELP = "留言 CSV（UTF-8），列 " + ",".join(messages.MESSAGE_COLUMNS) + "（dislikes 等其他列忽略）"


@insight_app.command("hot")
def hot_issues(input: Path = typer.Option(..., "--input", exists=True, dir_okay=False, help=_INPUT_HELP),
               output: Path = typer.Option(..., "--output", help=_OUTPUT_HELP),
               window_days: int = typer.Option(hot.WINDOW_DAYS, "--window-days", min=1, max=365,
                                               help="两条留言相隔多少天以内才可能是同一事项"),
               limit: int = typer.Option(0, "--limit", min=0, help="只写出前若干个（0：全部）")) -> None:
    """Cluster the messages into hot issues and write them ranked by heat (the file is written only when the
    whole input reads well)."""
    try:
        reports = messages.read_messages(input.read_bytes(), source=str(input))
    except InvalidInput as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(code=1) from None
    issues = hot.find_hot_issues(reports, hot.Settings(window_days=window_days), limit=limit or None)
    output.write_text(messages.issues_csv(issues), encoding="utf-8")
    clustered = sum(issue.count for issue in issues)
    typer.echo(f"已读 {len(reports)} 条留言，找到热点问题 {len(issues)} 个（含留言 {clustered} 条），写入 {output}")
