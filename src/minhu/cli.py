"""The ``minhu`` command: serve, migrate, load the demo, manage users, import and export orders."""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import typer
import uvicorn
from fastapi import FastAPI
from sqlalchemy.orm import Session

from minhu import backup as backup_module
from minhu import listeners
from minhu.app import create_app
from minhu.config import Settings
from minhu.core import migrate
from minhu.core.db import Database
from minhu.core.deployment import deployment_database, open_deployment
from minhu.core.errors import DomainError
from minhu.dashboard import cli as dashboard_cli
from minhu.deadlines import service as deadlines
from minhu.demo import city, training
from minhu.dispatch import cli as dispatch_cli
from minhu.duplicates import cli as duplicates_cli
from minhu.duplicates import listeners as duplicates_listeners
from minhu.evaluation import bulletin_cli
from minhu.evaluation import cli as evaluation_cli
from minhu.insight import cli as insight_cli
from minhu.knowledge import cli as knowledge_cli
from minhu.map import cli as map_cli
from minhu.notify import cli as notify_cli
from minhu.notify import templates as notify_templates
from minhu.orders import cli as orders_cli
from minhu.org import access as org_access
from minhu.org import queries as org_queries
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import UNIT_KIND_LABELS, Role, UnitKind
from minhu.privacy import cli as privacy_cli
from minhu.routing import service as routing
from minhu.supervision import cli as supervision_cli
from minhu.warning import cli as warning_cli
from minhu.worker import process as worker_process

