"""One work order's life in the real pages, role by role, as each person sees it in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from minhu.core.db import Database
from minhu.orders.states import ACTION_LABELS, STATUS_LABELS, Action, Status
from minhu.org.roles import UNIT_KIND_LABELS
from tests.browser.conftest import Screenshots, Visitors
from tests.factories import World, make_order

pytestmark = pytest.mark.browser

TITLE = "小区门口路灯不亮"
CONTENT = "和平大道 88 号小区门口的路灯一周没亮，晚上老人孩子出门不安全。"
PHONE = "13912348765"
HANDLE_NOTE = "已到现场核实，报修工单已转路灯所"
REPLY_TEXT = "路灯所已更换灯具，经夜间复查照明恢复正常。"


def action_form(page: Page, action: Action) -> Locator:
    return page.locator(f'form.action-form[data-action="{action.value}"]')


def take(page: Page, action: Action, *, note: str | None = None, choose: dict[str, str] | None = None) -> None:
    """Fill the action's form on the order page (selects by visible label) and press its button."""
    form = action_form(page, action)
    for name, label in (choose or {}).items():
        form.locator(f'select[name="{name}"]').select_option(label=label)
    if note is not None:
        form.locator('textarea[name="note"]').fill(note)
    form.get_by_role("button", name=ACTION_LABELS[action]).click()


def timeline(page: Page) -> Locator:
    """The order's steps; who was shown the citizen's full number is in the trail too, apart (``li.access``)."""
    return page.locator("#timeline > li:not(.access)")


def expect_step(page: Page, action: Action, source: Status, target: Status, steps: int) -> None:
    """What the actor notices after a move: the confirmation, the new status, the new step in the trail."""
    expect(page.locator(".flash.ok")).to_have_text(f"已{ACTION_LABELS[action]}")
    expect(page.locator("#order-status")).to_have_text(STATUS_LABELS[target])
    expect(timeline(page)).to_have_count(steps)
    last = timeline(page).last
    expect(last).to_contain_text(ACTION_LABELS[action])
    expect(last).to_contain_text(f"{STATUS_LABELS[source]} → {STATUS_LABELS[target]}")


def resident_tracks(page: Page, number: str, phone: str) -> Locator:
    """The resident's search on the tracking page (number already filled in); returns the result card."""
    expect(page.get_by_label("工单编号")).to_have_value(number)
    page.get_by_label("手机号后四位").fill(phone[-4:])
    page.get_by_role("button", name="查询").click()
    return page.locator("#track-result")


