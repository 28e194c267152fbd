"""Every text box a form posts to a schema field with a ``max_length`` says so with the same ``maxlength``, so a
person is stopped while typing rather than told after sending; the required star sits inside the label's text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from pydantic import BaseModel

from minhu.evaluation.schemas import RatingAnswer
from minhu.orders.schemas import ActionRequest, OrderCreate, SuperviseRequest, UrgeRequest
from minhu.orders.states import Action
from minhu.routing import catalog
from minhu.routing.schemas import CategoryCreate, CategoryUpdate
from minhu.web.forms import max_lengths
from tests.factories import make_order
from tests.intake.test_pages import login


class _Boxes(HTMLParser):
    """Each form's text inputs and textareas: (form id or action, name, maxlength attribute or None)."""

    def __init__(self) -> None:
        super().__init__()
        self.form = ""
        self.boxes: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.form = a.get("id") or a.get("action") or ""
        elif (tag == "textarea" or (tag == "input" and a.get("type", "text") in ("text", "tel", "search", None))) \
                and a.get("name"):
            self.boxes.append((self.form, str(a["name"]), a.get("maxlength")))


def _boxes(html: str) -> list[tuple[str, str, str | None]]:
    parser = _Boxes()
    parser.feed(html)
    return parser.boxes


def _assert_limits(html: str, schema: type[BaseModel], form: str | None = None) -> int:
    """Every box of ``form`` (or of any form) named after a limited field of ``schema`` carries its limit."""
    limits = max_lengths(schema)[schema.__name__]
    checked = 0
    for form_id, name, maxlength in _boxes(html):
        if (form is None or re.fullmatch(form, form_id)) and name in limits:
            assert maxlength == str(limits[name]), f"{form_id} {name}: maxlength={maxlength}, schema {limits[name]}"
            checked += 1
    return checked


def test_the_registration_forms_carry_the_schema_limits(client, db, world):
    report = client.get("/public/report").text
    assert _assert_limits(report, OrderCreate) == 4  # title, content, address, name
    login(client, world.operator)
    new = client.get("/orders/new").text
    assert _assert_limits(new, OrderCreate) == 4


def test_the_order_page_callback_and_rating_forms_carry_the_schema_limits(client, db, world):
    dispatched = make_order(db, world, upto=Action.DISPATCH)
    login(client, world.handler)
    page = client.get(f"/orders/{dispatched.number}").text
    assert _assert_limits(page, ActionRequest, r"/orders/.*/act") >= 1  # the return form's note
    login(client, world.leader)
    page = client.get(f"/orders/{dispatched.number}").text
    assert _assert_limits(page, UrgeRequest, "urge-form") == 1
    assert _assert_limits(page, SuperviseRequest, "supervise-form") == 1
    approved = make_order(db, world, upto=Action.APPROVE)
    login(client, world.reviewer)
    sheet = client.get(f"/callbacks/{approved.number}").text
    assert _assert_limits(sheet, ActionRequest, "callback-form") == 1


def test_the_citizens_rating_form_carries_the_schema_limit(client, db, world):
    from sqlalchemy import select

    from minhu.notify.models import OutboxMessage

    approved = make_order(db, world, upto=Action.APPROVE)
    with db.read() as s:
        body = s.scalars(select(OutboxMessage.body).where(OutboxMessage.order_id == approved.id,
                                                          OutboxMessage.template_key == "order.rate")).one()
    found = re.search(r"(/r/[A-Za-z0-9_-]+)", body)
    assert found is not None
    assert _assert_limits(client.get(found.group(1)).text, RatingAnswer) == 1


def test_the_catalog_forms_carry_the_schema_limits(client, db, world):
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    login(client, world.admin)
    assert _assert_limits(client.get("/admin/catalog").text, CategoryCreate) == 1
    assert _assert_limits(client.get("/admin/catalog/02").text, CategoryUpdate) >= 1


def test_the_required_star_is_part_of_the_label_text(client):
    page = client.get("/public/report").text
    title = page.split('name="title"')[0].rsplit("<label", 1)[1]
    assert '<span class="caption">标题<span class="req" aria-hidden="true">*</span></span>' in title