app = typer.Typer(help="minhu（民呼）接诉即办平台", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="数据库", no_args_is_help=True)
demo_app = typer.Typer(help="演示数据", no_args_is_help=True)
users_app = typer.Typer(help="用户", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
units_app = typer.Typer(help="单位", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(units_app, name="units")
app.add_typer(orders_cli.import_app, name="import")
app.add_typer(orders_cli.export_app, name="export")
app.add_typer(map_cli.map_app, name="map")
app.add_typer(dispatch_cli.catalog_app, name="catalog")
app.add_typer(dispatch_cli.model_app, name="model")
app.add_typer(supervision_cli.policy_app, name="policy")
app.add_typer(supervision_cli.calendar_app, name="calendar")
app.add_typer(evaluation_cli.rates_app, name="rates")
app.command("classify")(dispatch_cli.classify)
app.add_typer(notify_cli.notify_app, name="notify")
app.add_typer(bulletin_cli.bulletin_app, name="bulletin")
app.add_typer(duplicates_cli.duplicates_app, name="duplicates")
app.add_typer(knowledge_cli.knowledge_app, name="knowledge")
app.add_typer(warning_cli.warning_app, name="warning")
app.add_typer(privacy_cli.citizens_app, name="citizens")
app.add_typer(insight_cli.insight_app, name="insight")
app.add_typer(dashboard_cli.dashboard_app, name="dashboard")




@app.callback()
def _configure() -> None:
    """Every command routes orders it creates with the deployment's trained model."""
    settings = Settings()
    routing.configure(models_dir=settings.models_dir, auto_dispatch_confidence=settings.auto_dispatch_confidence)
    deadlines.configure(work_hours=settings.work_windows)
    notify_templates.configure(site_url=settings.base_url)
    duplicates_listeners.configure(auto_join=settings.duplicates_auto_join)
    listeners.install()  # orders moved from the command line tell the same people and systems as the pages


def _log_to_stderr() -> None:
    # What the worker and the outbox report (a failed delivery, a skipped recipient) reaches the operator.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="监听地址"), port: int = typer.Option(8000, help="端口"),
          migrate_first: bool = typer.Option(True, "--migrate/--no-migrate", help="启动前执行数据库迁移"),
          workers: int = typer.Option(1, "--workers", min=1, max=64,
                                      help="服务进程数（多进程仅用于 PostgreSQL）")) -> None:
    """Serve the web application (migrates the database first); ``--workers N`` runs N processes on PostgreSQL."""
    _log_to_stderr()
    settings, db = open_deployment()
    if workers > 1 and db.dialect != "postgresql":
        db.dispose()
        typer.echo("SQLite 同一时间只有一个进程能写入，--workers 大于 1 仅用于 PostgreSQL；"
                   "单进程内的并发登记已由成组提交合并为一次落盘。", err=True)
        raise typer.Exit(2)
    if migrate_first:
        migrate.upgrade(db)
    typer.echo(f"minhu 已启动：http://{host}:{port}/  （数据库：{db.dialect}，{workers} 个进程）")
    if settings.in_process_worker:
        typer.echo("后台任务（通知发送等）在本进程内运行；另有 minhu worker 时可设 MINHU_IN_PROCESS_WORKER=false")
    if workers > 1:
        db.dispose()
        # Each process builds its own app, connections and worker from the environment (server_app); the
        # worker's exclusive jobs take turns through their database leases.
        uvicorn.run("minhu.cli:server_app", factory=True, workers=workers, host=host, port=port, log_level="info",
                    proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=_trusted(settings))
        return
    uvicorn.run(server_app(settings, db), host=host, port=port, log_level="info",
                proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=_trusted(settings))


def _trusted(settings: Settings) -> str | None:
    """X-Forwarded-For is read only from the proxies we were told to trust (``MINHU_TRUSTED_PROXIES``): every
    per-client limit counts that address, and nobody else may forge it."""
    return settings.trusted_proxies or None


def server_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """The application one server process runs, with its in-process worker unless disabled. The worker shares
    the server's Database, so on SQLite the process keeps one writer; the app starts and stops it with the
    server."""
    if settings is None or db is None:  # a process of ``serve --workers N``: nothing configured it yet
        _log_to_stderr()
        _configure()
        settings, db = open_deployment()
    worker = worker_process.make_worker(settings, db) if settings.in_process_worker else None
    return create_app(settings, db=db, background=worker)


@app.command()
def worker() -> None:
    """Run the periodic jobs (notification delivery, sweeps) in the foreground until SIGTERM or Ctrl-C."""
    _log_to_stderr()
    settings, db = open_deployment()
    try:
        worker_process.run_foreground(settings, db, say=typer.echo)
    finally:
        db.dispose()


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    with deployment_database() as db:
        migrate.upgrade(db, revision)
        typer.echo(f"数据库已迁移到 {migrate.current(db)}")


@app.command("backup")
def backup_command(output: Path | None = typer.Option(None, "--output", "-o",
                                                      help="备份文件；默认 MINHU_HOME/backups/minhu-日期-时间.tar.gz"),
                   keep: int | None = typer.Option(None, "--keep", min=1,
                                                   help="只保留同一目录中最新的 N 份备份，删除更早的")) -> None:
    """Back up every row, the attachments, the models and the secret key into one file, while the server runs."""
    settings, db = open_deployment()
    try:
        target = output or settings.home / "backups" / backup_module.default_name()
        summary = backup_module.backup(db, settings, target)
    except DomainError as exc:
        raise _refused("无法备份", exc) from None
    finally:
        db.dispose()
    typer.echo(f"已备份到 {summary.path}：{sum(summary.rows.values())} 行（{len(summary.rows)} 张表），"
               f"{summary.files} 个文件，数据库版本 {summary.revision}")
    if keep is not None:
        for old in backup_module.prune(summary.path.parent, keep, never=summary.path):
            typer.echo(f"已删除较早的备份 {old.name}")


@app.command("restore")
def restore_command(source: Path = typer.Argument(..., exists=True, dir_okay=False, help="minhu backup 写出的文件")
                    ) -> None:
    """Restore a backup into this installation's empty database (created by minhu db upgrade) and home."""
    settings, db = open_deployment()
    try:
        summary = backup_module.restore(db, settings, source)
    except DomainError as exc:
        raise _refused("无法恢复", exc) from None
    finally:
        db.dispose()
    typer.echo(f"已从 {source} 恢复 {sum(summary.rows.values())} 行、{summary.files} 个文件，"
               f"数据库版本 {summary.revision}")


DATA_OPTION = typer.Option(training.DEFAULT_DATA, "--data", help="标注留言 CSV；不存在时用演示目录生成的样例")


@demo_app.command("load")
def demo_load(if_empty: bool = typer.Option(False, "--if-empty", help="已有数据时跳过"), data: Path = DATA_OPTION,
              train: bool = typer.Option(True, "--train/--no-train",
                                         help="载入前先训练分类模型（已有模型时跳过）")) -> None:
    """Load the demo city (武昌区), its people (one account per role) and sample orders. The classifier is
    trained first when there is none, so the demo's orders are routed by it."""
    try:
        with deployment_database() as db:
            migrate.upgrade(db)
            if if_empty and city.has_data(db):
                typer.echo("已有数据，跳过演示数据")
                return
            if train:
                _train_demo_classifier(data, force=False)
            loaded = city.load(db, if_empty=if_empty)
    except DomainError as exc:
        raise _refused("无法载入演示数据", exc, "（已有数据时可加 --if-empty 跳过）") from None
    typer.echo("演示数据已载入：账号 operator / dispatcher / street / handler / gridworker / leader / reviewer / admin"
               "（及 shequ、chengguan、shijian、hezhang、wuye、yeweihui 等），密码 minhu-demo"
               if loaded else "已有数据，跳过演示数据")


@demo_app.command("train")
def demo_train(data: Path = DATA_OPTION,
               force: bool = typer.Option(False, "--force", help="已有模型也重新训练")) -> None:
    """Give the demo a classifier: from the labelled messages when the file is there, else from examples
    written out of the catalog's keywords (a weak model, but every step of routing can be seen)."""
    _train_demo_classifier(data, force=force)


def _train_demo_classifier(data: Path, *, force: bool) -> None:
    trained = training.ensure_classifier(Settings().models_dir, data, force=force, say=typer.echo)
    typer.echo(f"分类模型 {trained.version} 已启用" if trained.trained_now
               else "已有分类模型，跳过训练（minhu demo train --force 可重新训练）")


def _one_of(choices: type[StrEnum], word: str) -> Callable[[str], str]:
    """An option callback: checked while the options are parsed, so a wrong value fails before any prompt."""
    def check(value: str) -> str:
        if value not in {c.value for c in choices}:
            raise typer.BadParameter(f"未知{word} {value}（可选：{'、'.join(c.value for c in choices)}）")
        return value
    return check


def _refused(what: str, exc: DomainError, hint: str = "") -> typer.Exit:
    typer.echo(f"{what}：{exc.message}{hint}", err=True)
    return typer.Exit(code=1)


def _unit_by_code(session: Session, code: str, option: str) -> Unit:
    found = org_queries.find_unit_by_code(session, code)
    if found is None:
        raise typer.BadParameter(f"单位编码 {code} 不存在", param_hint=option)
    return found


@users_app.command("add")
def users_add(username: str,
              role: str = typer.Option(..., help="operator|dispatcher|handler|gridworker|leader|reviewer|admin",
                                        callback=_one_of(Role, "角色")),
              unit: str = typer.Option(..., help="所属单位编码"),
              name: str = typer.Option(..., help="姓名"),
              password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)) -> None:
    """Add a user to a unit."""
    try:
        with deployment_database() as db, db.transaction() as session:
            org_service.create_user(session, username=username, password=password, full_name=name, role=Role(role),
                                    unit=_unit_by_code(session, unit, "--unit"))
    except DomainError as exc:
        raise _refused("无法添加用户", exc) from None
    typer.echo(f"已添加用户 {username}")


