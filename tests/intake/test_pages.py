"""Server-rendered pages over HTTP: login, CSRF, the operator's form, the resident pages."""

import re
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from minhu.guard import service as guard
from minhu.intake import tracking
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from tests.factories import PASSWORD, act, make_order


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client, user) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token,
                                           "next": "/orders"}, follow_redirects=False)
    assert response.status_code == 303


def test_pages_need_a_login(client):
    response = client.get("/orders", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_a_wrong_password_says_so_in_chinese(client, world):
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": world.operator.username, "password": "wrong-password",
                                           "csrf_token": token})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_a_form_without_the_csrf_token_is_refused(client, world):
    login(client, world.operator)
    response = client.post("/orders/new", data={"type": "help", "title": "t", "content": "c"})
    assert response.status_code == 403


def test_operator_registers_an_order_and_lands_on_its_page(client, world):
    login(client, world.operator)
    page = client.get("/orders/new").text
    form = {"csrf_token": csrf_of(page), "idem": "form-1", "type": "help", "channel": "hotline",
            "urgency": "urgent", "title": "独居老人家中停水", "content": "和平社区5栋独居老人家中停水两天。",
            "citizen_phone": "13912345678"}
    response = client.post("/orders/new", data=form)
    assert response.status_code == 200
    assert "独居老人家中停水" in response.text
    assert "已受理" in response.text
    again = client.post("/orders/new", data=form)
    assert again.url.path == response.url.path, "a double submit registers one order"


def test_operator_form_shows_field_errors_and_keeps_what_was_typed(client, world):
    login(client, world.operator)
    form = {"csrf_token": csrf_of(client.get("/orders/new").text), "type": "help", "title": "路面塌陷",
            "content": "友谊大道路面塌陷", "citizen_phone": "12345"}
    response = client.post("/orders/new", data=form)
    assert response.status_code == 422
    assert "路面塌陷" in response.text
    assert "不是有效的电话号码" in response.text


def test_order_page_shows_only_the_actions_allowed_now(client, world, db):
    order = make_order(db, world, upto=Action.DISPATCH)
    login(client, world.handler)
    html = client.get(f"/orders/{order.number}").text
    actions = set(re.findall(r'data-action="([a-z_]+)"', html))
    assert actions == {"sign", "return"}
    assert "138****5678" in html


