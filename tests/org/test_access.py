"""Signing in and out as an attacker would try it: guessing passwords is limited per account and per client,
and a session or token ends on the server when its person logs out, changes the password or is disabled."""

import base64
import json
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from minhu.core import clock
from minhu.org import access
from minhu.org.models import ApiToken, LoginSession, User
from tests.factories import PASSWORD
from tests.intake.test_pages import csrf_of, login


def try_login(client: TestClient, username: str, password: str):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/orders"}, follow_redirects=False)


def other_client(app, address: str = "203.0.113.9") -> TestClient:
    return TestClient(app, client=(address, 50000))


def test_thirty_wrong_passwords_lock_the_account_even_against_the_right_one(client, world):
    with clock.frozen(clock.now()):
        answers = [try_login(client, world.dispatcher.username, f"guess-{n}") for n in range(30)]
        right = try_login(client, world.dispatcher.username, PASSWORD)
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert {a.status_code for a in answers[5:]} == {429}
    assert right.status_code == 429
    assert "该账号密码错误次数过多" in right.text
    assert "15 分钟后再试" in right.text
    assert right.headers["Retry-After"] == "900"
    # The token endpoint is the same door: the account is locked there too, with the JSON error.
    api = client.post("/api/v1/auth/token", json={"username": world.dispatcher.username, "password": PASSWORD})
    assert api.status_code == 429
    assert api.json()["error"]["code"] == "too_many_attempts"
    assert int(api.headers["Retry-After"]) > 0
    # Other accounts are not locked by it.
    assert try_login(client, world.handler.username, PASSWORD).status_code == 303


def test_the_lock_ends_and_a_second_run_locks_for_longer(client, world):
    start = clock.now()
    with clock.frozen(start):
        answers = [client.post("/api/v1/auth/token", json={"username": world.leader.username, "password": f"x{n}"})
                   for n in range(6)]
        assert [a.status_code for a in answers] == [401] * 5 + [429]
    with clock.frozen(start + timedelta(minutes=15)):
        assert try_login(client, world.leader.username, "still-wrong").status_code == 401
        for n in range(4):
            try_login(client, world.leader.username, f"y{n}")
        assert try_login(client, world.leader.username, PASSWORD).headers["Retry-After"] == "1800"


def test_the_right_password_clears_the_account_count(client, world):
    for _ in range(4):
        assert try_login(client, world.operator.username, "wrong password").status_code == 401
    assert try_login(client, world.operator.username, PASSWORD).status_code == 303
    for _ in range(4):
        assert try_login(client, world.operator.username, "wrong password").status_code == 401
    assert try_login(client, world.operator.username, PASSWORD).status_code == 303


def test_one_client_spraying_many_names_is_locked_whatever_the_name(app, client, world):
    for n in range(20):
        assert try_login(client, f"clerk{n % 5}", "123456").status_code == 401
    refused = client.post("/api/v1/auth/token", json={"username": world.admin.username, "password": PASSWORD})
    assert refused.status_code == 429
    assert "登录失败次数过多" in refused.json()["error"]["message"]
    # The account itself is not locked: the same person signs in from another address.
    with other_client(app) as elsewhere:
        assert try_login(elsewhere, world.admin.username, PASSWORD).status_code == 303


