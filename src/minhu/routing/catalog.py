"""The category catalog as a file: read and checked whole, loaded into the database, exported back.

Format (UTF-8 CSV): ``code,parent,name,grade,owner,limit_class,keywords`` — codes of two digits per
level (``01``, ``0103``, ``010305``), keywords joined by ``|``. A code the file no longer lists is
retired, not deleted: orders filed under it keep their meaning.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core.errors import InvalidInput
from minhu.core.schemas import InputModel
from minhu.core.text import RequiredText, StorableText, decode_text_file
from minhu.routing.models import Category, Grade, LimitClass, OwnerKind
from minhu.web.errors import validation_details

DEFAULT_CATALOG = Path(__file__).resolve().parent / "data" / "catalog.csv"
COLUMNS = ("code", "parent", "name", "grade", "owner", "limit_class", "keywords")


class CatalogRow(InputModel):
    code: str = Field(pattern=r"^(\d{2}){1,3}$")
    parent: str | None = Field(default=None, pattern=r"^(\d{2}){1,2}$")
    name: RequiredText = Field(max_length=100)
    grade: Grade
    owner: OwnerKind
    limit_class: LimitClass
    keywords: list[StorableText] = Field(default_factory=list)


@dataclass(frozen=True)
class CatalogFile:
    rows: list[CatalogRow]
    version: str


@dataclass(frozen=True)
class CatalogLoadResult:
    added: int
    updated: int
    retired: int
    version: str


def line_problem(line: int, message: str) -> dict[str, str]:
    return {"field": f"第 {line} 行", "message": message}


def csv_lines(raw: bytes, columns: tuple[str, ...], *, source: str, code: str,
              encoding: str | None = None) -> Iterator[tuple[int, dict[str, str] | None]]:
    """The data lines of a CSV file whose header is ``columns``: (line number, values stripped), or (line
    number, None) for a line with more fields than the header — a comma left unquoted, most often.

    Raises InvalidInput (code ``code``, or ``not_utf8``) for the encoding, the header, a NUL character or a
    line CSV cannot read; the caller reports the other problems of each line.
    """
    text = decode_text_file(raw, source=source, encoding=encoding)
    if "\x00" in text:
        raise InvalidInput(f"{source}含 NUL 字符，不是文本文件", code=code)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if tuple(reader.fieldnames or ()) != columns:
            message = f"{source}的表头应为 {','.join(columns)}"
            raise InvalidInput(message, code=code, details=[line_problem(1, message)])
        for row in reader:
            if None in row:
                yield reader.line_num, None
            else:
                yield reader.line_num, {k: (v or "").strip() for k, v in row.items()}
    except csv.Error as exc:
        message = f"{source}第 {reader.line_num} 行无法按 CSV 读取（{exc}）"
        raise InvalidInput(message, code=code, details=[line_problem(reader.line_num, message)]) from None


def parse_catalog(raw: bytes) -> CatalogFile:
    """Check a catalog file whole. Raises InvalidInput naming every bad line."""
    rows: list[CatalogRow] = []
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    for line, values in csv_lines(raw, COLUMNS, source="分类目录文件", code="catalog_invalid"):
        if values is None:
            problems.append(line_problem(line, f"列数多于表头的 {len(COLUMNS)} 列（含逗号的值须加引号）"))
            continue
        try:
            parsed = CatalogRow.model_validate({
                **values, "parent": values.get("parent") or None,
                "keywords": [k.strip() for k in values.get("keywords", "").split("|") if k.strip()]})
        except ValidationError as exc:
            details = validation_details(exc.errors())
            problems.extend(line_problem(line, f"{d['field']}：{d['message']}") for d in details)
            continue
        if parsed.code in seen:
            problems.append(line_problem(line, f"编码 {parsed.code} 重复"))
        expected_parent = parsed.code[:-2] or None
        if parsed.parent != expected_parent:
            problems.append(line_problem(line, f"编码 {parsed.code} 的上级应为 {expected_parent or '（无）'}"))
        elif parsed.parent is not None and parsed.parent not in seen:
            problems.append(line_problem(line, f"上级 {parsed.parent} 须写在本行之前"))
        seen.add(parsed.code)
        rows.append(parsed)
    if problems:
        raise InvalidInput(f"分类目录有 {len(problems)} 处问题，未载入任何内容", details=problems,
                           code="catalog_invalid")
    return CatalogFile(rows, hashlib.sha256(raw).hexdigest()[:12])


def read_catalog(path: Path = DEFAULT_CATALOG) -> CatalogFile:
    return parse_catalog(path.read_bytes())


def load_catalog(session: Session, catalog: CatalogFile) -> CatalogLoadResult:
    """Write the catalog in the caller's transaction: codes upserted, codes not in the file retired."""
    existing = {c.code: c for c in session.scalars(select(Category))}
    added = updated = 0
    for row in catalog.rows:
        category = existing.get(row.code)
        if category is None:
            category = Category(code=row.code)
            session.add(category)
            added += 1
        else:
            updated += 1
        category.parent_code, category.name, category.level = row.parent, row.name, len(row.code) // 2
        category.grade, category.owner_kind, category.limit_class = row.grade, row.owner, row.limit_class
        category.keywords, category.active, category.catalog_version = row.keywords, True, catalog.version
        # Parents first, so the next row's foreign key finds its parent on PostgreSQL too.
        session.flush()
    listed = {row.code for row in catalog.rows}
    retired = 0
    for code, category in existing.items():
        if code not in listed and category.active:
            category.active = False
            retired += 1
    session.flush()
    return CatalogLoadResult(added, updated, retired, catalog.version)


def export_catalog(session: Session, *, include_retired: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for category in session.scalars(select(Category).order_by(Category.code)):
        if not category.active and not include_retired:
            continue
        writer.writerow([category.code, category.parent_code or "", category.name, category.grade.value,
                         category.owner_kind.value, category.limit_class.value, "|".join(category.keywords)])
    return out.getvalue()


def active_categories(session: Session) -> dict[str, Category]:
    return {c.code: c for c in session.scalars(select(Category).where(Category.active.is_(True))
                                              .order_by(Category.code))}
