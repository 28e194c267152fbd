"""Systems that forward orders, in a real browser at 1440×900: an administrator adds one by keyboard and copies
its key, shown once; the system forwards a request over HTTP with it; the order's page names the system and
its id; a new key ends the old one."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from minhu.core.db import Database
from tests.browser.conftest import LiveServer, Screenshots, Visitors
from tests.factories import World

pytestmark = pytest.mark.browser
REQUEST = {"external_id": "12345-20261207-000321", "type": "complaint", "title": "小区门口夜间施工噪音扰民",
           "content": "积玉桥街某小区门口连续一周夜间施工到凌晨两点，影响休息。", "citizen_phone": "13812345678",
           "address": "武昌区积玉桥街和平大道"}


def test_an_administrator_issues_a_key_and_the_forwarded_order_names_its_sender(
        visitors: Visitors, db: Database, world: World, live_server: LiveServer, screenshot: Screenshots) -> None:
    page = visitors.sign_in(world.admin, "/admin/notify")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("link", name="来件系统").click()
    expect(page.get_by_role("heading", name="来件系统", exact=True)).to_be_visible()
    expect(page.locator("#systems")).to_have_count(0)

    page.get_by_label("名称").focus()
    page.keyboard.type("市12345政务服务便民热线平台")
    page.keyboard.press("Tab")
    page.keyboard.type("city12345")
    page.get_by_role("button", name="添加来件系统").focus()
    page.keyboard.press("Enter")

    expect(page.locator("#issued")).to_contain_text("密钥只在此显示一次")
    key = page.locator("#new-key").input_value()
    assert key.startswith("mhk_")
    row = page.locator("#systems tbody tr").first
    expect(row).to_contain_text("city12345")
    expect(row).to_contain_text("12345热线")
    expect(row).to_contain_text(f"mhk_…{key[-4:]}")
    screenshot(page, "systems-1440")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"

    answer = httpx.post(f"{live_server.url}/api/v1/intake", json=REQUEST, headers={"X-Api-Key": key}, timeout=30)
    assert answer.status_code == 201, answer.text
    number = answer.json()["number"]

    page.goto(f"/orders/{number}")
    expect(page.locator("#forwarded-by")).to_contain_text("由「市12345政务服务便民热线平台」转来")
    expect(page.locator("#forwarded-by")).to_contain_text(REQUEST["external_id"])
    screenshot(page, "forwarded-order-1440")

    page.goto("/admin/systems")
    expect(page.locator("#systems")).to_contain_text("1 件")
    page.get_by_role("button", name="更换密钥").click()
    renewed = page.locator("#new-key").input_value()
    assert renewed != key
    refused = httpx.post(f"{live_server.url}/api/v1/intake", json=REQUEST, headers={"X-Api-Key": key}, timeout=30)
    assert refused.status_code == 401
    again = httpx.post(f"{live_server.url}/api/v1/intake", json=REQUEST, headers={"X-Api-Key": renewed}, timeout=30)
    assert again.status_code == 200
    assert again.json()["number"] == number
