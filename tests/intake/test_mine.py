"""我的诉求: a resident proves a phone with a one-time code sent by SMS through the outbox, and sees every order
made with it — and no one else's. Codes are kept as digests, expire, burn after five wrong tries; asking is
limited per number and per client, with the wait said in Chinese."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.intake import phone_codes
from minhu.intake.models import PhoneCode
from minhu.notify.models import OutboxMessage
from tests.factories import make_order
from tests.intake.test_pages import csrf_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
MINE, OTHER = "13655556666", "13900001111"


def ask(client, phone: str = MINE):
    return client.post("/public/mine/code", data={"csrf_token": csrf_of(client.get("/public/mine").text),
                                                  "phone": phone})


def verify(client, code: str, phone: str = MINE):
    return client.post("/public/mine/verify", data={"csrf_token": csrf_of(client.get("/public/mine").text),
                                                    "phone": phone, "code": code}, follow_redirects=False)


def last_code(db, phone: str = MINE) -> str:
    with db.read() as s:
        message = s.scalars(select(OutboxMessage).where(OutboxMessage.recipient == phone,
                                                        OutboxMessage.template_key == "public.code")
                            .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, "the code goes out by SMS through the outbox"
    found = re.search(r"验证码(\d{6})", message.body)
    assert found is not None, message.body
    return found.group(1)


@pytest.fixture
def orders(db, world):
    with clock.frozen(START - timedelta(days=3)):
        return {"mine": [make_order(db, world, citizen_phone=MINE, title="小区路灯不亮"),
                         make_order(db, world, citizen_phone=MINE, title="垃圾三天未清运")],
                "other": make_order(db, world, citizen_phone=OTHER, title="邻居的诉求")}


def test_a_resident_proves_the_phone_and_sees_every_order_made_with_it_and_no_other(client, db, world, orders):
    with clock.frozen(START):
        asked = ask(client)
        assert asked.status_code == 200
        assert "验证码已以短信发送至" in asked.text
        assert "136****6666" in asked.text
        assert MINE not in asked.text.replace(f'value="{MINE}"', "")
        assert verify(client, "000000" if last_code(db) != "000000" else "111111").status_code == 422

        proven = verify(client, last_code(db))
        assert proven.status_code == 303
        page = client.get("/public/mine").text

    assert "小区路灯不亮" in page
    assert "垃圾三天未清运" in page
    assert "邻居的诉求" not in page
    mine = orders["mine"][0]
    with clock.frozen(START + timedelta(minutes=5)):
        detail = client.get(f"/public/mine/{mine.number}")
        stranger = client.get(f"/public/mine/{orders['other'].number}")
    assert detail.status_code == 200
    assert 'id="track-result"' in detail.text
    assert "受理" in detail.text or "登记" in detail.text
    assert stranger.status_code == 404
    assert "邻居的诉求" not in stranger.text


def test_the_proof_lasts_two_hours_and_ends_on_leaving(client, db, world, orders):
    with clock.frozen(START):
        ask(client)
        verify(client, last_code(db))
    with clock.frozen(START + timedelta(hours=1, minutes=59)):
        assert "小区路灯不亮" in client.get("/public/mine").text
    with clock.frozen(START + timedelta(hours=2, minutes=1)):
        assert "获取验证码" in client.get("/public/mine").text
        assert client.get(f"/public/mine/{orders['mine'][0].number}", follow_redirects=False).status_code == 303
    with clock.frozen(START + timedelta(hours=3)):
        ask(client)
        verify(client, last_code(db))
        assert "小区路灯不亮" in client.get("/public/mine").text
        page = client.get("/public/mine").text
        client.post("/public/mine/leave", data={"csrf_token": csrf_of(page)})
        assert "小区路灯不亮" not in client.get("/public/mine").text


def test_a_code_is_kept_as_a_digest_expires_and_burns_after_five_wrong_tries(client, db, world, settings):
    with clock.frozen(START):
        ask(client)
        code = last_code(db)
        with db.read() as s:
            [row] = s.scalars(select(PhoneCode)).all()
        assert code not in row.code_digest
        wrong = "123456" if code != "123456" else "654321"
        for _ in range(phone_codes.MAX_TRIES):
            assert verify(client, wrong).status_code == 422
        assert verify(client, code).status_code == 422, "burnt: the right code no longer opens"
    with clock.frozen(START + timedelta(minutes=2)):
        ask(client)
        fresh = last_code(db)
    with clock.frozen(START + timedelta(minutes=2 + phone_codes.CODE_MINUTES, seconds=1)):
        refused = verify(client, fresh)
        assert refused.status_code == 422
        assert "已过期" in refused.text


def test_asking_again_within_a_minute_and_too_often_an_hour_is_refused_with_the_wait(client, db, world):
    with clock.frozen(START):
        assert ask(client).status_code == 200
        again = ask(client)
    assert again.status_code == 429
    assert again.headers["retry-after"] == "60"
    assert "60 秒后再获取" in again.text
    for minute in range(1, phone_codes.PER_PHONE_HOUR):
        with clock.frozen(START + timedelta(minutes=minute * 2)):
            assert ask(client).status_code == 200
    with clock.frozen(START + timedelta(minutes=20)):
        flood = ask(client)
    assert flood.status_code == 429
    assert "分钟后再试" in flood.text
    with db.read() as s:
        assert len(s.scalars(select(PhoneCode)).all()) == phone_codes.PER_PHONE_HOUR
    with clock.frozen(START + timedelta(hours=1, minutes=1)):
        assert ask(client).status_code == 200, "the hour has passed"


def test_one_client_asking_for_many_numbers_is_stopped(client, db, world):
    with clock.frozen(START):
        for n in range(phone_codes.PER_CLIENT_HOUR):
            assert ask(client, f"1390000{n:04d}").status_code == 200
        stopped = ask(client, "13912345678")
    assert stopped.status_code == 429
    assert "获取验证码过于频繁" in stopped.text
    with db.read() as s:
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "13912345678")).first() is None


@pytest.mark.parametrize("phone", ["027-88886666", "12345", "", "１３６５５５５６６６x"])
def test_a_number_that_is_no_mobile_gets_a_clear_error(client, world, phone):
    refused = ask(client, phone)
    assert refused.status_code == 422
    assert "11 位手机号码" in refused.text
