"""One-shot messages shown on the next page (kept in the signed session cookie)."""

from __future__ import annotations

from fastapi import Request

_KEY = "flash"


def flash(request: Request, message: str, kind: str = "ok") -> None:
    messages = request.session.get(_KEY) or []
    messages.append([kind, message])
    request.session[_KEY] = messages[-5:]


def pop_flashes(request: Request) -> list[list[str]]:
    messages: list[list[str]] = request.session.pop(_KEY, None) or []
    return messages