def test_logging_out_ends_a_copied_session_cookie(app, client, world):
    login(client, world.dispatcher)
    with other_client(app) as thief:
        thief.cookies.update(client.cookies)
        assert thief.get("/orders", follow_redirects=False).status_code == 200
        page = client.get("/orders").text
        client.post("/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
        assert thief.get("/orders", follow_redirects=False).headers["location"].startswith("/login")


def test_changing_the_password_ends_every_other_session_and_token(app, client, world, db):
    login(client, world.handler)
    token = client.post("/api/v1/auth/token", json={"username": world.handler.username, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    with other_client(app) as laptop:
        login(laptop, world.handler)
        form = {"csrf_token": csrf_of(client.get("/account/password").text), "current": PASSWORD,
                "new": "a new long secret", "repeated": "a new long secret"}
        changed = client.post("/account/password", data=form, follow_redirects=True)
        assert changed.status_code == 200
        assert "密码已修改" in changed.text
        assert client.get("/orders", follow_redirects=False).status_code == 200  # this browser stays in
        assert laptop.get("/orders", follow_redirects=False).status_code == 303
        assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert try_login(client, world.handler.username, PASSWORD).status_code == 401
    assert try_login(client, world.handler.username, "a new long secret").status_code == 303


def test_wrong_current_passwords_on_the_change_page_count_like_wrong_logins(client, world):
    login(client, world.reviewer)
    form = {"csrf_token": csrf_of(client.get("/account/password").text), "current": "not it",
            "new": "a new long secret", "repeated": "a new long secret"}
    answers = [client.post("/account/password", data=form).status_code for _ in range(6)]
    assert answers == [422] * 5 + [429]
    assert try_login(client, world.reviewer.username, PASSWORD).status_code == 429


def test_a_password_reset_by_the_administrator_lifts_the_lock(client, world, db, run):
    for n in range(6):
        try_login(client, world.leader.username, f"wrong {n}")
    assert try_login(client, world.leader.username, PASSWORD).status_code == 429
    reset = run("users", "password", world.leader.username, input="a fresh secret 1\na fresh secret 1\n")
    assert reset.exit_code == 0, reset.output
    assert try_login(client, world.leader.username, "a fresh secret 1").status_code == 303


def test_a_password_change_with_the_wrong_current_password_is_refused(client, world, db):
    login(client, world.reviewer)
    form = {"csrf_token": csrf_of(client.get("/account/password").text), "current": "not it",
            "new": "a new long secret", "repeated": "a new long secret"}
    refused = client.post("/account/password", data=form)
    assert refused.status_code == 422
    assert "当前密码不正确" in refused.text
    mismatched = client.post("/account/password", data={**form, "current": PASSWORD, "repeated": "another one"})
    assert "两次输入的新密码不一致" in mismatched.text
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(LoginSession)
                              .where(LoginSession.revoked_at.is_not(None))) == 0


def test_disabling_an_account_ends_its_sessions_and_tokens_at_once(client, world, db):
    login(client, world.operator)
    token = client.post("/api/v1/auth/token", json={"username": world.operator.username, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    with db.transaction() as session:
        access.set_active(session, session.get_one(User, world.operator.id), False)
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert client.get("/orders", follow_redirects=False).status_code == 303
    assert try_login(client, world.operator.username, PASSWORD).status_code == 401


def test_a_token_can_be_revoked_by_its_holder(client, world):
    token = client.post("/api/v1/auth/token", json={"username": world.leader.username, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=bearer).status_code == 204
    refused = client.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"
    assert client.delete("/api/v1/auth/token", headers=bearer).status_code == 401


def test_ended_sessions_and_tokens_are_deleted_a_day_later(client, world, db, settings):
    start = clock.now()
    with clock.frozen(start):
        login(client, world.dispatcher)
        client.post("/api/v1/auth/token", json={"username": world.dispatcher.username, "password": PASSWORD})
        page = client.get("/orders").text
        client.post("/logout", data={"csrf_token": csrf_of(page)})
        login(client, world.dispatcher)  # live for twelve hours
    with clock.frozen(start + timedelta(hours=settings.token_ttl_hours, minutes=1)):
        access.cleanup_job(db)
    with db.read() as session:  # ended less than a day ago: kept
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 1
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 2
    with clock.frozen(start + timedelta(days=1, hours=12, minutes=1)):
        access.cleanup_job(db)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_the_cookie_holds_no_user_id(client, world, db):
    login(client, world.dispatcher)
    cookie = client.cookies["minhu_session"]
    payload = json.loads(base64.b64decode(cookie.split(".")[0] + "=="))
    assert "user_id" not in payload
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", payload["sid"])
