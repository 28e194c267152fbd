"""Opaque cursors over a stable (created_at, id) order, newest first."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from minhu.core.errors import field_error
from minhu.core.types import MAX_ROW_ID


def encode_cursor(created_at: datetime, row_id: int) -> str:
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        at = datetime.fromisoformat(stamp)
        if at.tzinfo is None:
            raise ValueError
        if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 < row_id <= MAX_ROW_ID:
            raise ValueError
        return at.astimezone(UTC), row_id  # OverflowError for a hand-made year-1 stamp
    except (ValueError, TypeError, OverflowError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise field_error("cursor", "无效的分页游标", code="invalid_cursor") from exc
