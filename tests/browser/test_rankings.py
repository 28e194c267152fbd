"""The rankings page in a real browser: the called units' scores (吹哨报到单位考核), the weekly bottom report
(每周末位汇报) with its week picked in the form, the reward mark on a street, and the grid workers' note."""

from __future__ import annotations

from playwright.sync_api import expect

from minhu.core.db import Database
from tests.browser.conftest import Screenshots, Visitors
from tests.evaluation.scoring_city import week_41, whistled_october
from tests.factories import World


def test_the_rankings_page_shows_the_called_units_and_the_weekly_bottom_report(
        visitors: Visitors, db: Database, world: World, screenshot: Screenshots) -> None:
    whistled_october(db, world)
    week_41(db, world)
    page = visitors.sign_in(world.leader, "/rankings?period=2026-10&kind=street")
    # The tab names the page and its period, nothing of its sections.
    assert page.title().startswith("考核排名 · ")
    assert "吹哨" not in page.title()

    # 积玉桥街 is the one street with enough October orders: ranked first, within the month's top ten.
    street = page.locator("#ranking tr[data-unit='S1']")
    expect(street.locator("td.rank")).to_have_text("1")
    expect(street.locator(".reward-tag")).to_have_text("奖励 · 单月前10名")

    called = page.locator("#called-units")
    expect(called.get_by_role("heading", name="吹哨报到单位考核")).to_be_visible()
    rows = called.locator("#called-ranking tbody tr")
    expect(rows.locator("td:nth-child(2)")).to_contain_text(["区城管执法局", "区环保局", "区市场监管局", "区住建局"])
    # 区市场监管局 in October: B1–B4 and week 41's late call (W01, solved and satisfied): 2/5 in time → 16;
    # (1 + ½ + 0 + 1 + 1)/5 = 70% → 21; 4/5 = 80% → 24.
    last = called.locator("tr[data-unit='D2']")
    expect(last.locator("td.score")).to_have_text("61.00")
    expect(last.locator(".bottom-tag")).to_have_text("末位")
    expect(called.locator("tr[data-unit='D4'] td.rank")).to_have_text("—")  # one call: not ranked

    # The weekly report opens on last week (the suite's clock stands in week 49): nothing archived then.
    report = page.locator("#weekly-bottom")
    expect(report.get_by_role("heading")).to_contain_text("2026年第48周")
    expect(report).to_contain_text("本周没有末位单位")
    report.get_by_label("周").fill("2026-W41")
    report.get_by_role("button", name="查看").click()
    report = page.locator("#weekly-bottom")
    expect(report.get_by_role("heading")).to_contain_text("2026年第41周（10月5日至10月11日）")
    expect(report.locator("tr[data-kind='street'] .bottom-unit")).to_contain_text("水果湖街")
    expect(report.locator("tr[data-kind='called'] .bottom-unit")).to_contain_text("区市场监管局")
    expect(report.locator("#weekly-bottom-note")).to_have_text(
        "每周末位汇报：水果湖街（街道）、区市场监管局（吹哨报到单位），请在周调度会上汇报原因和整改措施。")
    # The month and kind shown above stay as they were.
    expect(page.locator("#ranking tr[data-unit='S1'] td.rank")).to_have_text("1")
    expect(page.locator("#grid-workers")).to_contain_text("见面率、上门率、入户率：暂无数据")
    screenshot(page, "rankings-scoring")
