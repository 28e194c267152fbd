"""Articles read from the files they are kept in: Word (.docx) and Markdown (.md).

A Markdown file may begin with a front matter block of ``key: value`` lines between ``---`` lines (kind,
source, issuing_body, document_number, effective_from, expires_on, categories); its first ``#`` heading is the
title. A Word file's title is its first heading (or first paragraph); its other paragraphs, and its tables'
rows (cells joined by " | "), are the body. What the file does not say, the importer's form or command gives.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from minhu.core.errors import InvalidInput
from minhu.core.text import control_problem, decode_text_file

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
FRONT_MATTER_KEYS = {"kind", "source", "issuing_body", "document_number", "effective_from", "expires_on",
                     "categories", "title"}


@dataclass
class ReadArticle:
    """What one file says: its title, body and the fields its front matter names."""

    filename: str
    title: str
    body: str
    fields: dict[str, Any] = field(default_factory=dict)


def _refuse(filename: str, message: str) -> InvalidInput:
    return InvalidInput(f"{filename}：{message}", details=[{"field": "file", "message": message,
                                                             "file": filename}], code="import_invalid")


def read_file(filename: str, raw: bytes) -> ReadArticle:
    """The article ``raw`` holds, by the file's extension; a clear error naming the file when it is not what its
    name says, is empty, or is too large."""
    name = PurePath(filename).name or "文件"
    if len(raw) > MAX_FILE_BYTES:
        raise _refuse(name, "文件超过 10 MB")
    suffix = PurePath(name).suffix.lower()
    if suffix == ".docx":
        article = _read_docx(name, raw)
    elif suffix in (".md", ".markdown", ".txt"):
        article = _read_markdown(name, raw)
    else:
        raise _refuse(name, "只能导入 Word（.docx）或 Markdown（.md）文件")
    problem = control_problem(article.title + article.body)
    if problem:
        raise _refuse(name, problem)
    if not article.title.strip():
        raise _refuse(name, "没有找到标题")
    if not article.body.strip():
        raise _refuse(name, "正文为空")
    return article


def _read_docx(name: str, raw: bytes) -> ReadArticle:
    import docx  # python-docx: loaded only when a Word file is imported
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            unpacked = sum(member.file_size for member in package.infolist())
    except zipfile.BadZipFile as exc:
        raise _refuse(name, "不是有效的 Word（.docx）文件") from exc
    if unpacked > MAX_UNPACKED_BYTES:  # a small file that unpacks to gigabytes
        raise _refuse(name, "文件解压后超过 50 MB")
    try:
        document = docx.Document(io.BytesIO(raw))
    except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise _refuse(name, "不是有效的 Word（.docx）文件") from exc
    title = ""
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if not title and (style.startswith(("Heading", "Title")) or not lines):
            title = text
            continue
        lines.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            if any(cells):
                lines.append(" | ".join(cells))
    return ReadArticle(name, title[:200], "\n".join(lines))


def _read_markdown(name: str, raw: bytes) -> ReadArticle:
    text = decode_text_file(raw, source=name)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields: dict[str, Any] = {}
    if lines and lines[0].strip() == "---":
        try:
            end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        except StopIteration:
            raise _refuse(name, "开头的 --- 信息块没有结束的 ---") from None
        for number, line in enumerate(lines[1:end], start=2):
            if not line.strip():
                continue
            key, sep, value = line.partition(":")
            key = key.strip().lower()
            if not sep or key not in FRONT_MATTER_KEYS:
                raise _refuse(name, f"第 {number} 行：无法识别的信息「{line.strip()[:40]}」")
            fields[key] = value.strip()
        lines = lines[end + 1:]
    title = fields.pop("title", "")
    body: list[str] = []
    for line in lines:
        if not title and line.startswith("# "):
            title = line[2:].strip()
            continue
        body.append(line)
    if not title:
        first = next((line.strip() for line in body if line.strip()), "")
        title = first.lstrip("#").strip()
        if first:
            body.remove(next(line for line in body if line.strip() == first))
    return ReadArticle(name, title[:200], "\n".join(body).strip(), fields)
