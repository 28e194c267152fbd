"""Download responses whose file names may be Chinese."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response


def attachment(content: bytes, media_type: str, *, filename: str, ascii_name: str) -> Response:
    """Bytes offered as a file named ``filename``. A header is Latin-1, so the name travels percent-encoded in
    ``filename*`` (RFC 6266 / 5987), which every current browser reads; ``ascii_name`` is for the others."""
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
