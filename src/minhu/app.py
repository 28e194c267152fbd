"""The web application: middleware, every domain's routes, static assets, error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from minhu import listeners
from minhu.board import pages as board_pages
from minhu.chiefs import api as chiefs_api
from minhu.chiefs import pages as chiefs_pages
from minhu.config import Settings
from minhu.core import clock
from minhu.core.db import Database
from minhu.dashboard import pages as dashboard_pages
from minhu.deadlines import service as deadlines
from minhu.deadlines.models import LIMIT_LABELS
from minhu.deadlines.models import UNIT_LABELS as LIMIT_UNIT_LABELS
from minhu.dispatch import api as dispatch_api
from minhu.dispatch import pages as dispatch_pages
from minhu.duplicates import listeners as duplicates_listeners
from minhu.duplicates import matching as duplicates_matching
from minhu.evaluation import api as evaluation_api
from minhu.evaluation import bulletin_api, bulletin_pages, callback_pages, rating_links
from minhu.evaluation import pages as evaluation_pages
from minhu.evaluation.dissatisfied import LEDGER_STATE_LABELS
from minhu.evaluation.reply_quality import GRADE_LABELS as REPLY_GRADE_LABELS
from minhu.evaluation.schemas import RatingAnswer
from minhu.forwarding import api as forwarding_api
from minhu.forwarding import pages as forwarding_pages
from minhu.geo import api as geo_api
from minhu.geo import service as geo_service
from minhu.geo.coords import Crs
from minhu.geo.models import POST_LABELS, ZONE_KIND_LABELS
from minhu.grid import pages as grid_pages
from minhu.guard import service as guard
from minhu.insight import api as insight_api
from minhu.insight import pages as insight_pages
from minhu.intake import console as intake_console
from minhu.intake import mine_pages as intake_mine_pages
from minhu.intake import pages as intake_pages
from minhu.intake import photo_pages as intake_photo_pages
from minhu.intake import qr_pages as intake_qr_pages
from minhu.interop import pages as interop_pages
from minhu.knowledge import api as knowledge_api
from minhu.knowledge import pages as knowledge_pages
from minhu.map import api as map_api
from minhu.map import pages as map_pages
from minhu.notify import pages as notify_pages
from minhu.notify import templates as notify_templates
from minhu.notify.enums import CHANNEL_LABELS as NOTIFY_CHANNEL_LABELS
from minhu.notify.enums import DELIVERY_STATUS_LABELS
from minhu.open311 import api as open311_api
from minhu.open311 import pages as open311_pages
from minhu.orders import api as order_api
from minhu.orders import callbacks as order_callbacks
from minhu.orders import intake as order_intake
from minhu.orders import pages as order_pages
from minhu.orders.enums import (
    CALLBACK_METHOD_LABELS,
    CHANNEL_LABELS,
    GRADE_LABELS,
    ORDER_TYPE_LABELS,
    RESOLUTION_LABELS,
    RETURN_REASON_LABELS,
    RULING_LABELS,
    SATISFACTION_LABELS,
    UNREASONABLE_KIND_LABELS,
    URGENCY_LABELS,
)
from minhu.orders.lights import LIGHT_LABELS
from minhu.orders.schemas import ActionRequest, OrderCreate, SuperviseRequest, UrgeRequest
from minhu.orders.states import ACTION_LABELS, STATUS_LABELS
from minhu.org import api as org_api
from minhu.org import pages as org_pages
from minhu.org.auth import LoginRequired, csrf_token, signed_in_user
from minhu.org.roles import GRID_KIND_LABELS, ROLE_LABELS, UNIT_KIND_LABELS
from minhu.people import api as people_api
from minhu.people import pages as people_pages
from minhu.people.models import ROUND_KIND_LABELS
from minhu.routing import api as routing_api
from minhu.routing import pages as routing_pages
from minhu.routing import service as routing
from minhu.routing.models import LIMIT_CLASS_LABELS, OWNER_KIND_LABELS
from minhu.routing.schemas import CategoryCreate, CategoryUpdate, RuleWrite, ViewCreate, ViewItemWrite, ViewUpdate
from minhu.scheduling import api as scheduling_api
from minhu.scheduling import pages as scheduling_pages
from minhu.street import api as street_api
from minhu.street import pages as street_pages
from minhu.supervision import api as supervision_api
from minhu.supervision import pages as supervision_pages
from minhu.topics import api as topics_api
from minhu.topics import pages as topics_pages
from minhu.warning import api as warning_api
from minhu.warning import pages as warning_pages
from minhu.web import errors as web_errors
from minhu.web.formdata import FormRoute
from minhu.web.forms import max_lengths
from minhu.web.headers import SecurityHeadersMiddleware, security_headers
from minhu.web.limits import BodyLimitMiddleware
from minhu.web.render import STATIC_DIR, make_templates, render

API_DESCRIPTION = """minhu（民呼）接诉即办平台的 REST API。

