"""Form bodies read as strict UTF-8 text, on every route.

Starlette reads an url-encoded body's raw bytes as Latin-1 and its percent-escapes with U+FFFD for what is
not UTF-8, and a multipart field in the charset the request declares, else Latin-1: a resident's report in
another encoding would be stored as mojibake or replacement characters, and nobody would know. Here every
text field is UTF-8 (sent raw or percent-escaped) or the request is refused — 422, the field named — and so
is a field holding a control character other than tab and line breaks (NUL among them, which PostgreSQL
cannot store), the rule ``core.text`` applies to the API's text. Uploaded files are left as they are.

Every router is made with ``route_class=FormRoute`` (a test holds every route of the app to it), so a page's
``Form(...)`` parameters and its ``await request.form()`` read the same way; Open311 reads its bodies through
the same parsers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import Request, Response
from fastapi.routing import APIRoute
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

from minhu.core.text import control_problem

NOT_UTF8_MESSAGE = "表单内容须为 UTF-8 编码"


class MalformedForm(HTTPException):
    """A form field that is not text a column can hold: 422, the field named in ``details``.

    An HTTPException, so FastAPI's reading of the body lets it through (it turns any other error into a bare
    400); ``web.errors`` renders it in the one error shape, as a page for a browser.
    """

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(422, f"{message}（字段 {field}），未保存")
        self.code = code
        self.details = [{"field": field, "message": message, "in": "form"}]


def _field_name(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedForm("not_utf8", raw.decode("utf-8", "backslashreplace"), NOT_UTF8_MESSAGE) from None


def field_text(raw: bytes, field: str) -> str:
    """A field's bytes as text. Raises MalformedForm (``not_utf8``, or ``invalid_input`` for a control
    character)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedForm("not_utf8", field, NOT_UTF8_MESSAGE) from None
    problem = control_problem(text)
    if problem is not None:
        raise MalformedForm("invalid_input", field, problem)
    return text


class StrictFormParser(FormParser):
    """``application/x-www-form-urlencoded``: names and values percent-decoded to bytes, then read as UTF-8."""

    def on_field_end(self) -> None:
        super().on_field_end()  # counts the field against max_fields; its Latin-1 reading is replaced here
        name = _field_name(unquote_to_bytes(bytes(self._field_name).replace(b"+", b" ")))
        value = field_text(unquote_to_bytes(bytes(self._field_value).replace(b"+", b" ")), name)
        self._items[-1] = (name, value)


class StrictMultiPartParser(MultiPartParser):
    """``multipart/form-data``: each text field read as UTF-8, whatever charset the request declares."""

    def on_part_end(self) -> None:
        part = self._current_part
        super().on_part_end()
        if part.file is None:
            self.items[-1] = (part.field_name, field_text(bytes(part.data), part.field_name))


class FormRequest(Request):
    """A request whose form is read by the strict parsers (what Starlette's ``Request._get_form`` does, with
    them in place of its own)."""

    async def _get_form(self, *, max_files: int | float = 1000, max_fields: int | float = 1000,
                        max_part_size: int = 1024 * 1024) -> FormData:
        if self._form is None:
            kind, _ = parse_options_header(self.headers.get("Content-Type"))
            if kind not in (b"multipart/form-data", b"application/x-www-form-urlencoded"):
                self._form = FormData()
                return self._form
            try:
                async with aclosing(self.stream()) as stream:
                    parser: FormParser | MultiPartParser
                    if kind == b"multipart/form-data":
                        parser = StrictMultiPartParser(self.headers, stream, max_files=max_files,
                                                       max_fields=max_fields, max_part_size=max_part_size)
                    else:
                        parser = StrictFormParser(self.headers, stream, max_fields=max_fields,
                                                  max_part_size=max_part_size)
                    self._form = await parser.parse()
            except MultiPartException as exc:
                raise HTTPException(status_code=400, detail=exc.message) from None
        return self._form


class FormRoute(APIRoute):
    """A route whose handler, dependencies and ``Form(...)`` parameters see a FormRequest."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(FormRequest(request.scope, request.receive))

        return strict
