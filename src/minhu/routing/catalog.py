"""The category catalog as a file: read and checked whole, loaded into the database, exported back.

Format (UTF-8 CSV): ``code,parent,name,grade,owner,limit_class,keywords`` — codes of two digits per
level (``01``, ``0103``, ``010305``), keywords joined by ``|``. A code the file no longer lists is
retired, not deleted: orders filed under it keep their meaning.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core.errors import InvalidInput
from minhu.core.text import RequiredText, decode_text_file
from minhu.routing.models import Category, Grade, LimitClass, OwnerKind

DEFAULT_CATALOG = Path(__file__).resolve().parent / "data" / "catalog.csv"
COLUMNS = ("code", "parent", "name", "grade", "owner", "limit_class", "keywords")


class CatalogRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^(\d{2}){1,3}$")
    parent: str | None = Field(default=None, pattern=r"^(\d{2}){1,2}$")
    name: RequiredText = Field(max_length=100)
    grade: Grade
    owner: OwnerKind
    limit_class: LimitClass
    keywords: list[str] = Field(default_factory=list)


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


def _problem(line: int, message: str) -> dict[str, str]:
    return {"field": f"第 {line} 行", "message": message}


def parse_catalog(raw: bytes) -> CatalogFile:
    """Check a catalog file whole. Raises InvalidInput naming every bad line."""
    text = decode_text_file(raw, source="分类目录文件")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise InvalidInput(f"分类目录表头应为 {','.join(COLUMNS)}", code="catalog_invalid")
    rows: list[CatalogRow] = []
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        try:
            parsed = CatalogRow.model_validate({
                **values, "parent": values.get("parent") or None,
                "keywords": [k.strip() for k in values.get("keywords", "").split("|") if k.strip()]})
        except ValidationError as exc:
            problems.extend(_problem(line, f"{'.'.join(map(str, e['loc']))}：{e['msg']}") for e in exc.errors())
            continue
        if parsed.code in seen:
            problems.append(_problem(line, f"编码 {parsed.code} 重复"))
        expected_parent = parsed.code[:-2] or None
        if parsed.parent != expected_parent:
            problems.append(_problem(line, f"编码 {parsed.code} 的上级应为 {expected_parent or '（无）'}"))
        elif parsed.parent is not None and parsed.parent not in seen:
            problems.append(_problem(line, f"上级 {parsed.parent} 须写在本行之前"))
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