认证：`POST /api/v1/auth/token` 以用户名和密码换取 Bearer 令牌。
错误：一律为 `{"error": {"code", "message", "details"}}`；422 的 details 指明出错字段。
坐标：WGS-84（GPS）经纬度。
"""


def template_globals() -> dict[str, object]:
    """The zh-CN labels every template may use; enums are stored by value, shown by label."""
    return {
        "STATUS_LABELS": STATUS_LABELS, "ACTION_LABELS": ACTION_LABELS, "CHANNEL_LABELS": CHANNEL_LABELS,
        "ORDER_TYPE_LABELS": ORDER_TYPE_LABELS, "URGENCY_LABELS": URGENCY_LABELS,
        "ROLE_LABELS": ROLE_LABELS, "UNIT_KIND_LABELS": UNIT_KIND_LABELS, "GRADE_LABELS": GRADE_LABELS,
        "RETURN_REASON_LABELS": RETURN_REASON_LABELS,
        "RESOLUTION_LABELS": RESOLUTION_LABELS, "SATISFACTION_LABELS": SATISFACTION_LABELS,
        "RULING_LABELS": RULING_LABELS, "UNREASONABLE_KIND_LABELS": UNREASONABLE_KIND_LABELS,
        "CALLBACK_METHOD_LABELS": CALLBACK_METHOD_LABELS, "LIGHT_LABELS": {k.value: v for k, v in LIGHT_LABELS.items()},
        "LIMIT_LABELS": {k.value: v for k, v in LIMIT_LABELS.items()},
        "REPLY_GRADE_LABELS": {k.value: v for k, v in REPLY_GRADE_LABELS.items()},
        "type_options": lambda labels: [(key.value, text) for key, text in labels.items()],
        "channel_options": lambda channels, labels: [(c.value, labels[c]) for c in channels],
        # Text inputs carry the API's own limits as maxlength (MAX_LENGTHS.OrderCreate.title).
        "MAX_LENGTHS": max_lengths(OrderCreate, ActionRequest, UrgeRequest, SuperviseRequest, RatingAnswer,
                                   CategoryCreate, CategoryUpdate, RuleWrite, ViewCreate, ViewUpdate, ViewItemWrite),
    }


def choice_labels() -> list[Mapping[Any, str]]:
    """The label tables of every choice an API or form field offers: a refused choice lists them in zh-CN."""
    return [STATUS_LABELS, ACTION_LABELS, CHANNEL_LABELS, ORDER_TYPE_LABELS, URGENCY_LABELS, ROLE_LABELS,
            UNIT_KIND_LABELS, GRID_KIND_LABELS, GRADE_LABELS, RETURN_REASON_LABELS, RESOLUTION_LABELS,
            SATISFACTION_LABELS, RULING_LABELS, UNREASONABLE_KIND_LABELS, CALLBACK_METHOD_LABELS, LIGHT_LABELS,
            LIMIT_LABELS, LIMIT_UNIT_LABELS, NOTIFY_CHANNEL_LABELS, DELIVERY_STATUS_LABELS, OWNER_KIND_LABELS,
            LIMIT_CLASS_LABELS, ZONE_KIND_LABELS, POST_LABELS, ROUND_KIND_LABELS, LEDGER_STATE_LABELS,
            {Crs.WGS84: "WGS-84（GPS）", Crs.GCJ02: "GCJ-02（高德、腾讯、微信）"}]


class MinhuApp(FastAPI):
    """FastAPI with the security headers outermost: outside Starlette's ServerErrorMiddleware, which answers an
    unexpected error itself, past every middleware added with ``add_middleware``; so a 500 carries them too."""

    security_headers: Mapping[str, str] = {}

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack(), headers=self.security_headers)


class Background(Protocol):
    """Work that lives as long as the server, such as the in-process worker (started by ``minhu serve``)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def create_app(settings: Settings | None = None, *, db: Database | None = None,
               background: Background | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.ensure_home()
    clock.set_city_timezone(settings.tz)
    routing.configure(models_dir=settings.models_dir, auto_dispatch_confidence=settings.auto_dispatch_confidence)
    deadlines.configure(work_hours=settings.work_windows)
    notify_templates.configure(site_url=settings.base_url)
    order_callbacks.configure(max_attempts=settings.callback_max_attempts,
                              retry_minutes=settings.callback_retry_minutes)
    rating_links.configure(days=settings.rating_link_days)
    duplicates_listeners.configure(auto_join=settings.duplicates_auto_join)
    guard.configure(secret=settings.effective_secret_key())
    listeners.install()
    database = db or settings.open_database()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Not on the first citizen's request: the duplicate check's dictionary and forest, the classifier, the map.
        await run_in_threadpool(duplicates_matching.warm_up)
        await run_in_threadpool(routing.warm_up)
        await run_in_threadpool(geo_service.warm_up, database)
        await run_in_threadpool(order_intake.warm_up, database)
        if background is not None:
            background.start()
        try:
            yield
        finally:
            # Stopped before the server exits, so jobs running finish and leases are released.
            if background is not None:
                await run_in_threadpool(background.stop)
            if db is None:
                database.dispose()

    app = MinhuApp(title="minhu 民呼 API", version="1", description=API_DESCRIPTION, docs_url=None,
                  redoc_url=None, lifespan=lifespan)
    app.router.route_class = FormRoute  # the app's own routes read forms as every router's do
    app.state.settings = settings
    app.security_headers = security_headers(https=settings.served_over_https)
    app.state.db = database
    app.state.templates = make_templates(settings.home / "templates", template_globals())
    web_errors.register_choice_labels(*choice_labels())
    app.add_middleware(SessionMiddleware, secret_key=settings.effective_secret_key(), session_cookie="minhu_session",
                       same_site="lax", https_only=settings.secure_cookies, max_age=12 * 3600)
    app.add_middleware(BodyLimitMiddleware, max_json_bytes=settings.max_json_bytes,
                       max_upload_bytes=settings.max_upload_bytes)

    def html_error(request: Request, status: int, message: str) -> Response:
        if status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        # Signed-in people keep their top bar on an error page, so they can find their way back; not when the
        # error is that the database is gone (finding them would fail again).
        user = None
        if status != 503:
            try:
                user = signed_in_user(request, database)
            except DBAPIError:
                user = None
        return render(request, "error.html", status_code=status, status=status, message=message, user=user,
                      csrf=csrf_token(request) if user else None)

    web_errors.install(app, render_html_error=html_error)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(exc.as_body(), status_code=401)
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # intake before orders: /orders/new must win over /orders/{number}.
    for router in (org_api.router, order_api.router, geo_api.router, map_api.router, supervision_api.router,
                   routing_api.router, org_pages.router, intake_pages.router, order_pages.router, map_pages.router,
                   supervision_pages.router, routing_pages.router, dispatch_api.router, dispatch_pages.router,
                   notify_pages.router, interop_pages.router, evaluation_api.router, callback_pages.router,
                   evaluation_pages.router, bulletin_api.router, bulletin_pages.router, people_api.router,
                   people_pages.router, forwarding_api.router, forwarding_pages.router, intake_photo_pages.router,
                   intake_mine_pages.router, intake_console.router, knowledge_api.router, knowledge_pages.router,
                   topics_api.router, topics_pages.router, dashboard_pages.router, dashboard_pages.api,
                   warning_api.router, warning_pages.router, chiefs_api.router, chiefs_pages.router,
                   street_api.router, street_pages.router, grid_pages.router,
                   scheduling_api.router, scheduling_pages.router,
                   intake_qr_pages.router, board_pages.router, open311_pages.router,
                   insight_api.router, insight_pages.router, open311_api.make_router(settings)):
        app.include_router(router)

    @app.get("/healthz", tags=["运维"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers and the database accepts a query."""
        database.ping()
        return {"status": "ok", "database": database.dialect}

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        # Our own page rather than FastAPI's, whose inline script the Content-Security-Policy refuses.
        return render(request, "api_docs.html", openapi_url=app.openapi_url)

    return app