def test_an_order_lives_from_the_report_to_the_archive(visitors: Visitors, world: World,
                                                       screenshot: Screenshots) -> None:
    # A resident reports on the public form and is given the order number.
    resident = visitors.open("/public/report")
    resident.get_by_label("诉求类型").select_option(label="求助")
    resident.get_by_label("标题").fill(TITLE)
    resident.get_by_label("具体情况").fill(CONTENT)
    resident.get_by_label("地点").fill("和平大道 88 号")
    resident.get_by_label("手机号码").fill(PHONE)
    with resident.expect_response(lambda r: r.request.method == "POST") as submitted:
        resident.get_by_role("button", name="提交").click()
    assert submitted.value.status == 200
    expect(resident.get_by_role("heading", name="已收到您的诉求")).to_be_visible()
    expect(resident.locator("#order-number")).to_have_text(re.compile(r"^WC\d{14}$"))
    number = resident.locator("#order-number").inner_text()
    order_url = f"/orders/{number}"

    # The confirmation links to the tracking page, the number filled in: waiting for acceptance.
    resident.locator("main").get_by_role("link", name="查询进度").click()
    expect(resident_tracks(resident, number, PHONE).locator(".badge")).to_have_text(STATUS_LABELS[Status.NEW])

    # The operator finds it waiting in the list, opens it and accepts it.
    operator = visitors.sign_in(world.operator)
    row = operator.locator("#order-rows tr", has=operator.get_by_role("link", name=number))
    expect(row.locator(".badge")).to_have_text(STATUS_LABELS[Status.NEW])
    expect(row).to_contain_text(TITLE)
    row.get_by_role("link", name=number).click()
    expect(operator.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(operator.locator("#order-status")).to_have_text(STATUS_LABELS[Status.NEW])
    expect(timeline(operator)).to_have_count(1)
    expect(timeline(operator).first).to_contain_text(ACTION_LABELS[Action.CREATE])
    take(operator, Action.ACCEPT)
    expect_step(operator, Action.ACCEPT, Status.NEW, Status.ACCEPTED, steps=2)
    # The operator was shown the full number on opening the order: that is in the trail, once.
    expect(operator.locator("#timeline > li.access")).to_have_count(1)

    # The dispatcher sends it to the street.
    dispatcher = visitors.sign_in(world.dispatcher, order_url)
    street_option = f"{world.street.name}（{UNIT_KIND_LABELS[world.street.kind]}）"
    take(dispatcher, Action.DISPATCH, choose={"unit_id": street_option})
    expect_step(dispatcher, Action.DISPATCH, Status.ACCEPTED, Status.DISPATCHED, steps=3)
    expect(dispatcher.locator("#owner-unit")).to_have_text(world.street.name)
    expect(timeline(dispatcher).last).to_contain_text(f"→ {world.street.name}")

    # A handler of another street neither finds it in the list nor opens it: 404, not the order.
    stranger = visitors.sign_in(world.other_handler)
    expect(stranger.locator("#orders")).not_to_contain_text(number)
    response = stranger.goto(order_url)
    assert response is not None
    assert response.status == 404
    expect(stranger.get_by_role("heading", name="404")).to_be_visible()
    expect(stranger.locator("#order-status")).to_have_count(0)
    expect(stranger.locator("main")).not_to_contain_text(TITLE)

    # The street's handler signs for it, records the work, and replies.
    handler = visitors.sign_in(world.handler, order_url)
    expect(handler.locator("#order-status")).to_have_text(STATUS_LABELS[Status.DISPATCHED])
    take(handler, Action.SIGN)
    expect_step(handler, Action.SIGN, Status.DISPATCHED, Status.SIGNED, steps=4)
    take(handler, Action.HANDLE, note=HANDLE_NOTE)
    expect_step(handler, Action.HANDLE, Status.SIGNED, Status.HANDLING, steps=5)
    expect(timeline(handler).last.locator(".note")).to_have_text(HANDLE_NOTE)
    take(handler, Action.REPLY, note=REPLY_TEXT)
    expect_step(handler, Action.REPLY, Status.HANDLING, Status.REPLIED, steps=6)
    expect(handler.locator(".content.reply")).to_have_text(REPLY_TEXT)

    # The dispatcher approves the reply.
    dispatcher.goto(order_url)
    take(dispatcher, Action.APPROVE)
    expect_step(dispatcher, Action.APPROVE, Status.REPLIED, Status.REVIEWED, steps=7)

    # The reviewer calls the resident back, then archives the order.
    reviewer = visitors.sign_in(world.reviewer, order_url)
    take(reviewer, Action.CALLBACK, choose={"reached": "已联系到", "resolution": "已解决", "satisfaction": "满意"},
         note="市民确认路灯已亮")
    expect_step(reviewer, Action.CALLBACK, Status.REVIEWED, Status.CALLED_BACK, steps=8)
    expect(reviewer.locator("#callback-outcome")).to_have_text("回访结果（电话回访）：已解决 · 满意")
    take(reviewer, Action.ARCHIVE)
    expect_step(reviewer, Action.ARCHIVE, Status.CALLED_BACK, Status.ARCHIVED, steps=9)
    # An archived order moves no more; the reviewer may still rule on it (审核认定, recorded only).
    expect(reviewer.locator("form.action-form")).to_have_count(1)
    expect(reviewer.locator('form.action-form[data-action="rule"]')).to_have_count(1)
    screenshot(reviewer, "order-page")

    # The resident follows the order with its number and the last four digits of the phone.
    resident.goto(f"/public/track?number={number}")
    result = resident_tracks(resident, number, PHONE)
    expect(result.locator(".badge")).to_have_text(STATUS_LABELS[Status.ARCHIVED])
    expect(result.locator(".reply")).to_have_text(REPLY_TEXT)
    expect(result).to_contain_text(f"{ACTION_LABELS[Action.DISPATCH]}：{world.street.name}")
    expect(result).not_to_contain_text(HANDLE_NOTE)  # internal notes stay inside


def test_a_return_without_a_reason_is_refused_and_the_order_stays(visitors: Visitors, db: Database,
                                                                  world: World) -> None:
    order = make_order(db, world, upto=Action.DISPATCH)
    handler = visitors.sign_in(world.handler, f"/orders/{order.number}")
    expect(handler.locator("#order-status")).to_have_text(STATUS_LABELS[Status.DISPATCHED])
    expect(timeline(handler)).to_have_count(2)
    reason = action_form(handler, Action.RETURN).locator('textarea[name="note"]')

    posted: list[str] = []
    handler.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)

    # An empty reason: the browser itself refuses to send the form.
    take(handler, Action.RETURN)
    assert reason.evaluate("el => el.validity.valueMissing") is True

    # Only spaces: the server refuses it and says why; nothing moved.
    take(handler, Action.RETURN, note="   ", choose={"return_reason": "不在本单位辖区"})
    expect(handler.locator(".flash.error")).to_have_text("退单理由不能为空")
    assert len(posted) == 1, posted  # the form with the empty reason never left the browser
    expect(handler.locator("#order-status")).to_have_text(STATUS_LABELS[Status.DISPATCHED])
    expect(timeline(handler)).to_have_count(2)
    expect(action_form(handler, Action.RETURN)).to_be_visible()

    # With a reason the return goes through; the order is back at the centre, out of the street's list.
    take(handler, Action.RETURN, note="不属于本街道辖区", choose={"return_reason": "不在本单位辖区"})
    expect(handler.locator(".flash.ok")).to_have_text(f"已{ACTION_LABELS[Action.RETURN]}")
    expect(handler).to_have_url(re.compile(r"/orders$"))
    expect(handler.locator("#orders")).not_to_contain_text(order.number)
    dispatcher = visitors.sign_in(world.dispatcher, f"/orders/{order.number}")
    expect(dispatcher.locator("#order-status")).to_have_text(STATUS_LABELS[Status.RETURNED])
    expect(timeline(dispatcher).last).to_contain_text("不属于本街道辖区")


