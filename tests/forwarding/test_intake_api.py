"""Other systems forward orders through ``POST /api/v1/intake`` with their own API keys: the same intake as every
door, the sender's id kept and unique per system, refusals in Chinese, and the order's changes sent back."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from minhu.core import clock
from minhu.core.db import Database
from minhu.forwarding import service
from minhu.forwarding.models import ForwardedOrder
from minhu.forwarding.schemas import ForwardedCreate
from minhu.orders import queries
from minhu.orders.enums import Channel
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action, Status
from tests.duplicates.test_intake import LAMP, LAMP_AGAIN, register
from tests.factories import act
from tests.intake.test_pages import csrf_of, login
from tests.interop.test_webhook_events import SECRET, deliver, subscribe
from tests.notify.servers import HttpReceiver

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE = "/admin/systems"
FORWARDED = {"external_id": "12345-20261207-000321", "type": "complaint", "title": "小区门口夜间施工噪音扰民",
             "content": "积玉桥街某小区门口连续一周夜间施工到凌晨两点，影响休息。", "citizen_name": "王女士",
             "citizen_phone": "13812345678", "address": "武昌区积玉桥街和平大道"}


def add_system(client, world, *, name: str = "市12345政务服务便民热线平台", code: str = "city12345",
               channel: str = "hotline", callback_url: str = "") -> dict[str, str]:
    """Adds a system through the administrators' page; returns the key (and callback secret) it showed once."""
    login(client, world.admin)
    page = client.get(PAGE).text
    shown = client.post(PAGE, data={"csrf_token": csrf_of(page), "name": name, "code": code, "channel": channel,
                                    "callback_url": callback_url})
    assert shown.status_code == 200, shown.text
    key = re.search(r'id="new-key" value="([^"]+)"', shown.text)
    secret = re.search(r'id="new-secret" value="([^"]+)"', shown.text)
    assert key is not None
    return {"key": key.group(1), "secret": secret.group(1) if secret else ""}


def forward(client, key: str | bytes | None, **changes: object):
    headers = {"X-Api-Key": key} if key is not None else {}
    return client.post("/api/v1/intake", json={**FORWARDED, **changes}, headers=headers)


def orders_count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(WorkOrder)) or 0


def test_a_forwarded_request_becomes_an_order_that_names_its_sender_and_its_id(client, db, world):
    issued = add_system(client, world)
    assert issued["key"].startswith("mhk_")
    listed = client.get(PAGE).text
    assert issued["key"] not in listed, "a key is shown once, when issued"
    assert f"mhk_…{issued['key'][-4:]}" in listed

    answer = forward(client, issued["key"])

    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["external_id"] == FORWARDED["external_id"]
    assert receipt["created"] is True
    assert receipt["status"] == "new"
    assert receipt["status_label"] == "待受理"
    with db.read() as s:
        order = queries.find_by_number(s, receipt["number"])
        assert order is not None
        assert order.channel is Channel.HOTLINE, "the channel the system was registered with"
        assert order.title == FORWARDED["title"]
        [created] = [e for e in queries.events_of(s, order) if e.action is Action.CREATE]
        assert created.actor_name == "市12345政务服务便民热线平台"
    detail = client.get(f"/orders/{receipt['number']}").text
    assert "由「市12345政务服务便民热线平台」转来" in detail
    assert FORWARDED["external_id"] in detail
    assert "1 件" in client.get(PAGE).text


def test_a_second_delivery_returns_the_first_order_and_another_system_has_its_own_ids(client, db, world):
    first_key = add_system(client, world)["key"]
    second_key = add_system(client, world, name="市长信箱", code="mayor-mailbox", channel="leader_mailbox")["key"]
    before = orders_count(db)

    first = forward(client, first_key)
    again = forward(client, first_key)
    other = forward(client, second_key)

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["created"] is False
    assert other.json()["number"] != first.json()["number"], "ids are unique per system, not across systems"
    assert orders_count(db) == before + 2
    with db.read() as s:
        mailbox_order = queries.find_by_number(s, other.json()["number"])
        assert mailbox_order is not None
        assert mailbox_order.channel is Channel.LEADER_MAILBOX


def test_the_same_id_with_other_content_is_refused_and_names_the_first_order(client, db, world):
    key = add_system(client, world)["key"]
    first = forward(client, key)

    clash = forward(client, key, content="内容被改过的另一份诉求。")

    assert clash.status_code == 409
    error = clash.json()["error"]
    assert error["code"] == "external_id_reused"
    assert first.json()["number"] in error["message"]
    assert error["details"][0]["field"] == "external_id"


def test_deliveries_racing_with_one_id_make_one_order(db, world):
    with db.transaction() as s:
        key = service.new_key()
        system = service.add_system(s, code="city12345", name="市12345平台", channel=Channel.HOTLINE, key=key)
    sender = service.authenticate(db, key)
    assert sender.id == system.id
    body = ForwardedCreate.model_validate(FORWARDED)
    numbers: list[str] = []
    failures: list[BaseException] = []

    def deliver_once() -> None:
        try:
            numbers.append(service.receive(db, sender, body).order.number)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=deliver_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(set(numbers)) == 1
    assert len(numbers) == 6
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ForwardedOrder)) == 1


