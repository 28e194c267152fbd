"""An Open311 request through its life: handled by the units like any order, read back closed with the city's
answer, its steps sent as updates, the reporter's follow-up reaching the handler; and the keys that let clients
in, each with its rate, managed on the administrators' page."""

from __future__ import annotations

import re

from sqlalchemy import select

from minhu.core.throttle import RateLimiter
from minhu.open311.models import Open311Request, Open311Update
from minhu.orders import queries
from minhu.orders.states import Action
from tests.factories import act
from tests.intake.test_pages import csrf_of, login
from tests.open311.conftest import BASE, KEY
from tests.open311.wire import FORMATS, created_id, error_of, post_request, read

REPLY = "已更换灯具，恢复照明。如有疑问请联系13900001111王师傅。"


def handle(db, world, number: str) -> None:
    for action, actor, params in ((Action.ACCEPT, world.operator, {}),
                                  (Action.DISPATCH, world.dispatcher, {"unit_id": world.street.id}),
                                  (Action.SIGN, world.handler, {}),
                                  (Action.REPLY, world.handler, {"note": REPLY})):
        act(db, number, action, actor, **params)


def test_a_handled_request_reads_closed_with_the_citys_answer_and_its_steps_as_updates(client, services, db):
    world = services
    number = created_id(post_request(client))
    handle(db, world, number)
    [replied] = client.get(f"{BASE}/requests/{number}.json").json()
    assert replied["status"] == "open"
    assert replied["status_notes"] is None, "not before the centre approves it"
    assert replied["agency_responsible"] == "积玉桥街"
    act(db, number, Action.APPROVE, world.dispatcher)

    for fmt in FORMATS:
        [item] = read(client.get(f"{BASE}/requests.{fmt}?status=closed"), fmt, item="request")
        assert item["service_request_id"] == number
        assert item["status"] == "closed"
        assert item["status_notes"] == "已更换灯具，恢复照明。如有疑问请联系139****1111王师傅。"
    [extended] = client.get(f"{BASE}/requests/{number}.json?extensions=true").json()
    attributes = extended["extended_attributes"]
    assert attributes["status_extended"] == "closed"
    assert attributes["channel"] == "api"
    assert attributes["owner"] == "积玉桥街"
    assert attributes["grade"] in ("A", "B", "C", "D")
    assert [n["status"] for n in attributes["notes"]] == ["open", "open", "action_scheduled", "action_scheduled",
                                                         "in_progress", "closed"]

    updates = read(client.get(f"{BASE}/servicerequestupdates.xml?api_key={KEY}"), "xml",
                   root="service_request_updates", item="request_update")
    assert [u["status"] for u in updates] == [n["status"] for n in attributes["notes"]]
    assert len({u["update_id"] for u in updates}) == len(updates)
    assert all(u["service_request_id"] == number for u in updates)
    assert updates[2]["description"] == "派单：积玉桥街"
    assert updates[-1]["description"].startswith("已更换灯具")
    assert "13900001111" not in updates[-1]["description"]
    # FixMyStreet asks for a window: only updates inside it come back
    late = client.get(f"{BASE}/servicerequestupdates.json?api_key={KEY}&start_date=2030-01-01T00:00:00Z"
                      "&end_date=2030-01-02T00:00:00Z")
    assert late.status_code == 200
    assert late.json() == []
    assert client.get(f"{BASE}/servicerequestupdates.json").status_code == 403

    late_note = client.post(f"{BASE}/servicerequestupdates.xml", data={
        "api_key": KEY, "service_request_id": number, "description": "修好了，谢谢", "update_id": "fms-closed"})
    assert late_note.status_code == 200
    with db.read() as s:
        order = queries.find_by_number(s, number)
        assert [e for e in queries.events_of(s, order) if e.action is Action.URGE] == [], "no urge once closed"
    login(client, world.dispatcher)
    page = client.get(f"/orders/{number}").text
    assert "修好了，谢谢 <span class=\"muted small\">（诉求已办结时收到）</span>" in page


