"""minhu backup / minhu restore: every row and every file come back, into an empty database of either kind, and a
backup taken while orders are registered holds each order whole."""

import io
import json
import shutil
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner, Result

from minhu import backup, models
from minhu.cli import app as cli_app
from minhu.core import migrate
from minhu.core.db import Base, Database
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from tests.factories import World, act, make_order, order_data

models.load_all()


def every_row(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.read() as session:
        return {t.name: [tuple(r) for r in session.execute(select(t).order_by(*t.primary_key.columns))]
                for t in Base.metadata.sorted_tables}


@pytest.fixture
def emptied(db: Database, database_template: str, tmp_path: Path):
    """emptied() → an empty database at the schema's head: on SQLite a new file (the order trail refuses deletes),
    on PostgreSQL the test database truncated."""
    made: list[Database] = []

    def _empty() -> Database:
        if db.dialect == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            with db.write_engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return db
        path = tmp_path / f"restored-{len(made)}.db"
        shutil.copyfile(database_template, path)
        made.append(Database(f"sqlite:///{path}"))
        return made[-1]

    yield _empty
    for database in made:
        database.dispose()


def run_on(target: Database, home: Path, *args: str) -> Result:
    env = {"MINHU_HOME": str(home), "MINHU_DATABASE_URL": target.url, "MINHU_CONFIG": None, "TERMINAL_WIDTH": "200"}
    return CliRunner().invoke(cli_app, list(args), env=env)


def a_working_city(db: Database, world: World, home: Path) -> None:
    make_order(db, world, upto=Action.APPROVE)
    make_order(db, world, upto=Action.SIGN, title="楼道灯不亮", citizen_phone=None)
    # A joined order names a main order registered after it: its own table's later row.
    joined = make_order(db, world, title="夜间施工噪音扰民")
    main = make_order(db, world, title="夜间施工噪音扰民（首次来电）")
    act(db, joined.number, Action.MERGE, world.dispatcher, duplicate_of=main.number)
    order_service.attach_file(db, main.number, actor=world.dispatcher, filename="现场记录.pdf",
                              stream=io.BytesIO(b"%PDF-1.4\n% 23:00\n%%EOF\n"), root=home / "attachments",
                              max_bytes=1 << 20)
    (home / "models").mkdir(parents=True, exist_ok=True)
    (home / "models" / "classifier-v1.bin").write_bytes(b"\x00weights\xff")


def files_under(home: Path) -> dict[str, bytes]:
    return {p.relative_to(home).as_posix(): p.read_bytes()
            for d in ("attachments", "models") for p in sorted((home / d).rglob("*")) if p.is_file()}


def test_a_backup_restores_every_row_and_file_into_an_empty_database(run, db, world, tmp_path, emptied):
    home = tmp_path / "home"
    a_working_city(db, world, home)
    before, files = every_row(db), files_under(home)
    assert len(before["work_orders"]) == 4
    assert len(files) == 2

    made = run("backup", "--output", str(tmp_path / "city.tar.gz"))
    assert made.exit_code == 0, made.output
    assert "已备份到" in made.stdout
    assert (tmp_path / "city.tar.gz").stat().st_mode & 0o777 == 0o600  # names, phones and the secret key

    target = emptied()
    new_home = tmp_path / "new-home"
    restored = run_on(target, new_home, "restore", str(tmp_path / "city.tar.gz"))
    assert restored.exit_code == 0, restored.output
    assert every_row(target) == before
    assert files_under(new_home) == files
    # The counters go on after the restored ids: the city registers its next order as before.
    after = make_order(target, world, title="恢复后的第一件")
    assert after.id > max(row[0] for row in before["work_orders"])


def test_a_backup_of_postgresql_restores_into_sqlite(run, db, world, tmp_path):
    if db.dialect != "postgresql":
        pytest.skip("the PostgreSQL pass backs up PostgreSQL; SQLite into SQLite is the test above")
    a_working_city(db, world, tmp_path / "home")
    before = every_row(db)
    assert run("backup", "-o", str(tmp_path / "pg.tar.gz")).exit_code == 0
    target = Database(f"sqlite:///{tmp_path / 'from-pg.db'}")
    try:
        migrate.upgrade(target)
        restored = run_on(target, tmp_path / "sqlite-home", "restore", str(tmp_path / "pg.tar.gz"))
        assert restored.exit_code == 0, restored.output
        assert every_row(target) == before
    finally:
        target.dispose()


def test_restore_refuses_a_database_that_holds_rows_and_changes_nothing(run, db, world, tmp_path):
    make_order(db, world)
    assert run("backup", "-o", str(tmp_path / "b.tar.gz")).exit_code == 0
    before = every_row(db)
    refused = run("restore", str(tmp_path / "b.tar.gz"))
    assert refused.exit_code == 1
    assert "目标数据库已有数据" in refused.output
    assert every_row(db) == before


def test_a_damaged_or_foreign_file_is_refused_and_nothing_is_written(run, db, world, tmp_path, emptied):
    for n in range(3):
        make_order(db, world, title=f"损坏测试 {n}")
    assert run("backup", "-o", str(tmp_path / "b.tar.gz")).exit_code == 0
    whole = (tmp_path / "b.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "notes.tar.gz").write_text("这不是备份", encoding="utf-8")
    target = emptied()
    for name, expected in (("cut.tar.gz", "备份文件"), ("notes.tar.gz", "无法读取备份文件")):
        refused = run_on(target, tmp_path / "new-home", "restore", str(tmp_path / name))
        assert refused.exit_code == 1, refused.output
        assert expected in refused.output
        assert "Traceback" not in refused.output
    with target.read() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == 0


def test_a_backup_taken_while_orders_arrive_holds_each_order_whole(db, world, settings, tmp_path):
    stop = threading.Event()

    def register() -> None:
        n = 0
        while not stop.is_set() and n < 200:
            with db.transaction() as session:
                order_service.create_order(session, order_data(title=f"同时登记 {n}"), actor=world.operator)
            n += 1

    writer = threading.Thread(target=register)
    writer.start()
    try:
        summary = backup.backup(db, settings, tmp_path / "busy.tar.gz")
    finally:
        stop.set()
        writer.join()
    with tarfile.open(tmp_path / "busy.tar.gz") as archive:
        lines = {name: archive.extractfile(f"tables/{name}.jsonl").read().decode().splitlines()
                 for name in ("work_orders", "order_events")}
    columns = {t.name: [c.name for c in t.columns] for t in Base.metadata.sorted_tables}
    order_ids = {json.loads(line)[columns["work_orders"].index("id")] for line in lines["work_orders"]}
    created = {json.loads(line)[columns["order_events"].index("order_id")] for line in lines["order_events"]
               if json.loads(line)[columns["order_events"].index("action")] == "create"}
    assert order_ids == created
    assert summary.rows["work_orders"] == len(order_ids)


def test_an_archive_placing_files_outside_the_backups_own_folders_is_refused(run, db, world, tmp_path, emptied):
    make_order(db, world)
    assert run("backup", "-o", str(tmp_path / "b.tar.gz")).exit_code == 0
    crafted = tmp_path / "crafted.tar.gz"
    with tarfile.open(tmp_path / "b.tar.gz") as source, tarfile.open(crafted, "w:gz") as out:
        for member in source.getmembers():
            if member.name == "summary.json":
                page = b"<script>alert(1)</script>"
                info = tarfile.TarInfo("files/templates/base.html")
                info.size = len(page)
                out.addfile(info, io.BytesIO(page))
            out.addfile(member, source.extractfile(member))
    target = emptied()
    refused = run_on(target, tmp_path / "new-home", "restore", str(crafted))
    assert refused.exit_code == 1
    assert "不该有的路径" in refused.output
    assert not (tmp_path / "new-home" / "templates").exists()
    with target.read() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == 0


def test_keep_deletes_all_but_the_newest_backups(run, db, world, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    for stamp in ("20261101-020000", "20261102-020000", "20261103-020000"):
        (folder / f"minhu-{stamp}.tar.gz").write_bytes(b"old")
    (folder / "minhu-before-upgrade.tar.gz").write_bytes(b"kept by hand")
    made = run("backup", "--keep", "2", "-o", str(folder / "minhu-20261204-020000.tar.gz"))
    assert made.exit_code == 0, made.output
    assert sorted(p.name for p in folder.iterdir()) == ["minhu-20261103-020000.tar.gz",
                                                         "minhu-20261204-020000.tar.gz",
                                                         "minhu-before-upgrade.tar.gz"]