@pytest.mark.parametrize(("key", "code"), [(None, "api_key_missing"), ("mhk_not-a-key", "invalid_api_key"),
                                           ("密钥".encode(), "invalid_api_key")])
def test_a_missing_or_unknown_key_is_refused_in_chinese(client, db, world, key, code):
    add_system(client, world)
    answer = forward(client, key)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", answer.json()["error"]["message"])


def test_a_replaced_key_and_a_disabled_system_are_refused(client, db, world):
    old_key = add_system(client, world)["key"]
    page = client.get(PAGE).text
    system_id = re.search(r'id="system-(\d+)"', page).group(1)

    renewed = client.post(f"{PAGE}/{system_id}/key", data={"csrf_token": csrf_of(page)})
    new_key = re.search(r'id="new-key" value="([^"]+)"', renewed.text).group(1)
    assert new_key != old_key
    assert forward(client, old_key).json()["error"]["code"] == "invalid_api_key"
    assert forward(client, new_key).status_code == 201

    client.post(f"{PAGE}/{system_id}/disable", data={"csrf_token": csrf_of(client.get(PAGE).text)})
    refused = forward(client, new_key, external_id="12345-20261207-000322")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "system_disabled"
    assert "已停用" in refused.json()["error"]["message"]

    client.post(f"{PAGE}/{system_id}/enable", data={"csrf_token": csrf_of(client.get(PAGE).text)})
    assert forward(client, new_key, external_id="12345-20261207-000322").status_code == 201


@pytest.mark.parametrize(("changes", "field"), [
    ({"external_id": ""}, "external_id"),
    ({"external_id": "has space"}, "external_id"),
    ({"external_id": "x" * 101}, "external_id"),
    ({"content": "长" * 20_001}, "content"),
    ({"channel": "grid_patrol", "urgency": "whenever"}, "urgency"),
    ({"latitude": 30.5}, "body"),
])
def test_a_malformed_request_gets_the_offending_field_and_no_order(client, db, world, changes, field):
    key = add_system(client, world)["key"]
    before = orders_count(db)
    answer = forward(client, key, **changes)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert any(field in str(detail.get("field", "")) for detail in error["details"]), error
    assert orders_count(db) == before


def test_a_request_without_an_id_is_refused(client, db, world):
    key = add_system(client, world)["key"]
    body = {k: v for k, v in FORWARDED.items() if k != "external_id"}
    answer = client.post("/api/v1/intake", json=body, headers={"X-Api-Key": key})
    assert answer.status_code == 422
    assert any("external_id" in str(d["field"]) for d in answer.json()["error"]["details"])


def test_a_forwarded_report_of_a_matter_in_hand_joins_it(client, db, world, auto_join):
    first = register(db, world, **LAMP)
    key = add_system(client, world, name="市网上留言板", code="web-board", channel="web_board")["key"]
    again = {k: v for k, v in LAMP_AGAIN.items() if k != "channel"}

    answer = forward(client, key, external_id="board-88231", type="help", **again)

    assert answer.status_code == 201, answer.text
    assert answer.json()["joined_to"] == first.number
    assert answer.json()["status"] == Status.JOINED.value


def test_the_changes_of_its_orders_go_back_to_the_system_with_its_id_and_no_other_order(client, db, world):
    with HttpReceiver(secret="shown-when-added") as back, HttpReceiver(secret=SECRET) as everyone:
        issued = add_system(client, world, callback_url=back.url)
        back.secret = issued["secret"]
        assert issued["secret"], "the callback's signing secret is shown once with the key"
        subscribe(db, everyone, "order.*")
        with clock.frozen(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)):
            forwarded = forward(client, issued["key"]).json()["number"]
            other = register(db, world, title="另一件普通来电", content="来电反映路面坑洼。").number
            act(db, forwarded, Action.ACCEPT, world.operator)  # forwarded orders wait for acceptance
            for number in (forwarded, other):
                act(db, number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
        with clock.frozen(datetime(2026, 11, 30, 9, 1, tzinfo=SHANGHAI)):
            deliver(db)

    sent_back = [(p.json["event"], p.json["payload"]["order_number"], p.json["payload"].get("external_id"))
                 for p in back.received]
    assert ("order.create", forwarded, FORWARDED["external_id"]) in sent_back, "its registration too"
    assert ("order.dispatch", forwarded, FORWARDED["external_id"]) in sent_back
    assert all(number == forwarded for _event, number, _id in sent_back), "only the orders it forwarded"
    assert all(p.signed for p in back.received)
    told_everyone = {p.json["payload"]["order_number"] for p in everyone.received}
    assert {forwarded, other} <= told_everyone
    assert all("external_id" not in p.json["payload"] for p in everyone.received), \
        "another subscriber is not given the sender's id"


def test_only_administrators_manage_systems(client, world):
    login(client, world.dispatcher)
    assert client.get(PAGE).status_code == 403
