"""The bulletin page in a real browser: ECharts, served by us, draws the trend and the street scores on canvas,
replacing the SVG drawings, which come back for printing; its print button prints."""

from __future__ import annotations

from playwright.sync_api import expect

from minhu.core.db import Database
from tests.browser.conftest import Screenshots, Visitors
from tests.evaluation.bulletin_city import make_bulletin_city

# Counts the canvas pixels that are not transparent: an initialised but undrawn chart has none.
PAINTED = """(selector) => {
  const canvas = document.querySelector(selector);
  if (!canvas) { return 0; }
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted++; } }
  return painted;
}"""


def test_the_bulletin_page_draws_its_charts(visitors: Visitors, db: Database, screenshot: Screenshots) -> None:
    city = make_bulletin_city(db)
    page = visitors.sign_in(city.world.leader, "/bulletins/2026-10")
    expect(page.locator("h1.bulletin-title")).to_have_text("武昌区接诉即办工作月度通报（2026年10月）")
    expect(page.locator("#trend-chart canvas")).to_be_visible()
    expect(page.locator("#scores-chart canvas")).to_be_visible()
    expect(page.locator("#trend-figure .chart-fallback")).to_be_hidden()
    assert page.evaluate(PAINTED, "#trend-chart canvas") > 1000
    assert page.evaluate(PAINTED, "#scores-chart canvas") > 1000
    hosts = page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
    assert set(hosts) == {page.url.split("/")[2]}, "ECharts comes from our own static files"
    screenshot(page, "bulletin")

    # The print button opens the browser's print dialog (counted here instead).
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.printed") == 1

    page.emulate_media(media="print")
    expect(page.locator("#trend-figure .chart-fallback svg")).to_be_visible()
    expect(page.locator(".topbar")).to_be_hidden()
