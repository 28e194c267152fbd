"""The people on duty (posts) as CSV: grid chiefs and grid workers on their grids, area, lake and road
chiefs on their zones, each with start and end dates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import Field, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from minhu.core.db import Database
from minhu.core.schemas import InputModel
from minhu.core.text import RequiredText, StorableText
from minhu.geo.checks import Problem
from minhu.geo.models import (
    POST_FOR_ZONE,
    Post,
    PostKind,
    Zone,
)
from minhu.geo.transfer.mapfile import MapImportError, pydantic_problems, read_csv
from minhu.org.models import Unit, User
from minhu.org.roles import UnitKind

POST_COLUMNS = ("post", "person", "phone", "username", "unit", "zone", "starts_on", "ends_on")


class PostRow(InputModel):
    post: PostKind
    person: RequiredText = Field(max_length=100)
    phone: StorableText | None = Field(default=None, max_length=32)
    username: StorableText | None = Field(default=None, max_length=64)
    unit: StorableText | None = Field(default=None, max_length=32)
    zone: StorableText | None = Field(default=None, max_length=64)
    starts_on: date
    ends_on: date | None = None



def parse_posts(text: str) -> list[tuple[int, PostRow]]:
    header, rows, problems = read_csv(text)
    missing = [c for c in ("post", "person", "starts_on") if c not in header]
    if missing:
        raise MapImportError([Problem("表头", f"缺少列 {'、'.join(missing)}（应有 {','.join(POST_COLUMNS)}）")])
    if problems:
        raise MapImportError(problems)
    return parse_post_rows(rows)


def parse_post_rows(rows: Iterable[tuple[int, Mapping[str, Any]]]) -> list[tuple[int, PostRow]]:
    """Validate the people rows (line number, column → text); raises MapImportError naming every bad row."""
    parsed: list[tuple[int, PostRow]] = []
    problems: list[Problem] = []
    for line, row in rows:
        values = {k: (v.strip() or None) for k, v in row.items() if k in POST_COLUMNS and isinstance(v, str)}
        try:
            parsed.append((line, PostRow.model_validate(values)))
        except ValidationError as exc:
            problems.extend(pydantic_problems(f"第 {line} 行", exc))
    if problems:
        raise MapImportError(problems)
    return parsed


def import_posts(db: Database, rows: Sequence[tuple[int, PostRow]], *, replace: bool = False) -> int:
    """Write the people on duty in one transaction (or nothing); returns how many posts were added or changed."""
    with db.transaction() as session:
        return write_posts(session, rows, replace=replace)


def write_posts(session: Session, rows: Sequence[tuple[int, PostRow]], *, replace: bool = False) -> int:
    """Write the people on duty in the caller's transaction; an exact repeat of a post is not added twice.

    With ``replace`` the posts the file does not list are removed first (the file is the whole roster).
    Raises MapImportError, before writing anything, when a row names an unknown grid, zone or account.
    """
    units = {u.code: u for u in session.scalars(select(Unit))}
    zones = {z.code: z for z in session.scalars(select(Zone))}
    users = {u.username: u for u in session.scalars(select(User))}
    problems: list[Problem] = []
    for line, row in rows:
        problems.extend(_post_problems(f"第 {line} 行", row, units, zones, users))
    if problems:
        raise MapImportError(problems)
    if replace:
        session.execute(delete(Post))
    existing = {_post_key(p.kind, p.person, p.unit_id, p.zone_id, p.starts_on): p
                for p in session.scalars(select(Post))}
    written = 0
    for _, row in rows:
        unit = units.get(row.unit) if row.unit else None
        zone = zones.get(row.zone) if row.zone else None
        user = users.get(row.username) if row.username else None
        key = _post_key(row.post, row.person, unit.id if unit else None, zone.id if zone else None, row.starts_on)
        post = existing.get(key)
        if post is None:
            post = Post(kind=row.post, person=row.person, unit_id=unit.id if unit else None,
                        zone_id=zone.id if zone else None, starts_on=row.starts_on)
            session.add(post)
            existing[key] = post
        elif (post.ends_on, post.phone, post.user_id) == (row.ends_on, row.phone, user.id if user else None):
            continue
        # The same post listed again ends it (ends_on) or corrects the phone or the account.
        post.ends_on, post.phone, post.user_id = row.ends_on, row.phone, user.id if user else None
        written += 1
    session.flush()
    return written


def _post_key(kind: PostKind, person: str, unit_id: int | None, zone_id: int | None,
              starts_on: date) -> tuple[str, str, int | None, int | None, date]:
    return kind.value, person, unit_id, zone_id, starts_on


def _post_problems(where: str, row: PostRow, units: dict[str, Unit], zones: dict[str, Zone],
                   users: dict[str, User]) -> Iterable[Problem]:
    grid_post = row.post in (PostKind.GRID_CHIEF, PostKind.GRID_WORKER)
    if grid_post:
        unit = units.get(row.unit or "")
        if unit is None or unit.kind is not UnitKind.GRID:
            yield Problem(where, f"网格 {row.unit or '（空）'} 不存在")
    else:
        zone = zones.get(row.zone or "")
        if zone is None:
            yield Problem(where, f"片区/河湖/路段 {row.zone or '（空）'} 不存在")
        elif POST_FOR_ZONE[zone.kind] is not row.post:
            yield Problem(where, f"{row.zone} 不是此职务对应的责任区")
    if row.username and row.username not in users:
        yield Problem(where, f"账号 {row.username} 不存在")
    if row.ends_on is not None and row.ends_on < row.starts_on:
        yield Problem(where, "离任日期早于到任日期")


def export_posts(session: Session) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(POST_COLUMNS)
    for post in session.scalars(select(Post).order_by(Post.id)):
        writer.writerow([post.kind.value, post.person, post.phone or "", post.user.username if post.user else "",
                         post.unit.code if post.unit else "", post.zone.code if post.zone else "",
                         post.starts_on.isoformat(), post.ends_on.isoformat() if post.ends_on else ""])
    return out.getvalue()
