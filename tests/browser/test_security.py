"""The Content-Security-Policy in a real browser: Chromium refuses an inline script and says so on the console (the
message every browser test's visitors fail on), htmx runs with eval off, and the API reference at /docs works under
the policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, ConsoleMessage, expect

from tests.browser.conftest import LiveServer, Visitors

pytestmark = pytest.mark.browser


def test_the_browser_refuses_an_inline_script_and_reports_it(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        messages: list[str] = []

        def keep(message: ConsoleMessage) -> None:
            messages.append(message.text)

        page.on("console", keep)
        page.goto("/login")
        assert page.evaluate("window.htmx.config.allowEval") is False  # htmx itself never asks for eval
        page.evaluate("""() => {
            const script = document.createElement('script');
            script.textContent = 'window.injected = true;';
            document.body.appendChild(script);
            const button = document.createElement('button');
            button.setAttribute('onclick', 'window.clicked = true');
            document.body.appendChild(button);
            button.click();
        }""")
        assert page.evaluate("window.injected === undefined && window.clicked === undefined")
        refusals = [m for m in messages if "Content Security Policy" in m]
        assert len(refusals) == 2, messages
    finally:
        context.close()


def test_the_api_reference_is_drawn_by_swagger_ui_served_by_us(visitors: Visitors) -> None:
    page = visitors.open("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("minhu")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    hosts = page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
    assert set(hosts) == {page.url.split("/")[2]}, "Swagger UI and the OpenAPI document come from us"