def _user_by_name(session: Session, username: str) -> User:
    found = org_queries.find_user_by_username(session, username)
    if found is None:
        raise typer.BadParameter(f"用户 {username} 不存在", param_hint="USERNAME")
    return found


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable an account: it can no longer sign in, and its sessions and API tokens end at once."""
    with deployment_database() as db, db.transaction() as session:
        org_access.set_active(session, _user_by_name(session, username), False)
    typer.echo(f"已停用用户 {username}，其登录和 API 令牌已全部失效")


@users_app.command("unlock")
def users_unlock(username: str) -> None:
    """Lift the lock that wrong passwords put on an account (a password reset lifts it too)."""
    with deployment_database() as db, db.transaction() as session:
        org_access.unlock(session, _user_by_name(session, username))
    typer.echo(f"已解除用户 {username} 的登录锁定")


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Enable a disabled account again (it signs in anew)."""
    with deployment_database() as db, db.transaction() as session:
        org_access.set_active(session, _user_by_name(session, username), True)
    typer.echo(f"已启用用户 {username}")


@users_app.command("password")
def users_password(username: str, password: str = typer.Option(..., prompt="新密码", hide_input=True,
                                                             confirmation_prompt=True)) -> None:
    """Reset a person's password; their sessions and API tokens end at once."""
    try:
        with deployment_database() as db, db.transaction() as session:
            org_access.set_password(session, _user_by_name(session, username), password)
    except DomainError as exc:
        raise _refused("无法重设密码", exc) from None
    typer.echo(f"已重设用户 {username} 的密码，其登录和 API 令牌已全部失效")


@units_app.command("add")
def units_add(code: str,
              name: str = typer.Option(..., help="单位名称"),
              kind: str = typer.Option(..., help="|".join(k.value for k in UnitKind),
                                       callback=_one_of(UnitKind, "单位类型")),
              parent: str | None = typer.Option(None, help="上级单位编码（顶级单位不填）"),
              prefix: str | None = typer.Option(None, help="工单编号前缀（顶级单位，如 WC）")) -> None:
    """Add a unit: the command centre and the district first, then streets, departments and below."""
    try:
        with deployment_database() as db, db.transaction() as session:
            above = _unit_by_code(session, parent, "--parent") if parent is not None else None
            org_service.create_unit(session, code=code, name=name, kind=UnitKind(kind), parent=above,
                                    number_prefix=prefix)
    except DomainError as exc:
        raise _refused("无法添加单位", exc) from None
    typer.echo(f"已添加{UNIT_KIND_LABELS[UnitKind(kind)]} {code} {name}")


@units_app.command("list")
def units_list() -> None:
    """Print the unit tree, one unit per line, indented by depth."""
    with deployment_database() as db, db.read() as session:
        for unit in org_queries.list_units(session):
            depth = unit.path.count("/") - 2
            typer.echo(f"{'  ' * depth}{unit.code}\t{unit.name}\t{UNIT_KIND_LABELS[unit.kind]}")


def main() -> None:
    app()
