"""Refuse oversize bodies before they are read into memory: 413 with the JSON error body.

Uploads (multipart) may be as large as an attachment plus its form; every other body is capped
at the JSON limit. Bodies without a Content-Length are counted as they stream.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_MULTIPART_OVERHEAD = 64 * 1024


class _TooLarge(HTTPException):
    """An HTTPException, so body parsers that wrap other errors as 400 let it through as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"请求体超过 {limit} 字节上限")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        is_upload = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.max_upload_bytes + _MULTIPART_OVERHEAD if is_upload else self.max_json_bytes
        declared = headers.get("content-length")
        # A browser submitting a form gets a page it can read, with the way back; clients get JSON.
        wants_page = not scope["path"].startswith("/api/") and "text/html" in headers.get("accept", "")
        refuse = _refuse_page if wants_page else _refuse
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await refuse(send, limit)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except _TooLarge:
            if not started:
                await refuse(send, limit)


async def _refuse_page(send: Send, limit: int) -> None:
    megabytes = limit / (1024 * 1024)
    raw = ("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>文件过大</title>"
           "<link rel=\"stylesheet\" href=\"/static/css/minhu.css\"><main class=\"page\"><section class=\"card\">"
           f"<h1>文件过大</h1><p>提交的内容超过 {megabytes:.0f} MiB 上限，未被保存。请压缩图片或拆分文件后重试。</p>"
           "<p><a href=\"/\" data-back>返回上一页</a></p></section></main>"
           "<script src=\"/static/js/minhu.js\"></script></html>").encode()
    await _send(send, 413, b"text/html; charset=utf-8", raw)


async def _send(send: Send, status: int, content_type: bytes, raw: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(raw)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": raw})


async def _refuse(send: Send, limit: int) -> None:
    body: dict[str, Any] = {"error": {"code": "too_large", "message": f"请求体超过 {limit} 字节上限",
                                      "details": [{"field": "body", "message": f"limit {limit} bytes"}]}}
    await _send(send, 413, b"application/json", json.dumps(body, ensure_ascii=False).encode("utf-8"))
