"""The message board in Chromium: a resident makes a report public on a phone; a dispatcher publishes it from the
moderation queue at 1440×900, its phone number masked; on a phone (390×844) the board finds it and the resident
supports it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from minhu.core.db import Database
from tests.browser.conftest import PHONE, Screenshots, Visitors
from tests.factories import World

pytestmark = pytest.mark.browser


def test_a_public_report_goes_through_moderation_to_the_board(
        visitors: Visitors, db: Database, world: World, screenshot: Screenshots) -> None:
    resident = visitors.open("/public/report", phone=True)
    resident.get_by_label("诉求类型").select_option(label="投诉")
    resident.get_by_label("标题").fill("工地夜间施工噪音扰民")
    resident.get_by_label("具体情况").fill("和平大道工地每晚施工到凌晨两点，有事请打我电话13812345678。")
    resident.get_by_label("手机号码").fill("13812345678")
    resident.get_by_label("公开我的留言").check()
    resident.get_by_role("button", name="提交").tap()
    number = resident.locator("#order-number").inner_text()

    moderator = visitors.sign_in(world.dispatcher, "/orders")
    moderator.set_viewport_size({"width": 1440, "height": 900})
    moderator.get_by_role("link", name="留言审核").click()
    item = moderator.locator(f"#pending-{number}")
    expect(item).to_contain_text("手机号码已隐去")
    expect(item.get_by_label("公开内容")).to_have_value("和平大道工地每晚施工到凌晨两点，有事请打我电话138****5678。")
    screenshot(moderator, "moderation-1440")
    assert moderator.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    item.get_by_role("button", name="公开", exact=True).click()
    expect(moderator.locator(".flash").first).to_contain_text("已公开")

    board = visitors.open("/public/board", phone=True)
    board.get_by_label("关键词").fill("噪音")
    board.get_by_role("button", name="搜索").tap()
    post = board.locator(f"#post-{number}")
    expect(post).to_contain_text("工地夜间施工噪音扰民")
    expect(post).not_to_contain_text("13812345678")
    post.get_by_role("button", name="支持").tap()
    expect(board.locator(".flash").first).to_contain_text("已支持这条留言")
    expect(board.locator(f"#post-{number} .count")).to_have_text("1")
    assert board.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scroll"
    screenshot(board, "board-390")
