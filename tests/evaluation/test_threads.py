"""Threads (同一诉求人同一事项): suggestions, linking, merge as duplicate (合并重复), the standard reply."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from minhu.core import clock
from minhu.core.errors import Forbidden, InvalidInput
from minhu.evaluation import threads
from minhu.orders import queries
from minhu.orders.states import Action, Status
from tests.factories import act, make_order
from tests.intake.test_pages import csrf_of, login

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI)
PHONE, STRANGER = "13900001111", "13700002222"


def _order(db, world, at, **fields):
    with clock.frozen(at):
        return make_order(db, world, **fields)


def test_suggestions_find_the_same_citizens_repeat_and_not_a_strangers(db, world):
    first = _order(db, world, START, citizen_phone=PHONE, title="小区门口垃圾桶满溢无人清运",
                   content="和平大道12号小区门口垃圾桶满溢，三天没人清运，臭气熏天。")
    repeat = _order(db, world, START + timedelta(days=20), citizen_phone=PHONE, title="小区门口垃圾桶又满了",
                    content="和平大道12号小区门口垃圾桶又满溢了，还是没人清运。")
    _order(db, world, START + timedelta(days=21), citizen_phone=STRANGER, title="小区门口垃圾桶满溢无人清运",
           content="和平大道12号小区门口垃圾桶满溢，三天没人清运，臭气熏天。")
    _order(db, world, START + timedelta(days=22), citizen_phone=PHONE, title="咨询社保卡补办",
           content="请问社保卡丢失后到哪里补办？")
    _order(db, world, START + timedelta(days=120), citizen_phone=PHONE, title="小区门口垃圾桶满溢无人清运",
           content="和平大道12号小区门口垃圾桶满溢，三天没人清运，臭气熏天。")  # beyond 90 days
    with db.read() as s:
        order = queries.get_visible(s, first.number, viewer=world.dispatcher)
        found = threads.suggest(s, order, viewer=world.dispatcher)
    assert [c.order.number for c in found] == [repeat.number]
    assert found[0].similarity > 0.4


def test_a_unit_knows_a_matter_by_its_own_order_never_by_another_streets(client, db, world):
    """A citizen's matter across two streets: each street's handler sees the thread named by the order of
    theirs, titled and counted by their own orders; the other street's main order stays unnamed."""
    main = _order(db, world, START, citizen_phone=PHONE, title="湖边夜钓喧哗")
    act(db, main.number, Action.DISPATCH, world.dispatcher, unit_id=world.other_street.id)
    theirs = _order(db, world, START + timedelta(days=2), citizen_phone=PHONE, title="桥下夜钓喧哗")
    act(db, theirs.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    with db.transaction() as s:
        thread = threads.link(s, queries.get_for_update(s, theirs.number, viewer=None),
                              to=queries.get_for_update(s, main.number, viewer=None), actor=world.dispatcher)
        thread_id = thread.id
    login(client, world.handler)
    listed = client.get("/threads").text.split('id="threads"')[1]
    assert theirs.number in listed
    assert "桥下夜钓喧哗" in listed
    assert main.number not in listed
    assert "湖边夜钓喧哗" not in listed
    assert "<td>1</td><td>1</td>" in listed, "one order of theirs, open"
    page = client.get(f"/threads/{thread_id}").text
    assert "桥下夜钓喧哗" in page
    assert main.number not in page
    assert "湖边夜钓喧哗" not in page
    login(client, world.dispatcher)
    listed = client.get("/threads").text.split('id="threads"')[1]
    assert main.number in listed
    assert "湖边夜钓喧哗" in listed
    assert "<td>2</td><td>2</td>" in listed


def test_a_near_place_makes_a_candidate_even_in_other_words(db, world):
    first = _order(db, world, START, citizen_phone=PHONE, title="路灯不亮", content="门口路灯坏了",
                   latitude=30.5600, longitude=114.3000)
    near = _order(db, world, START + timedelta(days=3), citizen_phone=PHONE, title="晚上太黑",
                  content="晚上出门看不见路", latitude=30.5605, longitude=114.3003)
    _order(db, world, START + timedelta(days=4), citizen_phone=PHONE, title="晚上太黑",
           content="晚上出门看不见路", latitude=30.6000, longitude=114.4000)  # kilometres away
    with db.read() as s:
        found = threads.suggest(s, queries.get_visible(s, first.number, viewer=world.dispatcher),
                                viewer=world.dispatcher)
    assert [c.order.number for c in found] == [near.number]
    assert found[0].metres < 100


def test_linking_opens_a_thread_shown_on_each_orders_page(client, db, world):
    first = _order(db, world, START, citizen_phone=PHONE, title="噪音扰民")
    second = _order(db, world, START + timedelta(days=5), citizen_phone=PHONE, title="噪音扰民又来了")
    stranger = _order(db, world, START + timedelta(days=6), citizen_phone=STRANGER, title="噪音扰民")
    login(client, world.dispatcher)
    page = client.get(f"/orders/{second.number}").text
    assert f'data-number="{first.number}"' in page.split('id="thread-suggestions"')[1]
    client.post(f"/orders/{second.number}/thread", data={"csrf_token": csrf_of(page), "with": first.number})
    page = client.get(f"/orders/{second.number}").text
    thread = page.split('id="thread-orders"')[1].split("</table>")[0]
    assert first.number in thread
    assert second.number in thread
    assert thread.index(first.number) < thread.index("主工单") < thread.index(second.number)  # the earlier leads
    assert "关联同一诉求" in page.split('id="timeline"')[1]

    response = client.post(f"/orders/{stranger.number}/thread", data={"csrf_token": csrf_of(page),
                                                                       "with": first.number}, follow_redirects=True)
    assert "不是同一诉求人" in response.text
    with db.read() as s:
        assert threads.thread_id_of(s, queries.get_visible(s, stranger.number, viewer=world.dispatcher)) is None
    assert f"/orders/{first.number}" in client.get("/threads").text


def test_a_handler_cannot_link_orders(db, world):
    first = _order(db, world, START, citizen_phone=PHONE, upto=Action.SIGN)
    second = _order(db, world, START + timedelta(days=1), citizen_phone=PHONE, upto=Action.SIGN)
    with db.transaction() as s, pytest.raises(Forbidden):
        threads.link_by_number(s, queries.get_for_update(s, second.number, viewer=world.handler),
                               number=first.number, actor=world.handler)


def test_merge_as_duplicate_joins_the_main_order_and_points_at_it(client, db, world):
    main = _order(db, world, START, citizen_phone=PHONE, title="占道经营", upto=Action.SIGN)
    repeat = _order(db, world, START + timedelta(days=2), citizen_phone=PHONE, title="占道经营仍未处理",
                    upto=Action.DISPATCH)
    third = _order(db, world, START + timedelta(days=3), citizen_phone=PHONE, title="占道经营第三次")
    with db.transaction() as s:
        threads.link(s, queries.get_for_update(s, repeat.number, viewer=None),
                     to=queries.get_for_update(s, main.number, viewer=None), actor=world.dispatcher)
    login(client, world.dispatcher)
    page = client.get(f"/orders/{repeat.number}").text
    merge_form = page.split('data-action="merge"')[1].split("</form>")[0]
    assert f'value="{main.number}"' in merge_form  # pre-filled with the thread's main order
    client.post(f"/orders/{repeat.number}/act", data={
        "csrf_token": csrf_of(page), "action": "merge", "expected_version": str(repeat.version),
        "duplicate_of": main.number, "note": "同一诉求人重复反映"})
    # Merging into a duplicate merges into what it repeats.
    merged_third = act(db, third.number, Action.MERGE, world.dispatcher, duplicate_of=repeat.number)
    with db.read() as s:
        merged = queries.get_visible(s, repeat.number, viewer=world.dispatcher)
        kept = queries.get_visible(s, main.number, viewer=world.dispatcher)
        event = next(e for e in queries.events_of(s, merged) if e.action is Action.MERGE)
    # Joined, not closed: it waits for the main order's answer (随主件答复).
    assert merged.status is Status.JOINED
    assert merged.duplicate_of_id == kept.id
    assert merged.closed_at is None
    assert event.payload["duplicate_of"] == main.number
    assert merged_third.duplicate_of_id == kept.id
    assert kept.status is Status.SIGNED
    assert kept.duplicate_of_id is None
    assert f"已合并到主工单 <a class=\"mono\" href=\"/orders/{main.number}\"" in client.get(
        f"/orders/{repeat.number}").text
    assert repeat.number in client.get("/orders?status=joined").text  # still listed, under its own status
    with pytest.raises(InvalidInput):
        act(db, main.number, Action.MERGE, world.dispatcher, duplicate_of=main.number)


def test_the_standard_reply_is_offered_in_the_reply_form_of_the_threads_orders(client, db, world):
    first = _order(db, world, START, citizen_phone=PHONE, title="要求加装电梯", upto=Action.SIGN)
    second = _order(db, world, START + timedelta(days=10), citizen_phone=PHONE, title="再次要求加装电梯",
                    upto=Action.SIGN)
    with db.transaction() as s:
        thread = threads.link(s, queries.get_for_update(s, second.number, viewer=None),
                              to=queries.get_for_update(s, first.number, viewer=None), actor=world.reviewer)
        thread_id = thread.id
    login(client, world.handler)
    reply_form = client.get(f"/orders/{second.number}").text.split('data-action="reply"')[1].split("</form>")[0]
    assert "加装电梯须经本单元业主同意" not in reply_form
    response = client.post(f"/threads/{thread_id}/standard-reply", data={
        "csrf_token": csrf_of(client.get("/orders").text), "text": "加装电梯须经本单元业主同意"})
    assert response.status_code == 200
    assert "只有指挥中心" in response.text

    login(client, world.reviewer)
    page = client.get(f"/threads/{thread_id}").text
    client.post(f"/threads/{thread_id}/standard-reply", data={
        "csrf_token": csrf_of(page), "text": "加装电梯须经本单元业主同意，街道可协助组织协商。"})
    login(client, world.handler)
    reply_form = client.get(f"/orders/{second.number}").text.split('data-action="reply"')[1].split("</form>")[0]
    assert "加装电梯须经本单元业主同意，街道可协助组织协商。</textarea>" in reply_form
    assert "标准答复预填" in reply_form
