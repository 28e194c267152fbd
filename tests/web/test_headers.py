"""Security headers over HTTP: every kind of response carries them — a page, API JSON, an API error, a static file,
a 404, a redirect, an oversize body refused before the app, an unexpected 500 and Open311 discovery — and the
session cookie is Secure exactly when the site is served over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from minhu.app import create_app
from minhu.config import Settings
from minhu.core.db import Database
from tests.factories import PASSWORD, World
from tests.open311.conftest import BASE

HTTPS_SITE = "https://12345.wuchang.example.gov.cn"


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as {directive: sources}."""
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_protected(response: httpx.Response) -> None:
    headers = response.headers
    where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    assert "Content-Security-Policy" in headers, where
    policy = directives(headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"], where
    assert policy["default-src"] == ["'self'"], where
    assert policy["object-src"] == ["'none'"], where
    assert policy["base-uri"] == ["'self'"], where
    assert policy["form-action"] == ["'self'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["connect-src"] == ["'self'"], where
    assert set(policy["img-src"]) == {"'self'", "data:", "blob:"}, where
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(policy["script-src"] + policy["default-src"]), where
    assert headers["X-Frame-Options"] == "DENY", where
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["Referrer-Policy"] == "same-origin", where
    assert "geolocation=(self)" in headers["Permissions-Policy"], where
    assert "camera=()" in headers["Permissions-Policy"], where


@pytest.fixture
def raising_app(app: FastAPI) -> FastAPI:
    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("a bug")

    return app


@pytest.fixture
def https_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    settings.base_url = HTTPS_SITE
    with TestClient(create_app(settings, db=db)) as test_client:
        yield test_client


def test_every_kind_of_response_carries_the_security_headers(raising_app: FastAPI, world: World) -> None:
    html = {"Accept": "text/html"}
    with TestClient(raising_app, raise_server_exceptions=False) as client:
        responses = [
            client.get("/login", headers=html),  # a page
            client.get("/docs", headers=html),  # the API reference
            client.post("/api/v1/auth/token", json={"username": world.operator.username, "password": PASSWORD}),
            client.get("/api/v1/orders"),  # an API error: nobody signed in
            client.get("/api/v1/orders/WC0000", headers={"Authorization": "Bearer nonsense"}),
            client.get("/static/css/minhu.css"),
            client.get("/static/js/minhu.js"),
            client.get("/no-such-page", headers=html),
            client.get("/api/v1/no-such-thing"),
            client.get("/orders", follow_redirects=False),  # a redirect to the login page
            client.post("/api/v1/orders", content=b"x" * (2 * 1024 * 1024),
                        headers={"Content-Type": "application/json"}),  # refused before the app reads it
            client.get("/boom", headers=html),  # an unexpected error
            client.get("/boom"),
            client.get(f"{BASE}/discovery.json"),
            client.get(f"{BASE}/discovery.xml"),
            client.get(f"{BASE}/no-such-resource.json"),
            client.get("/healthz"),
        ]
    assert [r.status_code for r in responses] == [200, 200, 200, 401, 401, 200, 200, 404, 404, 303, 413, 500, 500,
                                                  200, 200, 404, 200]
    for response in responses:
        assert_protected(response)
        assert "Strict-Transport-Security" not in response.headers  # the site is on plain http


def test_a_header_a_route_sets_itself_is_kept(client: TestClient, world: World) -> None:
    # The answers of the rating page keep no referrer at all; the middleware does not loosen it.
    response = client.get("/r/not-a-real-link", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers.get_list("Referrer-Policy") == ["no-referrer"]
    assert_protected_but_referrer(response)


def assert_protected_but_referrer(response: httpx.Response) -> None:
    assert directives(response.headers["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_https_site_asks_browsers_to_keep_to_https(https_client: TestClient) -> None:
    for response in (https_client.get("/login"), https_client.get("/static/css/minhu.css"),
                     https_client.get("/api/v1/orders")):
        assert_protected(response)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def session_cookie(response: httpx.Response) -> str:
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("minhu_session=")]
    return cookie.lower()


def test_the_session_cookie_is_secure_when_the_site_is_https(https_client: TestClient) -> None:
    cookie = session_cookie(https_client.get("/login"))
    assert "; secure" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_the_session_cookie_is_not_secure_on_a_plain_http_site(client: TestClient) -> None:
    cookie = session_cookie(client.get("/login"))
    assert "secure" not in cookie  # a browser would drop a Secure cookie sent over http: nobody could sign in
    assert "httponly" in cookie


def test_cookie_secure_makes_the_cookie_secure_behind_a_plain_base_url(settings: Settings, db: Database) -> None:
    settings.cookie_secure = True  # TLS ends at a proxy, and base_url was left at http
    with TestClient(create_app(settings, db=db)) as client:
        assert "; secure" in session_cookie(client.get("/login"))


@pytest.mark.parametrize(("base_url", "cookie_secure", "secure"), [
    ("http://127.0.0.1:8000", False, False),
    ("https://12345.example.gov.cn", False, True),
    ("HTTPS://12345.example.gov.cn", False, True),
    ("http://127.0.0.1:8000", True, True),
])
def test_secure_cookies_follow_base_url_or_the_setting(base_url: str, cookie_secure: bool, secure: bool) -> None:
    settings = Settings(base_url=base_url, cookie_secure=cookie_secure)
    assert settings.secure_cookies is secure
    assert settings.served_over_https is base_url.lower().startswith("https://")
