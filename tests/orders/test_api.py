"""The HTTP API as a client sees it: status codes, error bodies, idempotency, scope, paging."""

import asyncio
import base64
import io
import json

import httpx
import pytest

from minhu.core.idempotency import KEY_RULE
from minhu.evaluation import threads
from minhu.orders import queries
from minhu.orders.states import Action
from tests.factories import act, make_order
from tests.intake.test_pages import login

ORDER = {"type": "complaint", "channel": "hotline", "title": "路灯不亮", "content": "和平社区3栋路灯坏了三天。",
         "citizen_name": "刘先生", "citizen_phone": "13907151234"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_create_then_read_shows_what_the_caller_may_do(client, world, token_for):
    created = client.post("/api/v1/orders", json=ORDER, headers=token_for(world.operator))
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "accepted"
    assert body["status_label"] == "已受理"
    read = client.get(f"/api/v1/orders/{body['number']}", headers=token_for(world.dispatcher)).json()
    assert {a["action"] for a in read["allowed_actions"]} == {"dispatch", "void", "escalate_city", "merge"}


def test_a_retried_create_returns_the_first_order(client, world, token_for):
    headers = {**token_for(world.operator), "Idempotency-Key": "call-20261123-0001"}
    first = client.post("/api/v1/orders", json=ORDER, headers=headers)
    again = client.post("/api/v1/orders", json=ORDER, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    listed = client.get("/api/v1/orders", headers=token_for(world.operator)).json()["items"]
    assert len(listed) == 1
    changed = client.post("/api/v1/orders", json={**ORDER, "title": "另一件事"}, headers=headers)
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "idempotency_key_reused"


def post_raw_headers(app, path: str, body: object, headers: list[tuple[str, str | bytes]]) -> httpx.Response:
    """POST with header values sent byte for byte, as a server receives them (the test client re-encodes a value
    that is not UTF-8 as UTF-8)."""
    raw = [(name.encode(), value if isinstance(value, bytes) else value.encode()) for name, value in headers]

    async def post() -> httpx.Response:
        request = httpx.Request("POST", f"http://testserver{path}", json=body, headers=raw)
        response = await httpx.ASGITransport(app=app).handle_async_request(request)
        await response.aread()
        return response

    return asyncio.run(post())


def test_an_idempotency_key_may_be_chinese_and_a_retry_with_it_returns_the_first_order(client, world, token_for):
    key = "热线来电-王女士-第1次" * 10  # 140 characters, 380 bytes of UTF-8
    headers = {**token_for(world.operator), "Idempotency-Key": key.encode()}
    first = client.post("/api/v1/orders", json=ORDER, headers=headers)
    again = client.post("/api/v1/orders", json=ORDER, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["number"] == again.json()["number"]


@pytest.mark.parametrize("key", [
    b"\xff\xfe\x80",  # bytes that are no UTF-8 at all
    "中文键".encode("gbk"),  # Chinese in another encoding
    "呼".encode() * 201,  # 201 characters
    b"   ",
    "键\u200b".encode(),  # an invisible character
])
def test_an_idempotency_key_that_is_not_printable_utf8_is_refused_naming_the_header(client, world, token_for, key):
    refused = post_raw_headers(client.app, "/api/v1/orders", ORDER,
                               [*token_for(world.operator).items(), ("Idempotency-Key", key)])
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == {
        "code": "invalid_idempotency_key", "message": KEY_RULE,
        "details": [{"field": "Idempotency-Key", "message": KEY_RULE}]}
    assert client.get("/api/v1/orders", headers=token_for(world.operator)).json()["items"] == []


def test_illegal_action_is_409_with_the_allowed_actions(client, world, token_for, db):
    order = make_order(db, world)
    response = client.post(f"/api/v1/orders/{order.number}/actions/archive", json={"expected_version": order.version},
                           headers=token_for(world.dispatcher))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_action"
    assert set(error["details"]["allowed_actions"]) == {"dispatch", "void", "escalate_city", "merge"}


def test_stale_version_is_409(client, world, token_for, db):
    order = make_order(db, world)
    response = client.post(f"/api/v1/orders/{order.number}/actions/dispatch",
                           json={"expected_version": order.version + 5, "unit_id": world.street.id},
                           headers=token_for(world.dispatcher))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_order"


def test_out_of_scope_orders_are_absent(client, world, token_for, db):
    order = make_order(db, world, upto=Action.DISPATCH)
    headers = token_for(world.other_handler)
    assert client.get(f"/api/v1/orders/{order.number}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/orders/{order.number}/events", headers=headers).status_code == 404
    assert client.get("/api/v1/orders", headers=headers).json()["items"] == []
    sign = client.post(f"/api/v1/orders/{order.number}/actions/sign", json={"expected_version": order.version},
                       headers=headers)
    assert sign.status_code == 404


def test_a_trail_does_not_name_an_order_outside_the_readers_scope(client, world, token_for, db):
    """The same caller twice: the second order's registration lists the first as a duplicate candidate. Sent
    to the grid, its trail read by the grid worker names no order of the street, which answers them 404."""
    street = make_order(db, world, upto=Action.DISPATCH)
    grid = make_order(db, world)
    act(db, grid.number, Action.DISPATCH, world.dispatcher, unit_id=world.grid.id)
    centre = json.dumps(client.get(f"/api/v1/orders/{grid.number}/events", headers=token_for(world.dispatcher)).json())
    assert street.number in centre, "the centre reads the candidate"
    trail = client.get(f"/api/v1/orders/{grid.number}/events", headers=token_for(world.gridworker)).json()
    assert street.number not in json.dumps(trail, ensure_ascii=False)
    assert [e["action"] for e in trail] == ["create", "dispatch"]
    assert client.get(f"/api/v1/orders/{street.number}", headers=token_for(world.gridworker)).status_code == 404
    with db.transaction() as s:
        threads.link(s, queries.get_for_update(s, grid.number, viewer=None),
                     to=queries.get_for_update(s, street.number, viewer=None), actor=world.dispatcher)
    login(client, world.gridworker)
    page = client.get(f"/orders/{grid.number}").text
    assert "归入诉求串" in page
    assert "主工单 范围外的工单" in page
    assert street.number not in page


def test_handler_sees_a_masked_phone_and_revealing_it_is_recorded(client, world, token_for, db):
    order = make_order(db, world, upto=Action.DISPATCH)
    headers = token_for(world.handler)
    read = client.get(f"/api/v1/orders/{order.number}", headers=headers).json()
    assert read["citizen_phone"] == "138****5678"
    assert read["phone_masked"] is True
    revealed = client.post(f"/api/v1/orders/{order.number}/phone", headers=headers)
    assert revealed.json()["citizen_phone"] == "13812345678"
    trail = client.get(f"/api/v1/orders/{order.number}/events", headers=headers).json()
    assert trail[-1]["action"] == "view_phone"
    assert trail[-1]["actor_name"] == world.handler.full_name


def test_missing_or_bad_token_is_401(client):
    assert client.get("/api/v1/orders").status_code == 401
    response = client.get("/api/v1/orders", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_wrong_password_is_401(client, world):
    response = client.post("/api/v1/auth/token", json={"username": world.operator.username, "password": "x" * 9})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_malformed_input_names_the_fields(client, world, token_for):
    bad = {**ORDER, "citizen_phone": "12345", "latitude": False, "longitude": 114.3, "colour": "red"}
    response = client.post("/api/v1/orders", json=bad, headers=token_for(world.operator))
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert {"citizen_phone", "latitude", "colour"} <= fields


def test_impossible_coordinates_and_a_lone_latitude_are_refused(client, world, token_for):
    headers = token_for(world.operator)
    far = client.post("/api/v1/orders", json={**ORDER, "latitude": 91.0, "longitude": 114.3}, headers=headers)
    assert far.status_code == 422
    assert far.json()["error"]["details"][0]["field"] == "latitude"
    lone = client.post("/api/v1/orders", json={**ORDER, "latitude": 30.5}, headers=headers)
    assert lone.status_code == 422


def test_invalid_utf8_and_broken_json_are_422(client, world, token_for):
    headers = {**token_for(world.operator), "Content-Type": "application/json"}
    raw = b'{"type": "complaint", "title": "\xff\xfe", "content": "x"}'
    assert client.post("/api/v1/orders", content=raw, headers=headers).status_code == 422
    assert client.post("/api/v1/orders", content=b'{"type": ', headers=headers).status_code == 422


def test_nul_and_lone_surrogates_are_refused_not_crashed_on(client, world, token_for):
    headers = {**token_for(world.operator), "Content-Type": "application/json"}
    for title in ('"a\\u0000b"', '"\\ud800"'):
        raw = ('{"type": "help", "title": ' + title + ', "content": "x"}').encode()
        response = client.post("/api/v1/orders", content=raw, headers=headers)
        assert response.status_code == 422, title
        assert response.json()["error"]["details"][0]["field"] == "title"


def test_chinese_text_in_all_its_forms_round_trips(client, world, token_for):
    text = "繁體字：臺灣、廣東話「唔該」😀👨‍👩‍👧！？，。　全角空格ＡＢＣ１２３\n第二行\t制表"
    created = client.post("/api/v1/orders", json={**ORDER, "title": "𠀀生僻字🙏", "content": text},
                          headers=token_for(world.operator)).json()
    read = client.get(f"/api/v1/orders/{created['number']}", headers=token_for(world.operator)).json()
    assert read["content"].encode("utf-8") == text.encode("utf-8")
    assert read["title"] == "𠀀生僻字🙏"


def test_oversize_body_is_413(client, world, token_for):
    big = {**ORDER, "content": "噪" * (400 * 1024)}  # 1.2 MB of UTF-8
    response = client.post("/api/v1/orders", json=big, headers=token_for(world.operator))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_attachments_are_sniffed_and_size_limited(client, world, token_for, db, settings):
    order = make_order(db, world)
    headers = token_for(world.operator)
    url = f"/api/v1/orders/{order.number}/attachments"
    kept = client.post(url, files={"file": ("现场.txt", io.BytesIO(PNG), "text/plain")}, headers=headers)
    assert kept.status_code == 201
    attachment = kept.json()["attachments"][0]
    assert attachment["content_type"] == "image/png"
    assert attachment["filename"] == "现场.png", "the name carries the extension of what the bytes are"
    download = client.get(attachment["url"], headers=headers)
    assert download.content == PNG
    script = client.post(url, files={"file": ("a.png", io.BytesIO(b"#!/bin/sh\nrm -rf /"), "image/png")},
                         headers=headers)
    assert script.status_code == 422
    assert script.json()["error"]["code"] == "unsupported_file_type"
    huge = PNG + b"\x00" * (settings.max_upload_bytes + 1)
    too_big = client.post(url, files={"file": ("big.png", io.BytesIO(huge), "image/png")}, headers=headers)
    assert too_big.status_code == 413
    odd = client.post(url, files={"file": ("C:\\照片\\门口.jpg", io.BytesIO(PNG), "image/png")}, headers=headers)
    assert odd.status_code == 201
    assert odd.json()["attachments"][-1]["filename"] == "门口.png"
    missing = client.post("/api/v1/orders/WC20990101000001/attachments",
                          files={"file": ("a.png", io.BytesIO(PNG), "image/png")}, headers=headers)
    assert missing.status_code == 404
    stored = list(settings.attachments_dir.rglob("*.*"))
    assert len(stored) == 2, "a refused upload leaves nothing on disk"


def test_cursor_paging_returns_every_order_once_newest_first(client, world, token_for, db):
    numbers = [make_order(db, world).number for _ in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/orders", params=params, headers=token_for(world.operator)).json()
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(numbers))


def test_filters_by_status_type_and_text(client, world, token_for, db):
    dispatched = make_order(db, world, upto=Action.DISPATCH, title="井盖缺失")
    make_order(db, world, type="consultation", title="医保缴费咨询")
    headers = token_for(world.operator)

    def numbers(**params):
        return [i["number"] for i in client.get("/api/v1/orders", params=params, headers=headers).json()["items"]]

    assert numbers(status="dispatched") == [dispatched.number]
    assert len(numbers(type="consultation")) == 1
    assert numbers(q="井盖") == [dispatched.number]
    assert numbers(q="100%_") == []
    assert client.get("/api/v1/orders", params={"cursor": "garbage"}, headers=headers).status_code == 422


def test_the_whole_life_through_the_api(client, world, token_for, db):
    number = client.post("/api/v1/orders", json=ORDER, headers=token_for(world.operator)).json()["number"]
    steps = [
        (world.dispatcher, "dispatch", {"unit_id": world.street.id}),
        (world.handler, "sign", {}),
        (world.handler, "reply", {"note": "已更换灯泡"}),
        (world.dispatcher, "approve", {}),
        (world.reviewer, "callback", {"reached": True, "resolution": "resolved", "satisfaction": "satisfied",
                                      "method": "phone"}),
        (world.reviewer, "archive", {}),
    ]
    for user, action, fields in steps:
        current = client.get(f"/api/v1/orders/{number}", headers=token_for(user)).json()
        assert action in {a["action"] for a in current["allowed_actions"]}
        response = client.post(f"/api/v1/orders/{number}/actions/{action}",
                               json={"expected_version": current["version"], **fields}, headers=token_for(user))
        assert response.status_code == 200, response.text
    final = client.get(f"/api/v1/orders/{number}", headers=token_for(world.leader)).json()
    assert final["status"] == "archived"
    assert final["reply_text"] == "已更换灯泡"
    assert final["allowed_actions"] == []


def test_healthz_answers(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_ids_beyond_any_row_are_absent_or_invalid_not_a_crash(client, world, token_for, db):
    order = make_order(db, world)
    headers = token_for(world.dispatcher)
    assert client.get("/api/v1/attachments/2147483648", headers=headers).status_code == 422
    dispatch = client.post(f"/api/v1/orders/{order.number}/actions/dispatch",
                           json={"expected_version": order.version, "unit_id": 2147483647}, headers=headers)
    assert dispatch.status_code == 422
    assert dispatch.json()["error"]["details"][0]["field"] == "unit_id"


def test_roles_that_do_not_register_orders_are_refused(client, world, token_for):
    for person in (world.handler, world.leader, world.reviewer):
        response = client.post("/api/v1/orders", json=ORDER, headers=token_for(person))
        assert response.status_code == 403, person.role
        assert response.json()["error"]["code"] == "not_an_intake_role"
    listed = client.get("/api/v1/orders", headers=token_for(world.operator)).json()["items"]
    assert listed == []


def test_a_grid_worker_reports_and_follows_its_own_report(client, world, token_for):
    patrol = {**ORDER, "channel": "grid_patrol", "title": "井盖缺失", "citizen_name": None, "citizen_phone": None}
    created = client.post("/api/v1/orders", json=patrol, headers=token_for(world.gridworker))
    assert created.status_code == 201
    assert created.json()["status"] == "new"  # waits for the centre to accept it
    number = created.json()["number"]
    assert client.get(f"/api/v1/orders/{number}", headers=token_for(world.gridworker)).status_code == 200
    listed = client.get("/api/v1/orders", headers=token_for(world.gridworker)).json()["items"]
    assert [o["number"] for o in listed] == [number]
    # Reporting it does not make it the grid worker's to handle.
    assert client.get(f"/api/v1/orders/{number}", headers=token_for(world.gridworker)).json()["allowed_actions"] == []


def test_leaders_read_but_do_not_attach(client, world, token_for, db):
    order = make_order(db, world, upto=Action.SIGN)
    read = client.get(f"/api/v1/orders/{order.number}", headers=token_for(world.leader)).json()
    assert read["can_attach"] is False
    upload = client.post(f"/api/v1/orders/{order.number}/attachments", files={"file": ("a.png", PNG, "image/png")},
                         headers=token_for(world.leader))
    assert upload.status_code == 403
    assert client.get(f"/api/v1/orders/{order.number}", headers=token_for(world.handler)).json()["can_attach"] is True


def test_odd_times_and_hand_made_cursors_are_422(client, world, token_for):
    headers = token_for(world.operator)
    year_one = client.get("/api/v1/orders", params={"created_from": "0001-01-01T00:00:00+08:00"}, headers=headers)
    assert year_one.status_code == 422
    assert year_one.json()["error"]["details"][0]["field"].endswith("created_from")
    for stamp, row_id in (("2026-11-23T08:00:00+08:00", 2**70), ("0001-01-01T00:00:00+08:00", 1),
                          ("2026-11-23T08:00:00", 1), ("2026-11-23T08:00:00+08:00", True)):
        cursor = base64.urlsafe_b64encode(json.dumps([stamp, row_id]).encode()).decode().rstrip("=")
        response = client.get("/api/v1/orders", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 422, (stamp, row_id)
        assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_phone_typed_in_full_width_digits_is_kept_in_ascii(client, world, token_for):
    created = client.post("/api/v1/orders", json={**ORDER, "citizen_phone": "１３９ ０７１５ １２３４"},
                          headers=token_for(world.operator))
    assert created.status_code == 201
    assert created.json()["citizen_phone"] == "13907151234"
    arabic = client.post("/api/v1/orders", json={**ORDER, "citizen_phone": "١٣٩٠٧١٥١٢٣٤"},
                         headers=token_for(world.operator))
    assert arabic.status_code == 422


def test_an_unknown_address_answers_in_chinese(client):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["error"] == {"code": "not_found", "message": "页面或资源不存在", "details": []}
