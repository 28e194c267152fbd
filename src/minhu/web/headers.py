"""Security headers on every response: pages, JSON, files, errors and redirects alike.

A pure ASGI middleware (no ``BaseHTTPMiddleware``: it would buffer streamed downloads and run the app in another
task) that adds its headers to the ``http.response.start`` message. A header a route has already set wins, so a
page may ask for more (the rating page's ``Referrer-Policy: no-referrer``).

The Content-Security-Policy allows scripts from our own origin only: no inline ``<script>``, no ``on…=``
attributes, no ``javascript:`` links, no ``eval`` (htmx runs with ``allowEval`` off). Pages hand data to scripts in
``data-`` attributes or in a ``<script type="application/json">`` block, which is data and never executed.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    # Leaflet, ECharts, htmx and Swagger UI position and size their elements with inline styles.
    "style-src 'self' 'unsafe-inline'",
    # data: for the icons inside Leaflet's and Swagger UI's style sheets; blob: for a photo's preview.
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

# same-origin rather than strict-origin-when-cross-origin: a link from the console to another site must not tell
# that site even the address of the city's (often internal) deployment; our own pages get the full referrer.
REFERRER_POLICY = "same-origin"

# The resident's report page asks for the device's position (geolocation, our origin only); nothing else is used.
PERMISSIONS_POLICY = ", ".join((
    "geolocation=(self)", "camera=()", "microphone=()", "payment=()", "usb=()", "display-capture=()",
    "accelerometer=()", "gyroscope=()", "magnetometer=()",
))

# A year, without includeSubDomains or preload: other hosts of a city's domain may not serve HTTPS yet.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def security_headers(*, https: bool) -> dict[str, str]:
    """The headers every response carries; Strict-Transport-Security only when the site is served over HTTPS."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": REFERRER_POLICY,
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    if https:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return headers


class SecurityHeadersMiddleware:
    """Adds ``headers`` to every HTTP response that does not already carry them."""

    def __init__(self, app: ASGIApp, *, headers: Mapping[str, str]) -> None:
        self.app = app
        self.headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
