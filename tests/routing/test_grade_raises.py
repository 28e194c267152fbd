"""A matter that comes back unsolved rises a grade, as routing's rules say: a citizen's repeat of a request
the callback found unsolved (at intake), and an order sent back for re-handling (重办). The trail says so."""

from minhu.orders.states import Action
from tests.factories import act, make_order
from tests.intake.test_pages import csrf_of, login

UNSOLVED = {"reached": True, "resolution": "unresolved", "satisfaction": "unsatisfied"}
REPEAT = {"type": "complaint", "channel": "hotline", "title": "夜间施工噪音扰民",
          "content": "工地每晚施工到凌晨两点，上次反映后仍未解决。", "citizen_name": "王女士",
          "citizen_phone": "13812345678"}


def _unsolved(db, world):
    """The first call, handled, called back 未解决 and archived."""
    order = make_order(db, world, upto=Action.APPROVE)
    act(db, order.number, Action.CALLBACK, world.reviewer, **UNSOLVED)
    return act(db, order.number, Action.ARCHIVE, world.reviewer)


def test_a_repeat_of_an_unsolved_request_is_graded_a_level_higher(client, db, world, token_for):
    first = _unsolved(db, world)
    stranger = client.post("/api/v1/orders", json={**REPEAT, "citizen_phone": "13900001111"},
                           headers=token_for(world.operator)).json()
    repeat = client.post("/api/v1/orders", json=REPEAT, headers=token_for(world.operator)).json()
    assert (stranger["grade"], repeat["grade"]) == ("B", "C")
    created = client.get(f"/api/v1/orders/{repeat['number']}/events", headers=token_for(world.dispatcher)).json()[0]
    assert created["payload"]["repeat_of"] == first.number
    assert created["payload"]["grade_raised"]["from"] == "B"
    assert created["payload"]["grade_raised"]["to"] == "C"
    assert first.number in created["payload"]["grade_raised"]["reason"]
    login(client, world.dispatcher)
    page = client.get(f"/orders/{repeat['number']}").text
    assert f"等级 B → C：同一事项此前未解决（重复诉求），升一级（工单 {first.number}）" in page


def test_a_solved_request_or_another_matter_is_no_repeat(client, db, world, token_for):
    make_order(db, world, upto=Action.ARCHIVE)  # called back 已解决
    again = client.post("/api/v1/orders", json=REPEAT, headers=token_for(world.operator)).json()
    _unsolved(db, world)
    other = client.post("/api/v1/orders", json={**REPEAT, "title": "咨询社保卡补办", "content": "社保卡丢失如何补办？"},
                        headers=token_for(world.operator)).json()
    assert (again["grade"], other["grade"]) == ("B", "B")


def test_an_order_sent_back_for_re_handling_rises_a_grade_and_says_why(client, db, world):
    order = make_order(db, world, upto=Action.APPROVE)
    order = act(db, order.number, Action.CALLBACK, world.reviewer, **UNSOLVED)
    assert order.grade == "B"
    login(client, world.reviewer)
    page = client.get(f"/orders/{order.number}").text
    reopened = client.post(f"/orders/{order.number}/act", follow_redirects=True, data={
        "csrf_token": csrf_of(page), "action": "reopen", "expected_version": str(order.version),
        "note": "市民反映噪音仍未解决"})
    assert "已重办" in reopened.text
    assert "等级 B → C：回访未解决或不满意，重办升一级" in reopened.text
    # A second time round it rises again, up to D and no further.
    for grade in ("D", "D"):
        act(db, order.number, Action.SIGN, world.handler)
        act(db, order.number, Action.REPLY, world.handler, note="再次处理")
        act(db, order.number, Action.APPROVE, world.dispatcher)
        act(db, order.number, Action.CALLBACK, world.reviewer, **UNSOLVED)
        order = act(db, order.number, Action.REOPEN, world.reviewer, note="仍未解决")
        assert order.grade == grade
