"""The public message board (城市留言板): a resident's public message shows only once a moderator has published
it, with personal data masked in its own words; abuse is held; the approved reply appears under it; residents
support a message once each; the board is searched by words, street and category."""

from __future__ import annotations

import html
import re

import pytest

from minhu.board.masking import mask
from minhu.orders.states import Action
from tests.factories import act
from tests.intake.test_pages import csrf_of, login

SECRET_WORDS = "我的电话13812345678，身份证420106199001011234，车停在鄂A12345，住3-2-501。"


LAMP = "幸福里小区门口的路灯坏了一个多星期。" + SECRET_WORDS


def report(client, *, title: str = "小区门口路灯不亮", content: str = LAMP, public: bool = True,
           idem: str = "b-1") -> str:
    page = client.get("/public/report").text
    sent = client.post("/public/report", data={
        "csrf_token": csrf_of(page), "idem": idem, "type": "help", "title": title, "content": content,
        "citizen_phone": "13655556666", **({"public": "on"} if public else {})})
    assert sent.status_code == 200
    return _one(r'id="order-number">([A-Z0-9]+)<', sent.text)


def _one(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)


def moderate(client, world, number: str, action: str, **form: str):
    login(client, world.dispatcher)
    queue = client.get("/board/moderation").text
    item = re.search(rf'<li class="card" id="pending-{number}">(.*?)</li>', queue, flags=re.S)
    assert item is not None, "waiting in the moderation queue"
    order_id = _one(r"/board/moderation/(\d+)/", item.group(1))
    if action == "publish":  # as the browser sends the form: the masked title and text, as shown or corrected
        shown = {"title": html.unescape(_one(r'name="title" value="([^"]*)"', item.group(1))),
                 "text": html.unescape(_one(r'name="text" rows="4">([^<]*)<', item.group(1)))}
        form = {**shown, **form}
    return client.post(f"/board/moderation/{order_id}/{action}", data={"csrf_token": csrf_of(queue), **form}), item


@pytest.mark.parametrize(("text", "kept", "gone", "label"), [
    ("电话13812345678", "138****5678", "13812345678", "手机号码"),
    ("电话 138-1234-5678", "138****5678", "1234", "手机号码"),
    ("座机027-88886666", "027-********", "88886666", "固定电话"),
    ("身份证420106199001011234", "420106", "19900101", "身份证号"),
    ("车牌鄂A12345挡住消防通道", "鄂A·*****", "12345", "车牌号"),
    ("住3-2-501", "3-*-***", "501", "门牌号"),
    ("2单元1101室漏水", "2单元***室", "1101", "门牌号"),
    ("+8613812345678", "138****5678", "1234", "手机号码"),
    ("+86 138 1234 5678", "138****5678", "1234", "手机号码"),
    ("１３８１２３４５６７８", "138****5678", "1234", "手机号码"),
    ("座机027 8888 6666", "027-********", "8888", "固定电话"),
    ("鄂a12345", "鄂A·*****", "12345", "车牌号"),
])
def test_masking_hides_personal_data_in_the_words_and_says_what(text, kept, gone, label):
    masked = mask(text)
    assert kept in masked.text
    assert gone not in masked.text
    assert label in masked.found


def test_masking_leaves_places_dates_and_ordinary_numbers():
    text = "和平大道123号路灯2026年12月7日起不亮，3栋门口，已反映2次。"
    assert mask(text).text == text
    assert mask(text).found == ()


