"""``minhu policy …`` and ``minhu calendar …``: the time limits an administrator keeps."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from minhu.core import clock
from minhu.core.deployment import deployment_database
from minhu.core.errors import DomainError
from minhu.deadlines import policy as policy_files
from minhu.deadlines import service as deadlines
from minhu.deadlines.models import DEFAULT_WARN_SHARE
from minhu.supervision import setup

policy_app = typer.Typer(help="时限政策", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日历（法定节假日与调休）", no_args_is_help=True)


@policy_app.command("load")
def load_policy(
    file: Path = typer.Argument(policy_files.DEFAULT_POLICY, exists=True, dir_okay=False, help="时限政策 CSV"),
    name: str | None = typer.Option(None, help="政策名称"),
    warn_share: float = typer.Option(DEFAULT_WARN_SHARE, help="剩余时限占比低于此值时亮黄灯"),
) -> None:
    """Make FILE the policy for new orders (orders already taken keep their deadlines)."""
    with deployment_database() as db:
        try:
            with db.transaction() as session:
                policy = setup.load_policy_file(session, file, name=name, warn_share=warn_share)
                version, rules = policy.version, len(policy.rules)
        except DomainError as exc:
            for line in exc.detail_lines():
                typer.echo(line, err=True)
            raise typer.BadParameter(exc.message, param_hint="FILE") from None
    typer.echo(f"时限政策 {version} 已生效（{rules} 条）")


@calendar_app.command("seed")
def seed() -> None:
    """Copy the statutory holidays and make-up days chinese-calendar knows (from last year on)."""
    with deployment_database() as db, db.transaction() as session:
        result = setup.seed_calendar(session)
        missing = deadlines.unknown_years_ahead(session, today=clock.city_now().date())
    typer.echo(f"已载入 {', '.join(map(str, result.years))} 年的 {result.days} 个节假日/调休日"
               f"（保留手工录入 {result.kept} 天）")
    for year in missing:
        typer.echo(f"警告：{year} 年的节假日尚未录入，涉及该年的时限按周一至周五计算并标为“暂定”。"
                   f"请用 minhu calendar set 录入国务院办公厅公布的安排。", err=True)


@calendar_app.command("set")
def set_day(
    day: str = typer.Argument(..., help="日期，如 2027-10-01"),
    kind: str = typer.Argument(..., help="holiday（放假）或 workday（调休上班）"),
    name: str = typer.Option("", help="名称，如 国庆节"),
) -> None:
    """Enter one day by hand; its year counts as entered from then on."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise typer.BadParameter(f"日期 {day!r} 无效，应为 YYYY-MM-DD", param_hint="DAY") from None
    if kind not in ("holiday", "workday"):
        raise typer.BadParameter("须为 holiday 或 workday", param_hint="KIND")
    with deployment_database() as db, db.transaction() as session:
        deadlines.set_day(session, when, workday=kind == "workday", name=name)
    typer.echo(f"{when} 已设为{'调休上班' if kind == 'workday' else '放假'}")
