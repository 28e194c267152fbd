"""Backup and restore: every row of every table, the attachments, the trained models and the secret key, in one
``.tar.gz`` a new installation can be rebuilt from.

**Consistent while the city works.** All tables are read in one transaction: on PostgreSQL a read-only
REPEATABLE READ snapshot, on SQLite one read transaction (WAL gives it a snapshot). Orders registered during the
backup are either wholly in it or wholly not. Files are copied after the rows: a file is written before the row
that names it commits, so every attachment a backed-up row names is in the archive.

**Portable.** Rows are written as JSON lines per table, by column name, so a backup of SQLite restores into
PostgreSQL and back. A backup restores into an empty database at the same schema revision (``minhu db upgrade``
of the same minhu version); restore refuses a database holding any row.

Layout of the archive, in the order it is written and read (restore reads it once, start to end)::

    manifest.json            format, schema revision, database, time, the columns of every table
    tables/<name>.jsonl      one JSON array per row, parents before children
    files/attachments/...    the attachments directory
    files/models/...         the trained classifier
    files/secret.key         the generated secret key (signed cookies, tracking links, digests), when there is one
    summary.json             rows per table and the number of files: a copy cut short has none
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, LargeBinary, Numeric, Table, bindparam, func, select, text, update
from sqlalchemy.engine import Connection

from minhu import models
from minhu.config import Settings
from minhu.core import clock, migrate
from minhu.core.db import Base, Database
from minhu.core.errors import Conflict, InvalidInput
from minhu.core.types import UTCDateTime

FORMAT = "minhu-backup/1"
FILE_DIRS = ("attachments", "models")
SECRET_FILE = "secret.key"
BATCH = 1000
MANIFEST = "manifest.json"
SUMMARY = "summary.json"


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    revision: str
    rows: dict[str, int]
    files: int


def _tables() -> list[Table]:
    models.load_all()
    return list(Base.metadata.sorted_tables)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Enum):
        return value.value
    return value


def _decoder(column_type: Any) -> Any:
    kind = column_type.impl if isinstance(column_type, UTCDateTime) else column_type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, Numeric) and column_type.asdecimal:
        return Decimal
    if isinstance(kind, LargeBinary):
        return base64.b64decode
    return None


def _snapshot(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(clock.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def backup(db: Database, settings: Settings, output: Path) -> BackupSummary:
    """Write the archive to ``output`` (a temporary file renamed at the end: a failed backup leaves no half)."""
    revision = migrate.current(db)
    if revision is None:
        raise InvalidInput("数据库尚未建立（请先运行 minhu db upgrade）", code="no_schema")
    tables = _tables()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    # Readable by its owner only: it holds every citizen's name and phone, and the secret key.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    rows: dict[str, int] = {}
    manifest = {"format": FORMAT, "revision": revision, "database": db.dialect, "created_at": clock.now().isoformat(),
                "columns": {t.name: [c.name for c in t.columns] for t in tables}}
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive, \
                tempfile.TemporaryDirectory() as scratch:
            # In the order restore reads: the manifest, the tables parents first, the files, the summary last (a copy
            # cut short has no summary).
            _add_bytes(archive, MANIFEST, json.dumps(manifest, ensure_ascii=False).encode("utf-8"))
            with db.read_engine.connect() as connection, connection.begin():
                _snapshot(connection)
                for table in tables:
                    spool = Path(scratch) / f"{table.name}.jsonl"
                    count = 0
                    with spool.open("w", encoding="utf-8") as out:
                        ordered = select(table).order_by(*table.primary_key.columns)
                        # A server-side cursor: the largest tables (the trail, the outbox) are never held whole.
                        streamed = connection.execution_options(stream_results=True, yield_per=BATCH)
                        for row in streamed.execute(ordered):
                            out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                            count += 1
                    rows[table.name] = count
                    archive.add(spool, arcname=f"tables/{table.name}.jsonl")
                    spool.unlink()
            files = 0
            for directory in FILE_DIRS:
                root = settings.home / directory
                for path in sorted(root.rglob("*")) if root.is_dir() else []:
                    if path.is_file() and not path.name.endswith((".partial", ".part")):
                        archive.add(path, arcname=f"files/{directory}/{path.relative_to(root).as_posix()}")
                        files += 1
            secret = settings.home / SECRET_FILE
            if secret.is_file():
                archive.add(secret, arcname=f"files/{SECRET_FILE}")
                files += 1
            _add_bytes(archive, SUMMARY, json.dumps({"rows": rows, "files": files}).encode("utf-8"))
    except BaseException:
        partial.unlink(missing_ok=True)  # a failed backup leaves nothing that looks like one
        raise
    partial.replace(output)
    return BackupSummary(output, revision, rows, files)


def _json_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> dict[str, Any]:
    source = archive.extractfile(member)
    assert source is not None  # a regular file
    found: dict[str, Any] = json.loads(source.read())
    return found


def _rows(archive: tarfile.TarFile, member: tarfile.TarInfo) -> Iterator[list[Any]]:
    source = archive.extractfile(member)
    assert source is not None  # a regular file
    for line in io.TextIOWrapper(source, encoding="utf-8"):
        yield json.loads(line)


def _is_empty(connection: Connection, tables: list[Table]) -> bool:
    return all(connection.execute(select(func.count()).select_from(t)).scalar_one() == 0 for t in tables)


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL's serial counters continue after the restored ids (SQLite takes max(id) + 1 by itself)."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            continue
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": keys[0].name}).scalar()
        if sequence:
            connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{keys[0].name}") FROM "{table.name}"), 0)'
                                    " + 1, false)"), {"s": sequence})


def restore(db: Database, settings: Settings, source: Path) -> BackupSummary:
    """Load the archive into this installation's empty database and home, reading it once from start to end.

    Raises InvalidInput for a file that is no backup, is damaged or cut short, or is of another schema revision;
    Conflict for a database that holds rows. On any refusal nothing is written: the rows go in one transaction,
    committed only once the summary at the archive's end has been read and agrees, and the files wait in a
    staging folder until then.
    """
    try:
        archive = tarfile.open(source, "r:gz")  # noqa: SIM115 - closed by the with below, once it is known to open
    except (OSError, tarfile.TarError) as exc:
        raise InvalidInput(f"无法读取备份文件：{exc}", code="not_a_backup") from exc
    staging = settings.home / ".restore-staging"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with archive, db.write_engine.connect() as connection, connection.begin():
            manifest, rows = _load(archive, db, connection, staging)
        files = _move_into_place(staging, settings.home)
    except (tarfile.TarError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError, KeyError,
            TypeError, ValueError) as exc:
        # Nothing of the database was written: the transaction rolled back.
        raise InvalidInput(f"备份文件已损坏，未恢复任何数据：{exc}", code="damaged_backup") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BackupSummary(source, manifest["revision"], rows, files)


def _load(archive: tarfile.TarFile, db: Database, connection: Connection,
          staging: Path) -> tuple[dict[str, Any], dict[str, int]]:
    first = archive.next()
    if first is None or first.name != MANIFEST:
        raise InvalidInput("不是 minhu 备份文件：开头没有 manifest.json", code="not_a_backup")
    manifest = _json_member(archive, first)
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"不支持的备份格式：{manifest.get('format')}", code="not_a_backup")
    revision = migrate.current(db)
    if manifest["revision"] != revision:
        raise InvalidInput(f"备份的数据库版本为 {manifest['revision']}，本数据库为 {revision}：请用与备份相同版本的"
                           " minhu 建库（minhu db upgrade）并恢复，再升级", code="revision_mismatch")
    tables = {t.name: t for t in _tables()}
    if not _is_empty(connection, list(tables.values())):
        raise Conflict("目标数据库已有数据：恢复只能写入空数据库", code="database_not_empty")
    rows: dict[str, int] = {}
    summary: dict[str, Any] | None = None
    for member in archive:
        if member.name.startswith("tables/") and member.name.endswith(".jsonl"):
            name = member.name[len("tables/"):-len(".jsonl")]
            if name not in tables:
                raise InvalidInput(f"备份中的表 {name} 在本版本中不存在", code="revision_mismatch")
            rows[name] = _restore_table(connection, tables[name], manifest["columns"][name], _rows(archive, member))
        elif member.name.startswith("files/") and member.isfile():
            _stage_file(archive, member, staging)
        elif member.name == SUMMARY:
            summary = _json_member(archive, member)
    if summary is None or summary.get("rows") != rows:
        raise InvalidInput("备份文件不完整（缺少结尾的校验信息或行数不符），未恢复任何数据", code="damaged_backup")
    _reset_sequences(connection, list(tables.values()))
    return manifest, rows


def _restore_table(connection: Connection, table: Table, names: list[str], lines: Iterator[list[Any]]) -> int:
    known = {c.name: c for c in table.columns}
    missing = [n for n in names if n not in known]
    if missing:
        raise InvalidInput(f"备份中表 {table.name} 的列 {', '.join(missing)} 在本版本中不存在",
                           code="revision_mismatch")
    decoders = [_decoder(known[n].type) for n in names]
    # A row may name a later row of its own table (a unit's parent, the main order of a joined one): those
    # columns are written after every row is in.
    own = [n for n in names if any(fk.column.table is table for fk in known[n].foreign_keys)]
    key_names = [c.name for c in table.primary_key.columns]
    later: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    count = 0
    for line in lines:
        count += 1
        row = {n: (d(v) if d is not None and v is not None else v)
               for n, v, d in zip(names, line, decoders, strict=True)}
        if own and any(row[n] is not None for n in own):
            later.append({**{f"k_{k}": row[k] for k in key_names}, **{f"v_{n}": row[n] for n in own}})
            row.update(dict.fromkeys(own))
        batch.append(row)
        if len(batch) >= BATCH:
            connection.execute(table.insert(), batch)
            batch = []
    if batch:
        connection.execute(table.insert(), batch)
    if later:
        statement = (update(table).where(*(table.c[k] == bindparam(f"k_{k}") for k in key_names))
                     .values({n: bindparam(f"v_{n}") for n in own}))
        connection.execute(statement, later)
    return count


def _stage_file(archive: tarfile.TarFile, member: tarfile.TarInfo, staging: Path) -> None:
    relative = Path(member.name[len("files/"):])
    # Only what a backup writes: a crafted archive must not place a template or a database file in the home.
    allowed = relative.parts and ((relative.parts[0] in FILE_DIRS and len(relative.parts) > 1)
                                  or relative.as_posix() == SECRET_FILE)
    if relative.is_absolute() or ".." in relative.parts or not allowed:
        raise InvalidInput(f"备份文件中有不该有的路径：{member.name}", code="not_a_backup")
    target = staging / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    source = archive.extractfile(member)
    assert source is not None  # a regular file
    with target.open("wb") as out:
        shutil.copyfileobj(source, out)


def _move_into_place(staging: Path, home: Path) -> int:
    count = 0
    for path in sorted(staging.rglob("*")) if staging.is_dir() else []:
        if path.is_file():
            target = home / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
            count += 1
    return count


NAMED = re.compile(r"minhu-\d{8}-\d{6}\.tar\.gz")


def prune(directory: Path, keep: int, *, never: Path | None = None) -> list[Path]:
    """Delete all but the ``keep`` newest backups named as ``default_name`` names them (minhu-YYYYmmdd-HHMMSS)
    in ``directory``, never ``never`` (the one just written); returns those deleted. Other files are left."""
    found = sorted((p for p in directory.iterdir() if NAMED.fullmatch(p.name)), key=lambda p: p.name, reverse=True)
    doomed = [p for p in found[keep:] if never is None or p.resolve() != never.resolve()]
    for old in doomed:
        old.unlink()
    return doomed


def default_name() -> str:
    return f"minhu-{clock.now().strftime('%Y%m%d-%H%M%S')}.tar.gz"