def test_the_reporters_follow_up_reaches_the_handler_once(client, services, db):
    world = services
    number = created_id(post_request(client))
    handle(db, world, number)
    update = {"api_key": KEY, "service_request_id": number, "description": "灯还是不亮，晚上很危险",
              "update_id": "fms-881", "updated_datetime": "2026-12-07T20:00:00+08:00", "status": "OPEN",
              "first_name": "小明", "last_name": "王"}
    for fmt in FORMATS:
        response = client.post(f"{BASE}/servicerequestupdates.{fmt}", data=update)
        assert response.status_code == 200, response.text
        [item] = read(response, fmt, root="service_request_updates", item="request_update")
        assert item["update_id"]
    with db.read() as s:
        order = queries.find_by_number(s, number)
        urges = [e for e in queries.events_of(s, order) if e.action is Action.URGE]
    assert len(urges) == 1, "a retried update is the same update"
    assert urges[0].note == "市民补充：灯还是不亮，晚上很危险"
    assert urges[0].actor_name == "王小明（经 演示客户端（城市随手拍））"
    login(client, world.handler)
    page = client.get(f"/orders/{number}").text
    panel = page[page.index('id="open311-source"'):]
    assert "演示客户端（城市随手拍）" in panel
    assert "路灯出了什么问题？</dt><dd>整夜不亮" in panel
    assert "灯还是不亮，晚上很危险" in panel
    missing = client.post(f"{BASE}/servicerequestupdates.json", data={**update, "service_request_id": "WC1"})
    assert missing.status_code == 404
    assert "WC1" in error_of(missing, "json")["description"]
    public = client.get(f"{BASE}/requests/{number}.json?extensions=true").text
    feed = client.get(f"{BASE}/servicerequestupdates.json?api_key={KEY}").text
    for secret in ("王小明", "小明"):
        assert secret not in public
        assert secret not in feed


def test_keys_are_issued_once_limited_per_minute_and_revoked_on_the_admin_page(client, services, db):
    world = services
    login(client, world.admin)
    page = client.get("/admin/open311")
    assert page.status_code == 200
    assert "演示客户端（城市随手拍）" in page.text
    assert "streetlight" in page.text
    shown = client.post("/admin/open311/keys", data={"csrf_token": csrf_of(page.text), "name": "城市随手拍",
                                                     "per_minute": "2"})
    key = re.search(r'id="new-key" value="([^"]+)"', shown.text)
    assert shown.status_code == 200
    assert key is not None
    key_id = int(re.findall(r'id="key-(\d+)"', shown.text)[0])
    assert key.group(1) not in client.get("/admin/open311").text, "shown once"

    first = post_request(client, api_key=key.group(1))
    number = created_id(first)
    with db.read() as s:
        assert s.scalar(select(Open311Request.key_id).where(Open311Request.order_id.is_not(None))) == key_id
    assert post_request(client, api_key=key.group(1), description="另一盏路灯也不亮").status_code == 201
    limited = post_request(client, api_key=key.group(1), description="第三盏路灯也不亮")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert "秒后再试" in error_of(limited, "json")["description"]

    client.post(f"/admin/open311/keys/{key_id}/revoke", data={"csrf_token": csrf_of(page.text)})
    revoked = post_request(client, api_key=key.group(1), description="第四盏")
    assert revoked.status_code == 403
    assert "吊销" in error_of(revoked, "json")["description"]
    assert client.get(f"{BASE}/requests/{number}.json").status_code == 200, "its requests stay readable"
    assert "已吊销" in client.get("/admin/open311").text


def test_an_administrator_publishes_a_category_with_its_questions_and_unpublishes_it(client, services):
    login(client, services.admin)
    page = client.get("/admin/open311").text
    csrf = csrf_of(page)
    taken = client.post("/admin/open311/services", data={"csrf_token": csrf, "category_code": "080105",
                                                          "code": "streetlight"})
    assert taken.status_code == 422
    assert "服务代码 streetlight 已用于另一分类" in taken.text
    published = client.post("/admin/open311/services", data={"csrf_token": csrf, "category_code": "080105",
                                                              "code": "sorting", "notice": "社区将上门指导分类"})
    assert published.status_code == 200
    assert "已发布为服务 sorting" in published.text
    refused = client.post("/admin/open311/services/sorting/attributes", data={
        "csrf_token": csrf, "attribute_code": "bin", "datatype": "singlevaluelist", "description": "哪类垃圾桶？"})
    assert refused.status_code == 422
    assert "须列出选项" in refused.text
    client.post("/admin/open311/services/sorting/attributes", data={
        "csrf_token": csrf, "attribute_code": "bin", "datatype": "singlevaluelist", "description": "哪类垃圾桶？",
        "values": "kitchen=厨余垃圾\nother=其他垃圾", "required": "1", "variable": "1"})
    page = client.get("/admin/open311/services/sorting").text
    assert "厨余垃圾" in page
    assert re.search(r'<textarea name="values"[^>]*></textarea>', page), "a fresh form has no options"
    definition = client.get(f"{BASE}/services/sorting.json").json()
    assert definition["attributes"][0]["values"] == [{"key": "kitchen", "name": "厨余垃圾"},
                                                     {"key": "other", "name": "其他垃圾"}]
    assert definition["attributes"][0]["required"] is True
    client.post("/admin/open311/services/sorting/unpublish", data={"csrf_token": csrf})
    assert "sorting" not in [s["service_code"] for s in client.get(f"{BASE}/services.json").json()]
    assert client.get(f"{BASE}/services/sorting.xml").status_code == 404
    assert post_request(client, service_code="sorting", **{"attribute[fault]": None}).status_code == 400
    client.post("/admin/open311/services/sorting/republish", data={"csrf_token": csrf})
    assert "sorting" in [s["service_code"] for s in client.get(f"{BASE}/services.json").json()]