def test_the_order_list_shows_orders_and_filters_by_status(visitors: Visitors, db: Database, world: World,
                                                          screenshot: Screenshots) -> None:
    accepted = make_order(db, world, title="楼道堆放杂物")
    dispatched = make_order(db, world, upto=Action.DISPATCH, title="夜间施工噪音扰民")
    archived = make_order(db, world, upto=Action.ARCHIVE, title="公交站台破损")
    page = visitors.sign_in(world.dispatcher, "/orders")
    rows = page.locator("#order-rows tr")
    expect(rows).to_have_count(3)
    for order, status in ((accepted, Status.ACCEPTED), (dispatched, Status.DISPATCHED), (archived, Status.ARCHIVED)):
        row = page.locator("#order-rows tr", has=page.get_by_role("link", name=order.number))
        expect(row).to_contain_text(order.title)
        expect(row.locator(".badge")).to_have_text(STATUS_LABELS[status])
    screenshot(page, "order-list")

    status_filter = page.get_by_label("状态", exact=True)
    status_filter.select_option(label=STATUS_LABELS[Status.DISPATCHED])
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(dispatched.number)
    expect(page).to_have_url(re.compile(r"[?&]status=dispatched(&|$)"))

    # The filtered list is a link: reloading it keeps the filter and its choice in the select.
    page.reload()
    expect(rows).to_have_count(1)
    expect(page.get_by_label("状态", exact=True)).to_have_value(Status.DISPATCHED.value)

    page.get_by_label("状态", exact=True).select_option(label=STATUS_LABELS[Status.VOIDED])
    expect(rows).to_have_count(0)
    expect(page.get_by_text("没有符合条件的工单。")).to_be_visible()

    page.get_by_label("状态", exact=True).select_option(label="全部状态")
    expect(rows).to_have_count(3)