def test_a_public_message_shows_only_once_published_masked_and_with_its_approved_reply(client, db, world):
    number = report(client)
    assert number not in client.get("/public/board").text, "nothing is public before moderation"
    assert client.get(f"/public/board/{number}").status_code == 404

    published, item = moderate(client, world, number, "publish")
    assert "13812345678" in item.group(1), "the moderator sees the original words"
    assert "手机号码已隐去" in item.group(1)
    assert published.status_code == 200
    client.cookies.clear()
    board = client.get("/public/board").text
    assert "小区门口路灯不亮" in board
    detail = client.get(f"/public/board/{number}").text
    for secret in ("13812345678", "420106199001011234", "鄂A12345", "3-2-501", "13655556666"):
        assert secret not in detail
    assert "138****5678" in detail
    assert "答复经审核后在此公开" in detail

    for action, actor, params in ((Action.ACCEPT, world.operator, {}),
                                  (Action.DISPATCH, world.dispatcher, {"unit_id": world.street.id}),
                                  (Action.SIGN, world.handler, {}),
                                  (Action.REPLY, world.handler, {"note": "已更换灯具，请联系13900001111王师傅。"})):
        act(db, number, action, actor, **params)
    assert "已更换灯具" not in client.get(f"/public/board/{number}").text, "not before the centre approves it"
    act(db, number, Action.APPROVE, world.dispatcher)
    answered = client.get(f"/public/board/{number}").text
    assert "已更换灯具" in answered
    assert "13900001111" not in answered


def test_a_private_report_never_reaches_the_board(client, db, world):
    number = report(client, public=False, idem="b-private")
    login(client, world.dispatcher)
    assert number not in client.get("/board/moderation").text


def test_abuse_is_flagged_and_a_held_message_is_never_shown(client, db, world):
    number = report(client, title="狗官不作为", content="路灯坏了一个月没人管，这帮狗官。", idem="b-abuse")
    held, item = moderate(client, world, number, "hold", reason="含辱骂内容")
    assert "疑似辱骂" in item.group(1)
    assert held.status_code == 200
    assert "不予公开" in held.text
    client.cookies.clear()
    assert number not in client.get("/public/board").text
    assert client.get(f"/public/board/{number}").status_code == 404


def test_a_moderators_correction_is_masked_again(client, db, world):
    number = report(client, idem="b-edit")
    moderate(client, world, number, "publish", title="路灯不亮", text="路灯不亮，联系电话13812345678。")
    detail = client.get(f"/public/board/{number}").text
    assert "13812345678" not in detail
    assert "138****5678" in detail


def test_a_resident_supports_a_message_once(client, db, world):
    number = report(client, idem="b-support")
    moderate(client, world, number, "publish")
    client.cookies.clear()
    page = client.get(f"/public/board/{number}").text
    first = client.post(f"/public/board/{number}/support", data={"csrf_token": csrf_of(page)}).text
    second = client.post(f"/public/board/{number}/support", data={"csrf_token": csrf_of(page)}).text
    assert "已支持这条留言" in first
    assert "您已经支持过这条留言" in second
    assert re.search(r'class="count">1<', client.get(f"/public/board/{number}").text)


def test_the_board_is_searched_by_words_and_street(client, db, world):
    lamp = report(client, idem="b-s1")
    noise = report(client, title="工地夜间施工噪音", content="和平大道工地每晚施工到凌晨两点。", idem="b-s2")
    for number in (lamp, noise):
        moderate(client, world, number, "publish")
    client.cookies.clear()
    found = client.get("/public/board", params={"q": "噪音"}).text
    assert "工地夜间施工噪音" in found
    assert "小区门口路灯不亮" not in found
    nothing = client.get("/public/board", params={"q": "垃圾"}).text
    assert "没有符合条件的公开留言" in nothing
    elsewhere = client.get("/public/board", params={"street": world.other_street.id}).text
    assert "没有符合条件的公开留言" in elsewhere


def test_only_the_centre_moderates(client, world):
    login(client, world.handler)
    assert client.get("/board/moderation").status_code == 403


def test_the_search_forms_empty_choices_mean_everything(client, db, world):
    number = report(client, idem="b-empty")
    moderate(client, world, number, "publish")
    client.cookies.clear()
    page = client.get("/public/board", params={"q": "", "street": "", "category": ""})
    assert page.status_code == 200
    assert "小区门口路灯不亮" in page.text
    assert client.get("/public/board", params={"street": "abc"}).status_code == 200