def test_only_administrators_manage_open311(client, services):
    login(client, services.dispatcher)
    assert client.get("/admin/open311").status_code == 403


def test_the_rate_counts_a_sliding_minute_per_key():
    now = [0.0]
    limiter = RateLimiter(window_seconds=60, now=lambda: now[0])
    assert [limiter.take("a", 2) for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("a", 2) == 60.0
    assert limiter.take("b", 2) == 0.0
    now[0] = 30.0
    assert limiter.take("a", 2) == 30.0
    now[0] = 60.5
    assert limiter.take("a", 2) == 0.0


def test_a_request_joined_to_its_matter_follows_the_main_orders_handling_to_its_answer(client, services, db):
    world = services
    first = created_id(post_request(client))
    second = created_id(post_request(client, description="我家楼下那盏路灯也是一直不亮，晚上走路看不见"))
    act(db, second, Action.MERGE, world.dispatcher, duplicate_of=first)
    [joined] = client.get(f"{BASE}/requests/{second}.json?extensions=true").json()
    assert joined["status"] == "open"
    assert joined["extended_attributes"]["status_extended"] == "duplicate"
    assert joined["status_notes"] == "已与同一事项的其他诉求合并办理"
    follow_up = client.post(f"{BASE}/servicerequestupdates.json", data={
        "api_key": KEY, "service_request_id": second, "description": "天黑以后整条路都看不见", "update_id": "fms-9"})
    assert follow_up.status_code == 200
    with db.read() as s:
        main = queries.find_by_number(s, first)
        [urged] = [e for e in queries.events_of(s, main) if e.action is Action.URGE]
    assert urged.note == f"市民补充（工单 {second} 并入本件）：天黑以后整条路都看不见", "the matter's handler hears it"
    handle(db, world, first)
    act(db, first, Action.APPROVE, world.dispatcher)

    [answered] = client.get(f"{BASE}/requests/{second}.json").json()
    assert answered["status"] == "closed"
    assert answered["status_notes"].startswith("已更换灯具")
    updates = [u for u in client.get(f"{BASE}/servicerequestupdates.json?api_key={KEY}").json()
               if u["service_request_id"] == second]
    assert [u["status"] for u in updates] == ["open", "duplicate", "open", "action_scheduled", "action_scheduled",
                                              "in_progress", "closed"]
    assert updates[3]["description"] == "派单：积玉桥街"
    assert updates[-1]["description"].startswith("已更换灯具")
    assert len({u["update_id"] for u in updates}) == len(updates)


def test_erasing_the_reporter_masks_their_follow_ups_and_their_name_in_the_trail(client, services, db, run):
    world = services
    number = created_id(post_request(client, phone="13612345678", first_name="小明", last_name="王"))
    handle(db, world, number)
    client.post(f"{BASE}/servicerequestupdates.json", data={
        "api_key": KEY, "service_request_id": number, "description": "灯还是不亮，我王小明电话13612345678",
        "update_id": "fms-882", "status": "OPEN", "first_name": "小明", "last_name": "王"})

    erased = run("citizens", "erase", "13612345678", "--yes")

    assert erased.exit_code == 0, erased.output
    with db.read() as s:
        order = queries.find_by_number(s, number)
        events = queries.events_of(s, order)
        follow_ups = s.scalars(select(Open311Update.description).where(Open311Update.order_id == order.id)).all()
    [urge] = [e for e in events if e.action is Action.URGE]
    assert urge.actor_name == "王**（经 演示客户端（城市随手拍））"
    assert urge.note == "市民补充：灯还是不亮，我王**电话136****5678"
    assert follow_ups == ["灯还是不亮，我王**电话136****5678"]
    staff = [e for e in events if e.actor_id is not None]
    assert world.handler.full_name in [e.actor_name for e in staff]  # who handled it stays named
