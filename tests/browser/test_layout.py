"""Every main page of every role, in Chromium, on a desktop screen (1440×900) and, for the pages people open on a
phone (the resident's pages, the grid worker's pages, the callback queue and the ledger), on a phone (390×844):
the document is never wider than the window, so nobody scrolls sideways to read a row. Wide tables scroll inside
their own box instead.

The city is filled like a working month: archived orders with unsatisfied answers (rankings, the ledger, the
bulletin), open orders in every state with long titles, long addresses and long unbroken text.

Set ``MINHU_TEST_SCREENSHOTS=/some/dir`` to keep a full-page screenshot of each page at each size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, ViewportSize
from sqlalchemy import select

from minhu.core.db import Database
from minhu.notify.models import OutboxMessage
from minhu.orders import service as order_service
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from minhu.org.models import User
from minhu.routing import catalog
from minhu.routing import service as routing
from tests.browser.conftest import PHONE, Screenshots, Visitors
from tests.evaluation.bulletin_city import BulletinCity, make_bulletin_city
from tests.factories import World, act, make_order, order_data

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1440, "height": 900}

# Titles and texts as residents write them: long, with numbers, and once with a long unbroken run (a link).
LONG_TITLES = (
    "和平大道与积玉桥路交叉口东北角人行道上的窨井盖缺失已经三天了，夜里有老人和小孩路过非常危险，请尽快派人处理",
    "小区南门外的临时菜市场每天凌晨四点开始卸货，噪音很大，居民无法休息，多次向物业和社区反映都没有结果",
    "建议在中山路沿线增设非机动车道并加装隔离护栏，上下班高峰期电动车与机动车抢道，交通事故时有发生",
    "反映https://example.invalid/a-very-long-link-without-any-place-to-break-it-0123456789abcdefghij的问题",
)
LONG_ADDRESS = "武汉市武昌区积玉桥街道和平社区和平大道一千二百三十四号临江花园小区东区十七栋二单元三楼三百零二室"
UNBROKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" * 4


@dataclass(frozen=True)
class City:
    world: World
    numbers: dict[str, str]  # what the order is for the page list -> its number
    rate_path: str


def _fill(db: Database, city: BulletinCity) -> City:
    world = city.world
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    routing.forget_routing()
    uptos: tuple[Action | None, ...] = (None, Action.DISPATCH, Action.SIGN, Action.HANDLE, Action.REPLY,
                                        Action.APPROVE, Action.APPROVE, Action.CALLBACK, Action.ARCHIVE)
    numbers: dict[str, str] = {}
    for i in range(18):
        upto = uptos[i % len(uptos)]
        title = LONG_TITLES[i % len(LONG_TITLES)]
        order = make_order(db, world, upto=upto, title=title, address=LONG_ADDRESS,
                           content=f"{title}。{UNBROKEN}\n联系人说白天不在家，请晚上七点以后联系。",
                           citizen_name="欧阳先生")
        numbers.setdefault(str(upto.value) if upto else "new", order.number)
    # The unit answered badly once: the order is back at the callback queue with an unsatisfied history.
    unhappy = make_order(db, world, upto=Action.APPROVE, title=LONG_TITLES[1], address=LONG_ADDRESS)
    act(db, unhappy.number, Action.CALLBACK, world.reviewer, reached=True, resolution="unresolved",
        satisfaction="unsatisfied", note=UNBROKEN)
    numbers["unhappy"] = unhappy.number
    for title in LONG_TITLES[:2]:  # the grid worker's own reports, seen from the grid worker's list
        with db.transaction() as s:
            order_service.create_order(s, order_data(title=title, address=LONG_ADDRESS, content=UNBROKEN),
                                       actor=world.gridworker)
    with db.read() as s:
        approved = s.scalars(select(WorkOrder).where(WorkOrder.number == numbers[str(Action.APPROVE.value)])).one()
        sms = s.scalars(select(OutboxMessage).where(OutboxMessage.order_id == approved.id,
                                                    OutboxMessage.template_key == "order.rate")).one()
    found = re.search(r"(/r/[A-Za-z0-9_-]+)", sms.body)
    assert found is not None, sms.body
    return City(world, numbers, found.group(1))


@pytest.fixture
def city(db: Database) -> City:
    return _fill(db, make_bulletin_city(db))


def _order_pages(page: Page) -> list[str]:
    """The first orders of the person's own list: the order page as each role sees it."""
    hrefs: list[str] = page.eval_on_selector_all(
        "main a[href^='/orders/WC']", "links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys(hrefs))[:3]


def _role_extras(city: City, role: str) -> list[str]:
    """Pages beyond the top bar a person of ``role`` opens every day (an order, a form, a unit, a sub-page)."""
    n = city.numbers
    street, watched = f"/dispatch/units/{city.world.street.id}", "/supervision/orders?limit=finish&light=green"
    extras = {
        "operator": ["/orders/new"],
        "dispatcher": ["/orders/new", street, watched],
        "handler": [watched],
        "gridworker": ["/orders/new"],
        "leader": ["/bulletins/2026-10", watched, street],
        "reviewer": [f"/callbacks/{n['approve']}", f"/callbacks/{n['unhappy']}", "/bulletins/2026-10"],
        "admin": ["/admin/catalog/02", "/admin/matrix/check", "/admin/notify/templates",
                  "/admin/notify/roster", "/admin/time-limits", "/bulletins/2026-10"],
    }
    return extras[role]


def _nav_paths(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(".topbar nav a", "links => links.map(a => a.getAttribute('href'))")
    return [h for h in hrefs if h and h.startswith("/") and h != "/docs"]


def _on_phone_too(role: str, path: str) -> bool:
    """The pages people open on a phone: everything of the grid worker and the resident, the callback queue, the
    ledger of unsatisfied answers."""
    return role in ("gridworker", "resident") or path.split("?")[0] in ("/callbacks", "/dissatisfied")


# What is wider than the window, for the failure message: the outermost elements that stick out on the right.
_WIDEST = """() => {
  const w = window.innerWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    const parent = el.parentElement;
    if (r.right > w + 1 && r.width > 0 && !(parent && parent.getBoundingClientRect().right > w + 1)) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
      out.push(name + ' → ' + Math.round(r.right) + 'px');
    }
  }
  return out.slice(0, 5);
}"""


def _measure(page: Page, path: str, size: ViewportSize, name: str, screenshot: Screenshots) -> str | None:
    page.set_viewport_size(size)
    response = page.goto(path)
    assert response is not None, path
    assert response.status == 200, f"{path}: {response.status}"
    page.wait_for_load_state("networkidle")
    screenshot(page, f"layout-{name}-{size['width']}")
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    if width <= inner:
        return None
    sticking_out = page.evaluate(_WIDEST)
    return f"{path} at {size['width']}×{size['height']}: document {width}px wide; sticking out: {sticking_out}"


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "root"


ROLES = ("operator", "dispatcher", "handler", "gridworker", "leader", "reviewer", "admin")


@pytest.mark.one_engine  # a page's width is the browser's and the CSS's, whatever database filled it
@pytest.mark.parametrize("role", ROLES)
def test_no_page_of_a_role_scrolls_sideways(role: str, visitors: Visitors, city: City,
                                            screenshot: Screenshots) -> None:
    user: User = getattr(city.world, role)
    page = visitors.sign_in(user, "/orders")
    order_pages = _order_pages(page)
    assert order_pages, f"{role} sees no order"
    paths = list(dict.fromkeys([*_nav_paths(page), *order_pages, *_role_extras(city, role)]))
    assert len(paths) >= 5, paths
    problems = []
    for path in paths:
        sizes = [DESKTOP, PHONE] if _on_phone_too(role, path) else [DESKTOP]
        for size in sizes:
            problem = _measure(page, path, size, f"{role}-{_slug(path)}", screenshot)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


def test_no_resident_page_scrolls_sideways(visitors: Visitors, city: City, screenshot: Screenshots) -> None:
    problems = []
    for size in (PHONE, DESKTOP):
        page = visitors.open("/public/report", phone=size is PHONE)
        for path in ("/public/report", "/public/track", city.rate_path, "/login"):
            problem = _measure(page, path, size, f"resident-{_slug(path.split('/r/')[0] or 'rate')}", screenshot)
            if problem:
                problems.append(problem)
        # The progress of an order, as the resident sees it after asking.
        page.goto("/public/track")
        page.get_by_label("工单编号").fill(city.numbers["handle"])
        page.get_by_label("手机号后四位").fill("5678")
        page.get_by_role("button", name="查询").click()
        page.locator("#track-result").wait_for()
        screenshot(page, f"layout-resident-track-result-{size['width']}")
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > inner:
            problems.append(f"track result at {size['width']}: {width}px; {page.evaluate(_WIDEST)}")
    assert not problems, "\n".join(problems)