def test_a_handler_cannot_open_another_streets_order(client, world, db):
    order = make_order(db, world, upto=Action.DISPATCH)
    login(client, world.other_handler)
    response = client.get(f"/orders/{order.number}", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert order.title not in response.text


def test_resident_submits_and_follows_an_order(client, world):
    page = client.get("/public/report").text
    submitted = client.post("/public/report", data={
        "csrf_token": csrf_of(page), "idem": "r-1", "type": "complaint", "title": "小区垃圾三天没人清运",
        "content": "临江社区垃圾站三天没有清运，气味很大。", "citizen_phone": "13655556666"})
    assert submitted.status_code == 200
    number = re.search(r'id="order-number">([A-Z0-9]+)<', submitted.text).group(1)
    token = csrf_of(client.get("/public/track").text)
    wrong = client.post("/public/track", data={"csrf_token": token, "number": number, "phone_last4": "0000"})
    assert wrong.status_code == 404
    assert "小区垃圾" not in wrong.text
    right = client.post("/public/track", data={"csrf_token": token, "number": number, "phone_last4": "6666"})
    assert right.status_code == 200
    assert "待受理" in right.text


def test_resident_must_leave_a_phone(client, world):
    page = client.get("/public/report").text
    response = client.post("/public/report", data={"csrf_token": csrf_of(page), "type": "help", "title": "求助",
                                                   "content": "内容"})
    assert response.status_code == 422
    assert "手机号码" in response.text


def test_an_error_page_keeps_the_signed_in_persons_top_bar(client, world):
    login(client, world.handler)
    response = client.get("/orders/WC20990101000001", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert world.handler.full_name in response.text
    assert 'action="/logout"' in response.text


def test_tracking_locks_a_number_after_five_wrong_guesses(client, world, db):
    order = make_order(db, world, citizen_phone="13912345678")
    token = csrf_of(client.get("/public/track").text)
    for guess in ("0000", "1111", "2222", "3333", "4444"):
        wrong = client.post("/public/track", data={"csrf_token": token, "number": order.number, "phone_last4": guess})
        assert wrong.status_code == 404
    # The right digits no longer help: the number is locked, and the page says for how long.
    locked = client.post("/public/track", data={"csrf_token": token, "number": order.number, "phone_last4": "5678"})
    assert locked.status_code == 429
    assert "错误次数过多" in locked.text
    assert order.title not in locked.text


def test_one_client_cannot_walk_the_order_numbers(app, client, world, db):
    orders = [make_order(db, world, citizen_phone=f"1391234{n:04d}") for n in range(1, 13)]
    token = csrf_of(client.get("/public/track").text)
    answers = [client.post("/public/track", data={"csrf_token": token, "number": o.number, "phone_last4": "0000"})
               for o in orders[:11]]
    assert [a.status_code for a in answers] == [404] * 10 + [429]
    assert "查询错误次数过多" in answers[-1].text
    assert int(answers[-1].headers["Retry-After"]) > 0
    # Even the right digits are refused to this client now; another client follows its own order as usual.
    last = orders[11]
    form = {"csrf_token": token, "number": last.number, "phone_last4": last.citizen_phone[-4:]}
    assert client.post("/public/track", data=form).status_code == 429
    with TestClient(app, client=("198.51.100.7", 40000)) as neighbour:
        form["csrf_token"] = csrf_of(neighbour.get("/public/track").text)
        assert neighbour.post("/public/track", data=form).status_code == 200


def test_the_link_given_at_submission_opens_the_order_and_no_other_link_does(client, world, db):
    page = client.get("/public/report").text
    submitted = client.post("/public/report", data={
        "csrf_token": csrf_of(page), "idem": "r-link", "type": "complaint", "title": "楼下餐馆油烟扰民",
        "content": "每天晚上油烟直冲楼上窗户。", "citizen_phone": "13655556666"})
    link = re.search(r'id="track-link" href="(/public/track/([A-Z0-9]+)/([a-z2-7]+))"', submitted.text)
    assert link is not None
    opened = client.get(link.group(1))
    assert opened.status_code == 200
    assert "楼下餐馆油烟扰民" in opened.text
    number, code = link.group(2), link.group(3)
    forged = client.get(f"/public/track/{number}/{'a' * len(code)}")
    assert forged.status_code == 404
    assert "楼下餐馆油烟扰民" not in forged.text
    # Another order's code does not open this one.
    other = make_order(db, world, title="隔壁工地夜间施工")
    other_code = tracking.code_for(other.number, "test-secret")
    assert client.get(f"/public/track/{other.number}/{other_code}").status_code == 200
    assert client.get(f"/public/track/{number}/{other_code}").status_code == 404
    assert client.get(f"/public/track/{other.number}/{code}").status_code == 404


def test_one_client_cannot_flood_the_public_report_page(client, world, db):
    page = client.get("/public/report").text
    base = {"csrf_token": csrf_of(page), "type": "complaint", "content": "路灯不亮，晚上很黑。"}
    answers = [client.post("/public/report", data={**base, "idem": f"flood-{n}", "title": f"路灯不亮 {n}",
                                                     "citizen_phone": f"1365555{n:04d}"})
               for n in range(guard.REPORT_CLIENT.attempts + 1)]
    assert [a.status_code for a in answers] == [200] * guard.REPORT_CLIENT.attempts + [429]
    assert "提交过于频繁" in answers[-1].text
    assert "12345" in answers[-1].text
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == guard.REPORT_CLIENT.attempts
    # The refused form keeps what was typed.
    assert f"路灯不亮 {guard.REPORT_CLIENT.attempts}" in answers[-1].text


def test_the_reply_reaches_the_resident_only_after_review(client, world, db):
    order = make_order(db, world, citizen_phone="13912345678", upto=Action.REPLY)
    token = csrf_of(client.get("/public/track").text)
    form = {"csrf_token": token, "number": order.number, "phone_last4": "5678"}
    replied = client.post("/public/track", data=form)
    assert replied.status_code == 200
    assert "已处理完毕" not in replied.text
    act(db, order.number, Action.APPROVE, world.dispatcher)
    reviewed = client.post("/public/track", data=form)
    assert "已处理完毕" in reviewed.text


def test_an_oversize_upload_from_the_page_gets_a_readable_page(client, world, db, settings):
    order = make_order(db, world)
    login(client, world.operator)
    token = csrf_of(client.get(f"/orders/{order.number}").text)
    huge = b"\x89PNG\r\n\x1a\n" + b"\x00" * (settings.max_upload_bytes + 128 * 1024)
    response = client.post(f"/orders/{order.number}/attachments", data={"csrf_token": token},
                           files={"file": ("big.png", huge, "image/png")}, headers={"accept": "text/html"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "文件过大" in response.text


def test_a_changed_form_sent_again_with_its_old_key_asks_to_confirm(client, world):
    page = client.get("/public/report").text
    form = {"csrf_token": csrf_of(page), "idem": "r-2", "type": "help", "title": "楼道灯坏了",
            "content": "3栋2单元楼道灯不亮。", "citizen_phone": "13655556666"}
    first = client.post("/public/report", data=form)
    number = re.search(r'id="order-number">([A-Z0-9]+)<', first.text).group(1)
    changed = client.post("/public/report", data={**form, "title": "楼道灯和门禁都坏了"})
    assert changed.status_code == 409
    assert number in changed.text
    fresh_key = re.search(r'name="idem" value="([^"]+)"', changed.text).group(1)
    assert fresh_key != "r-2"
    confirmed = client.post("/public/report", data={**form, "title": "楼道灯和门禁都坏了", "idem": fresh_key})
    assert confirmed.status_code == 200
    assert re.search(r'id="order-number">([A-Z0-9]+)<', confirmed.text).group(1) != number


def test_a_grid_worker_s_form_starts_on_the_patrol_channel(client, world):
    login(client, world.gridworker)
    page = client.get("/orders/new").text
    assert '<option value="grid_patrol" selected' in page
    # A grid worker reports what the patrol found, and the report waits for the centre: the form says so.
    assert 'value="hotline"' not in page
    assert "提交上报（待指挥中心受理）" in page
    assert "登记并受理" not in page
    login(client, world.operator)
    operator_page = client.get("/orders/new").text
    assert 'value="hotline"' in operator_page
    assert "登记并受理" in operator_page


def _orders(db) -> list[WorkOrder]:
    with db.read() as session:
        return list(session.scalars(select(WorkOrder)))


def _report_form(page: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_of(page), "idem": "r-enc", "type": "complaint", "title": "小区垃圾三天没人清运",
            "content": "临江社区垃圾站三天没有清运。", "citizen_phone": "13655556666", **fields}


@pytest.mark.parametrize("kind", ["urlencoded", "multipart"])
@pytest.mark.parametrize(("field", "raw", "refusal"), [
    ("title", "垃圾没人清运".encode("gbk"), "UTF-8"),  # a page saved by an old browser in GBK
    ("content", b"\xe5\x9e\x83\xe5\x9c", "UTF-8"),  # UTF-8 cut in the middle of a character
    ("content", "垃圾\x00没人清运".encode(), "NUL"),
])
def test_a_report_that_is_not_utf8_text_is_refused_and_nothing_is_registered(client, db, world, kind, field, raw,
                                                                             refusal):
    form = {k: v.encode() for k, v in _report_form(client.get("/public/report").text).items()}
    form[field] = raw
    if kind == "urlencoded":
        response = client.post("/public/report", content=urlencode(form).encode("ascii"), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
    else:
        response = client.post("/public/report", files=[(k, (None, v)) for k, v in form.items()],
                               headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert refusal in response.text
    assert f"字段 {field}" in response.text
    assert "\ufffd" not in response.text
    assert _orders(db) == []


def test_a_report_sent_as_raw_utf8_keeps_its_chinese(client, db, world):
    page = client.get("/public/report").text
    # curl -d sends the bytes unescaped: they are read as UTF-8, not as Latin-1.
    raw = urlencode({"csrf_token": csrf_of(page), "idem": "r-raw", "type": "help", "citizen_phone": "13655556666"})
    body = raw.encode() + "&title=独居老人家中停水&content=和平社区5栋独居老人家中停水两天。".encode()
    sent = client.post("/public/report", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert sent.status_code == 200, sent.text
    (order,) = _orders(db)
    assert (order.title, order.content) == ("独居老人家中停水", "和平社区5栋独居老人家中停水两天。")
