"""The GeoReport v2 endpoints under the configured base (``/open311/v2`` by default), each in XML and JSON as
its ``.xml`` / ``.json`` suffix asks. One route reads the path, so every answer — an unknown path or format
included — is the specification's, never the rest of the API's error shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from minhu.config import Settings
from minhu.core.db import Database
from minhu.core.errors import DomainError
from minhu.open311 import catalog, feed, intake, keys, mapping
from minhu.open311.feed import Filters
from minhu.open311.formats import FORMAT_NAMES, Format, document, errors
from minhu.open311.params import Open311Error, Params, bad, check_text, page, window
from minhu.web.formdata import FormRoute, MalformedForm

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# FixMyStreet asks for the updates of the last hours when it gives no dates.
UPDATES_DEFAULT_SPAN = timedelta(days=1)


def _format(path: str) -> Format:
    """The format the path's suffix asks for. Raises Open311Error 404 (answered in XML) for none or another."""
    stem, dot, suffix = path.rpartition(".")
    if not dot or not stem:
        raise Open311Error(404, "未知的地址：须以 .xml 或 .json 结尾（paths end in .xml or .json）")
    try:
        return Format(suffix.lower())
    except ValueError:
        raise Open311Error(404, "不支持的格式：请用 .xml 或 .json（only .xml and .json are supported）") from None


def _parts(path: str) -> list[str]:
    check_text(path, "地址")
    return path.rpartition(".")[0].split("/")


def _jurisdiction(settings: Settings, params: Params) -> None:
    known = settings.open311_jurisdictions
    given = params.get("jurisdiction_id")
    if given is None:
        if len(known) > 1:
            raise bad("缺少 jurisdiction_id（jurisdiction_id is required: " + ", ".join(known) + "）")
        return
    if known and given not in known:
        raise Open311Error(404, f"jurisdiction_id {given} 未知（unknown jurisdiction_id）")


