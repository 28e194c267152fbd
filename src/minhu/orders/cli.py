"""``minhu import orders`` and ``minhu export orders``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.deployment import deployment_database
from minhu.core.errors import DomainError
from minhu.orders import transfer
from minhu.orders.enums import Channel, OrderType
from minhu.orders.queries import OrderFilters
from minhu.orders.states import Status
from minhu.org.models import User
from minhu.org.queries import find_user_by_username

import_app = typer.Typer(help="批量导入", no_args_is_help=True)
export_app = typer.Typer(help="导出", no_args_is_help=True)


def _actor(db: Database, username: str | None) -> User | None:
    if username is None:
        return None
    with db.read() as session:
        user = find_user_by_username(session, username)
    if user is None:
        raise typer.BadParameter(f"用户 {username} 不存在", param_hint="--as")
    return user


@import_app.command("orders")
def import_orders(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV（UTF-8）或 XLSX 文件"),
    as_user: str | None = typer.Option(None, "--as", help="以此用户身份登记（话务员登记即受理）"),
    channel: Channel = typer.Option(Channel.IMPORT, help="文件未写渠道时使用的渠道"),
) -> None:
    """Import orders; bad rows are listed with their line and reason, good rows are kept."""
    with deployment_database() as db:
        try:
            report = transfer.import_orders(db, file, actor=_actor(db, as_user), default_channel=channel)
        except DomainError as exc:
            raise typer.BadParameter(exc.message, param_hint="FILE") from None
    for problem in report.problems:
        typer.echo(f"第 {problem.line} 行：{problem.reason}", err=True)
    typer.echo(f"导入 {len(report.created)} 条，已存在跳过 {len(report.skipped)} 条，出错 {len(report.problems)} 条")
    if report.problems:
        raise typer.Exit(code=1)


@export_app.command("orders")
def export_orders(
    output: Path | None = typer.Option(None, "--output", "-o", help="输出文件；CSV 可省略（写到标准输出）"),
    fmt: str = typer.Option("csv", "--format", help="csv 或 xlsx"),
    status: list[Status] = typer.Option([], help="状态，可多次给出"),
    order_type: OrderType | None = typer.Option(None, "--type", help="诉求类型"),
    channel: Channel | None = typer.Option(None, help="渠道"),
    created_from: datetime | None = typer.Option(None, "--from", help="登记时间起（含），城市时区"),
    created_to: datetime | None = typer.Option(None, "--to", help="登记时间止（不含），城市时区"),
    contacts: bool = typer.Option(False, "--with-contacts",
                                  help="含诉求人姓名与完整电话（每件导出的工单记入留痕）；默认打码"),
) -> None:
    """Export orders matching the filters, oldest first. Citizens' names and phones are masked unless
    --with-contacts, which writes an entry into the trail of every order whose contact it exports."""
    if fmt not in ("csv", "xlsx"):
        raise typer.BadParameter("格式须为 csv 或 xlsx", param_hint="--format")
    if fmt == "xlsx" and output is None:
        raise typer.BadParameter("Excel 导出需要 --output", param_hint="--output")
    count = 0

    def counted(rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    with deployment_database() as db:
        tz = clock.city_tz()
        filters = OrderFilters(statuses=list(status), type=order_type, channel=channel,
                               created_from=created_from.replace(tzinfo=tz) if created_from else None,
                               created_to=created_to.replace(tzinfo=tz) if created_to else None)
        data = transfer.write_export(counted(transfer.export_rows(db, viewer=None, filters=filters,
                                                                          contacts=contacts)), output, fmt)
    if data is not None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        typer.echo(f"已导出 {count} 条工单", err=True)
    else:
        typer.echo(f"已导出 {count} 条工单到 {output}")


@export_app.command("city")
def export_city(
    output: Path | None = typer.Option(None, "--output", "-o", help="输出 JSON 文件；省略时写到标准输出"),
) -> None:
    """Export the orders escalated to the city (上报市级) as one JSON document for the city's system."""
    with deployment_database() as db:
        package = transfer.city_package(db, exported_by=None)
    write_package(package, output, what="件上报市级工单")


def write_package(package: dict[str, Any], output: Path | None, *, what: str) -> None:
    """A JSON document of orders to ``output``, or to standard output with the count on standard error."""
    data = json.dumps(package, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(data)
        typer.echo(f"已导出 {len(package['orders'])} {what}", err=True)
    else:
        output.write_text(data + "\n", encoding="utf-8")
        typer.echo(f"已导出 {len(package['orders'])} {what}到 {output}")
