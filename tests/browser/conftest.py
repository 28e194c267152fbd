"""Browser fixtures: the app served by a real uvicorn on 127.0.0.1, and headless Debian Chromium.

The browser tests are skipped when /usr/bin/chromium is missing (``make browser-deps`` installs it), and fail
instead when the environment says it is CI (``CI=true``), so a CI run never passes without them.
Playwright lives only while the tests of this package run: its sync API marks an event loop as
running in the main thread, which would break ``asyncio.run`` in the tests that come after.

Set ``MINHU_TEST_SCREENSHOTS=/some/dir`` to keep screenshots of the pages the tests look at.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)

from minhu.org.models import User
from tests.factories import PASSWORD
from tests.preflight import missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
SERVER_START_SECONDS = 15.0
SCREENSHOT_DIR = os.environ.get("MINHU_TEST_SCREENSHOTS", "")


# A phone's screen, as the resident pages are made for.
PHONE: ViewportSize = {"width": 390, "height": 844}


def map_point(page: Page, map_id: str, lat: float, lon: float) -> tuple[float, float]:
    """Where (lat, lon) is drawn on the Leaflet map ``#map_id``, in the viewport's coordinates (to click or tap
    there): the map is scrolled into view first, as a person scrolls down to it."""
    page.locator(f"#{map_id}").scroll_into_view_if_needed()
    box = page.locator(f"#{map_id}").bounding_box()
    assert box is not None
    x, y = page.evaluate("([id, lat, lon]) => { const p = document.getElementById(id).minhuMap"
                         ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", [map_id, lat, lon])
    return box["x"] + x, box["y"] + y


@dataclass(frozen=True)
class LiveServer:
    url: str


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    """The test's app (bound to the test database) on a free port, served by uvicorn in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; the bound socket is handed to uvicorn
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the test server on port {port} did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_START_SECONDS)
        sock.close()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        missing(f"browser tests need Chromium at {CHROMIUM} (make browser-deps, or apt-get install chromium "
                "fonts-noto-cjk)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Visitors:
    """Opens pages for people: each in a fresh browser context, so each has its own session cookie.

    Server errors (5xx), uncaught JavaScript errors and anything the Content-Security-Policy refused (a script, an
    inline handler, an eval, a style sheet or an image), seen by any page, fail the test.
    """

    browser: Browser
    base_url: str
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def open(self, path: str = "/public/report", *, phone: bool = False) -> Page:
        """A resident's page (nobody signed in) at ``path``; on a 390×844 touch screen with ``phone``."""
        size = PHONE if phone else {"width": 1280, "height": 900}
        context = self.browser.new_context(base_url=self.base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                           viewport=size, is_mobile=phone, has_touch=phone)
        self.contexts.append(context)
        context.on("console", self._check_console)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.problems.append(f"JavaScript error on {page.url}: {exc}"))
        page.on("response", self._check_response)
        page.goto(path)
        return page

    def sign_in(self, user: User, path: str | None = None, *, phone: bool = False) -> Page:
        """A page of ``user`` signed in through the login form, then at ``path`` (else the order list); on a
        390×844 touch screen with ``phone``."""
        page = self.open("/login", phone=phone)
        page.get_by_label("用户名").fill(user.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.locator(".topbar .who")).to_contain_text(user.full_name)
        if path is not None:
            page.goto(path)
        return page

    def _check_response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.request.method} {response.url}")

    def _check_console(self, message: ConsoleMessage) -> None:
        # Chromium reports every refusal of the policy on the console ("Executing inline event handler violates the
        # following Content Security Policy directive 'script-src 'self''. ...", "Refused to load the script ...").
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            page = message.page.url if message.page else "?"
            self.problems.append(f"blocked by the Content-Security-Policy on {page}: {message.text}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def visitors(browser: Browser, live_server: LiveServer) -> Iterator[Visitors]:
    people = Visitors(browser=browser, base_url=live_server.url)
    try:
        yield people
    finally:
        people.close()
    assert not people.problems, "\n".join(people.problems)


class Screenshots:
    """Keeps full-page screenshots when MINHU_TEST_SCREENSHOTS names a directory; does nothing otherwise."""

    def __call__(self, page: Page, name: str) -> None:
        if SCREENSHOT_DIR:
            Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


@pytest.fixture
def screenshot() -> Screenshots:
    return Screenshots()
