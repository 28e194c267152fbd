"""Message-board files read for hot issues: the columns of the board's export (id,user,title,time,detail,likes,
dislikes), checked row by row so that a wrong file is named for what is wrong with it, and the hot issues
written back as a ranked CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from minhu.core.errors import InvalidInput
from minhu.core.text import decode_text_file
from minhu.duplicates.text import districts_in
from minhu.insight.hot import HotIssue, Report, read_report

MESSAGE_COLUMNS = ("id", "user", "title", "time", "detail", "likes")
ISSUE_COLUMNS = ("rank", "heat", "title", "place", "first", "last", "count", "citizens", "likes", "message_ids")
TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                "%Y-%m-%d")


def parse_time(value: str, *, line: int) -> datetime:
    """The board's ``2019/8/19 11:34:04`` (or ISO). Raises InvalidInput naming the line."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
        return parsed.replace(tzinfo=None)
    except ValueError:
        pass
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise InvalidInput(f"第 {line} 行：time 不是有效时间：{text or '（空）'}（应为 2019/8/19 11:34:04 或 ISO 格式）",
                       code="invalid_time")


def _likes(value: str | None, *, line: int) -> int:
    text = (value or "").strip()
    if not text:
        return 0
    try:
        likes = int(float(text))
    except ValueError:
        raise InvalidInput(f"第 {line} 行：likes 不是数字：{text}", code="invalid_likes") from None
    if likes < 0:
        raise InvalidInput(f"第 {line} 行：likes 不能为负数：{text}", code="invalid_likes")
    return likes


def _area(title: str, detail: str) -> tuple[str | None, str | None]:
    """The one district a message is about: the title's, else the text's when it names only one. The board
    anonymises districts (A5区); a message naming two gives none (it may be about either)."""
    for text in (title, detail):
        names = list(dict.fromkeys(districts_in(text)))
        if len(names) == 1:
            return names[0], names[0].upper()
        if names:
            return None, None
    return None, None


def _decode(raw: bytes, source: str) -> str:
    """The file's text; a file that is not UTF-8 is refused naming the first line that is not."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        try:
            return decode_text_file(raw, source=source)
        except InvalidInput as known:
            raise InvalidInput(f"{known.message}（第 {line} 行起无法按 UTF-8 读取）", code="not_utf8") from None


def read_messages(raw: bytes, *, source: str = "文件") -> list[Report]:
    """The reports of a board export. Raises InvalidInput (zh-CN, naming the line) for an empty file, a file
    that is not UTF-8, missing columns, a duplicate id, a bad time or a bad count of likes."""
    text = _decode(raw, source)
    if not text.strip():
        raise InvalidInput(f"{source}是空文件（应有表头 {','.join(MESSAGE_COLUMNS)} 和至少一条留言）",
                           code="empty_file")
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in MESSAGE_COLUMNS if c not in columns]
    if missing:
        raise InvalidInput(f"{source}缺少列：{'、'.join(missing)}（应有 {','.join(MESSAGE_COLUMNS)}；"
                           f"第 1 行是：{','.join(columns)[:80]}）", code="missing_columns")
    reader.fieldnames = columns
    reports: list[Report] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise InvalidInput(f"第 {line} 行：列数多于表头（是否有未加引号的逗号？）", code="malformed_row")
        message_id = (row.get("id") or "").strip()
        if not message_id:
            raise InvalidInput(f"第 {line} 行：id 为空", code="missing_id")
        if message_id in seen:
            raise InvalidInput(f"第 {line} 行：id {message_id} 与前面的留言重复", code="duplicate_id")
        seen.add(message_id)
        title, detail = (row.get("title") or "").strip(), (row.get("detail") or "").strip()
        if not title and not detail:
            raise InvalidInput(f"第 {line} 行：title 和 detail 都为空", code="empty_message")
        area, label = _area(title, detail)
        reports.append(read_report(message_id, title, detail, parse_time(row.get("time") or "", line=line),
                                   citizen=(row.get("user") or "").strip() or None,
                                   likes=_likes(row.get("likes"), line=line), area=area, area_label=label))
    if not reports:
        raise InvalidInput(f"{source}只有表头，没有留言", code="no_data")
    return reports


def issues_csv(issues: Sequence[HotIssue]) -> str:
    """The ranked issues as CSV (``ISSUE_COLUMNS``; message ids separated by spaces, earliest first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ISSUE_COLUMNS)
    for issue in issues:
        writer.writerow([issue.rank, f"{issue.heat:.1f}", issue.title, issue.place,
                         issue.first.isoformat(sep=" ", timespec="seconds"),
                         issue.last.isoformat(sep=" ", timespec="seconds"), issue.count, issue.citizens, issue.likes,
                         " ".join(issue.report_ids)])
    return out.getvalue()