def _decoded(raw: bytes, where: str) -> list[tuple[str, str]]:
    """Form-encoded pairs read as UTF-8, percent-escaped or not (``curl -d 描述=…`` sends the bytes as they are),
    where the generic parsers would read unescaped bytes as Latin-1."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad(f"{where}须为 UTF-8 编码（{where} must be UTF-8）") from None
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except UnicodeDecodeError:
        raise bad(f"{where}的百分号编码不是 UTF-8（percent-escapes must be UTF-8）") from None


async def _params(request: Request) -> Params:
    items = _decoded(request.scope.get("query_string", b""), "查询参数")
    if request.method == "POST":
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if body and kind not in FORM_TYPES:
            raise bad("请求体须为表单编码 application/x-www-form-urlencoded（the body must be form-encoded, "
                      f"not {kind or 'untyped'}）")
        if body and kind == "multipart/form-data":
            # The route's request (web.formdata.FormRequest) reads each field as strict UTF-8.
            try:
                form = await request.form()
            except MalformedForm as exc:
                said = "fields must be UTF-8" if exc.code == "not_utf8" else "fields may not hold control characters"
                raise bad(f"{exc.detail}（{said}）") from None
            except Exception as exc:  # a torn multipart body: the client's, never a 500
                raise bad(f"无法读取表单：{getattr(exc, 'detail', exc)}（the form could not be read）") from None
            items += [(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)]
            await form.close()
        elif body:
            items += _decoded(body, "请求体")
    return Params(items)


def make_router(settings: Settings) -> APIRouter:
    router = APIRouter(prefix=settings.open311_base, include_in_schema=False, route_class=FormRoute)

    @router.api_route("/{path:path}", methods=["GET", "POST"])
    async def open311(request: Request, path: str) -> Response:
        fmt = Format.XML
        try:
            fmt = _format(path)
            parts = _parts(path)
            params = await _params(request)
            _jurisdiction(settings, params)
            handler = _route(request.method, parts)
            db: Database = request.app.state.db
            return await run_in_threadpool(handler, db, settings, params, parts, fmt)
        except Open311Error as exc:
            headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
            return errors(exc.status, exc.description, fmt, headers=headers)
        except DomainError as exc:  # refused below (intake's own checks): still the specification's body
            status = {404: 404, 401: 403, 403: 403}.get(exc.status, 400)
            return errors(status, exc.message, fmt)

    return router


Handler = Callable[[Database, Settings, Params, list[str], Format], Response]


def _route(method: str, parts: list[str]) -> Handler:
    name, depth = parts[0], len(parts)
    routes: dict[tuple[str, str, int], Handler] = {
        ("GET", "discovery", 1): _discovery, ("GET", "services", 1): _services, ("GET", "services", 2): _definition,
        ("GET", "requests", 1): _requests, ("GET", "requests", 2): _one_request, ("POST", "requests", 1): _create,
        ("GET", "tokens", 2): _token, ("GET", "servicerequestupdates", 1): _updates,
        ("POST", "servicerequestupdates", 1): _post_update,
    }
    handler = routes.get((method, name, depth))
    if handler is None:
        if any(key[1:] == (name, depth) for key in routes):
            raise Open311Error(400, f"{name} 不接受 {method} 请求（{method} is not accepted here）")
        raise Open311Error(404, f"未知的地址 {'/'.join(parts)}（unknown endpoint）")
    return handler


def _discovery(db: Database, settings: Settings, params: Params, parts: list[str], fmt: Format) -> Response:
    with db.read() as session:
        changed = catalog.changeset(session)
    url = settings.base_url.rstrip("/") + settings.open311_base
    return document("discovery", None, {
        "changeset": changed, "contact": settings.open311_contact, "key_service": settings.open311_key_service,
        "endpoints": [{"specification": SPECIFICATION, "url": url, "changeset": changed, "type": "production",
                       "formats": list(FORMAT_NAMES)}]}, fmt)


def _services(db: Database, settings: Settings, params: Params, parts: list[str], fmt: Format) -> Response:
    with db.read() as session:
        items = [catalog.service_item(s) for s in catalog.services(session)]
    return document("services", "service", items, fmt)


def _definition(db: Database, settings: Settings, params: Params, parts: list[str], fmt: Format) -> Response:
    with db.read() as session:
        found = catalog.definition(session, parts[1])
    return document("service_definition", None, found, fmt)


def _filters(params: Params) -> Filters:
    statuses = params.codes("status", limit=20)
    unknown = [s for s in statuses if s.lower() not in mapping.STATUS_NAMES]
    if unknown:
        raise bad(f"status {unknown[0]} 未知：可用 open、closed（status must be open or closed）")
    return Filters(ids=params.codes("service_request_id"), service_codes=params.codes("service_code", limit=100),
                   window=window(params), statuses=[s.lower() for s in statuses], page=page(params),
                   extensions=params.flag("extensions"))


def _requests(db: Database, settings: Settings, params: Params, parts: list[str], fmt: Format) -> Response:
    filters = _filters(params)
    with db.read() as session:
        items = feed.find_requests(session, filters)
    return document("service_requests", "request", items, fmt)


def _one_request(db: Database, settings: Settings, params: Params, parts: list[str], fmt: Format) -> Response:
    extensions = params.flag("extensions")
    with db.read() as session:
        item = feed.find_request(session, parts[1], extensions=extensions)
    return document("service_requests", "request", [item], fmt)


def _create(db: Database, settings: Settings, params: Params, parts: list[str], fmt: Format) -> Response:
    client = keys.authenticate(db, params.get("api_key"))
    extensions = params.flag("extensions")  # read first: a bad flag refuses the request before it is made
    created = intake.create_request(db, client, params)
    item: dict[str, Any] = {"service_request_id": created.number, "service_notice": created.notice,
                            "account_id": created.account_id}
    if extensions:
        item["token"] = created.token
    return document("service_requests", "request", [item], fmt, status_code=201 if created.created else 200)


def _token(db: Database, settings: Settings, params: Params, parts: list[str], fmt: Format) -> Response:
    with db.read() as session:
        item = intake.token_request(session, parts[1])
    return document("service_requests", "request", [item], fmt)


def _updates(db: Database, settings: Settings, params: Params, parts: list[str], fmt: Format) -> Response:
    client = keys.authenticate(db, params.get("api_key"))
    span = window(params, default_span=UPDATES_DEFAULT_SPAN)
    with db.read() as session:
        items = feed.updates(session, client, span)
    return document("service_request_updates", "request_update", items, fmt)


def _post_update(db: Database, settings: Settings, params: Params, parts: list[str], fmt: Format) -> Response:
    client = keys.authenticate(db, params.get("api_key"))
    update_id = intake.post_update(db, client, params)
    return document("service_request_updates", "request_update", [{"update_id": update_id}], fmt)
