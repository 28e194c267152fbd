"""Attachment storage under ``home/attachments``: content type sniffed from the bytes, size-limited.

The client's declared type is never trusted; a file is kept only when its first bytes say it is
one of the kinds a hotline receives (photos, documents, recordings, short videos).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from minhu.core.errors import TooLarge, field_error

# (magic prefix at offset, offset, content type, extension)
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"%PDF-", 0, "application/pdf", "pdf"),
    (b"#!AMR", 0, "audio/amr", "amr"),
    (b"ID3", 0, "audio/mpeg", "mp3"),
    (b"\xff\xfb", 0, "audio/mpeg", "mp3"),
    (b"\xff\xf3", 0, "audio/mpeg", "mp3"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from a file's first bytes, or None for a kind we do not keep."""
    for magic, offset, content_type, ext in _SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return content_type, ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav", "wav"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4", "m4a"
        if brand in (b"heic", b"heix", b"mif1"):
            return "image/heic", "heic"
        return "video/mp4", "mp4"
    if head[:4] == b"PK\x03\x04":
        # Office Open XML files are zip archives; the first entry names usually tell which.
        if b"word/" in head:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
        if b"xl/" in head:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
        return "application/zip", "zip"
    return None


@dataclass(frozen=True)
class StoredFile:
    storage_key: str
    content_type: str
    size: int
    sha256: str

    @property
    def extension(self) -> str:
        return self.storage_key.rsplit(".", 1)[-1]


def display_name(filename: str, stored: StoredFile, *, fallback: str = "附件") -> str:
    """The name shown and offered on download: the client's name, cleaned, with the extension of
    what the bytes really are (a PNG sent as ``invoice.exe`` downloads as ``invoice.png``)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    # Control characters (NUL among them) and lone surrogates cannot be stored or sent in a header.
    base = "".join(ch for ch in base if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF).strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{(stem or fallback)[:200]}.{stored.extension}"


def remove_stored(root: Path, storage_key: str) -> None:
    """Delete a kept file whose record was never written (the transaction failed)."""
    (root / storage_key).unlink(missing_ok=True)


def store(stream: BinaryIO, root: Path, *, max_bytes: int) -> StoredFile:
    """Copy ``stream`` under ``root`` and return what was kept.

    Raises TooLarge past ``max_bytes`` and InvalidInput for a kind we do not keep; nothing is left
    on disk in either case.
    """
    head = stream.read(4096)
    kind = sniff(head)
    if kind is None:
        raise field_error("file", "不支持的文件类型（支持图片、PDF、Office 文档、录音与视频）",
                          code="unsupported_file_type")
    content_type, ext = kind
    key = f"{secrets.token_hex(2)}/{secrets.token_hex(16)}.{ext}"
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    tmp = path.with_suffix(path.suffix + ".part")
    try:
        with tmp.open("wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"文件超过 {max_bytes // (1024 * 1024)} MiB 上限",
                                   details=[{"field": "file", "message": "file too large"}])
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        tmp.rename(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StoredFile(storage_key=key, content_type=content_type, size=size, sha256=digest.hexdigest())


def open_stored(root: Path, storage_key: str) -> Path:
    path = (root / storage_key).resolve()
    if root.resolve() not in path.parents:
        raise ValueError("storage key escapes the attachment root")
    return path
