"""Photos a resident adds to a report before sending it (随手拍), held apart until the report is sent.

Each photo is uploaded on its own as soon as it is chosen: the phone sends one file at a time (no request of 9
photos to fail at the last one), the resident sees it as we keep it, and its GPS position is offered as the
place of the problem before the report is sent. A held photo is a JPEG under ``<attachments>/staged`` named by a
random token that only the uploading browser's session knows; the report takes the session's tokens, and its
photos become the order's attachments in the transaction that registers it. Photos never sent with a report
are removed after ``HELD_FOR``.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from minhu.core import clock, photos
from minhu.core.files import StoredFile

MAX_PHOTOS = 9
HELD_FOR_SECONDS = 24 * 3600
STAGED = "staged"
# A token starts with the time it was held (hex seconds): what is held too long is found by its name, by the
# application's clock, not by the file's time on disk (which the clock of a test or a moved clock does not move).
_TOKEN = re.compile(r"([0-9a-f]{8,12})-[A-Za-z0-9_-]{22}")


@dataclass(frozen=True)
class Held:
    """A photo held for a report: its token, its size on the page, and where it was taken (if known)."""

    token: str
    width: int
    height: int
    latitude: float | None
    longitude: float | None


def _dir(root: Path) -> Path:
    return root / STAGED


def path_of(root: Path, token: str) -> Path | None:
    """The held photo's file, or None for a token of the wrong form or a photo no longer held."""
    if not _TOKEN.fullmatch(token):
        return None
    path = _dir(root) / f"{token}.jpg"
    return path if path.is_file() else None


def hold(root: Path, raw: bytes) -> Held:
    """Read, re-encode and hold a photo. Raises InvalidInput when it is no photo we can read."""
    photo = photos.prepare(raw)
    directory = _dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    _forget_old(directory)
    token = f"{int(clock.now().timestamp()):x}-{secrets.token_urlsafe(16)}"
    part = directory / f"{token}.part"
    with part.open("wb") as out:
        out.write(photo.jpeg)
        out.flush()
        os.fsync(out.fileno())
    part.rename(directory / f"{token}.jpg")
    return Held(token, photo.width, photo.height, photo.latitude, photo.longitude)


def attach(root: Path, token: str) -> StoredFile | None:
    """The held photo as an attachment's file, linked into the attachments tree (the held file stays until the
    report is registered, so a failed registration can be tried again); None when it is no longer held."""
    source = path_of(root, token)
    if source is None:
        return None
    data = source.read_bytes()
    key = f"{secrets.token_hex(2)}/{secrets.token_hex(16)}.jpg"
    target = root / key
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(source, target)
    return StoredFile(storage_key=key, content_type="image/jpeg", size=len(data),
                      sha256=hashlib.sha256(data).hexdigest())


def release(root: Path, token: str) -> None:
    """Stop holding a photo (sent with its report, or taken out by the resident)."""
    path = path_of(root, token)
    if path is not None:
        path.unlink(missing_ok=True)


def _forget_old(directory: Path) -> None:
    """Remove the photos held longer than ``HELD_FOR_SECONDS`` (never sent), and what was left half-written."""
    oldest = clock.now().timestamp() - HELD_FOR_SECONDS
    for path in directory.iterdir():
        held = _TOKEN.fullmatch(path.stem)
        if held is not None and int(held.group(1), 16) < oldest:
            path.unlink(missing_ok=True)
