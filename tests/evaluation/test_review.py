"""The reply's quality where the centre reviews it: the order page's panel, the API, the approval's trail."""

from minhu.orders.states import Action
from tests.factories import act, make_order
from tests.intake.test_pages import login

GOOD_REPLY = (
    "王女士您好！经核查，和平大道工地夜间施工噪音扰民属实，执法人员到现场查看，工地22时后仍在施工。"
    "根据《噪声污染防治法》有关规定，我局已责令施工单位停止夜间作业并整改。目前工地已停止夜间施工。"
    "如再发现，请拨打值班电话027-88881234。感谢您的支持！"
)
EMPTY_REPLY = "您好！您反映的问题已收悉，已转相关部门调查处理，请耐心等待。"
# Names the place and the problem, so its criteria weigh more than 30; but it says nothing more.
CAPPED_REPLY = "您好！和平大道工地噪音已收悉，已转相关部门调查处理，请耐心等待。感谢您的支持！"


def replied(db, world, reply: str):
    order = make_order(db, world, upto=Action.HANDLE, title="和平大道工地夜间施工噪音扰民")
    return act(db, order.number, Action.REPLY, world.handler, note=reply)


def test_the_reviewer_sees_the_reply_quality_before_approving(client, db, world):
    order = replied(db, world, EMPTY_REPLY)
    login(client, world.dispatcher)
    page = client.get(f"/orders/{order.number}").text
    panel = page.split('id="reply-quality"')[1].split("</section>")[0]
    assert "答复质量" in page
    assert "差" in panel
    for part in ("核查情况", "处理措施", "政策依据", "办理结果", "联系方式"):
        assert part in panel
    assert "没有说明事实" in panel
    assert 'data-action="approve"' in page


def test_the_unit_that_replied_does_not_get_the_review_panel(client, db, world):
    order = replied(db, world, EMPTY_REPLY)
    login(client, world.handler)
    page = client.get(f"/orders/{order.number}").text
    assert 'id="reply-quality"' not in page


def test_the_approval_keeps_the_score_in_the_trail(client, db, world, token_for):
    order = replied(db, world, GOOD_REPLY)
    seen = client.get(f"/api/v1/orders/{order.number}/reply-quality", headers=token_for(world.dispatcher)).json()
    approved = client.post(f"/api/v1/orders/{order.number}/actions/approve",
                           json={"expected_version": order.version}, headers=token_for(world.dispatcher))
    assert approved.status_code == 200
    events = client.get(f"/api/v1/orders/{order.number}/events", headers=token_for(world.dispatcher)).json()
    kept = next(e for e in events if e["action"] == "approve")["payload"]["reply_quality"]
    assert kept["score"] == seen["score"]
    assert kept["grade"] == seen["grade"]
    assert kept["missing"] == []
    login(client, world.dispatcher)
    page = client.get(f"/orders/{order.number}").text
    assert f"答复质量 {seen['score']} 分" in page.split('id="timeline"')[1]
    assert 'id="reply-quality"' not in page  # reviewed: nothing left to decide


def test_the_api_scores_a_reply_with_reasons_and_missing_parts(client, db, world, token_for):
    order = replied(db, world, EMPTY_REPLY)
    response = client.get(f"/api/v1/orders/{order.number}/reply-quality", headers=token_for(world.dispatcher))
    assert response.status_code == 200
    body = response.json()
    assert body["grade"] == "poor"
    assert body["grade_label"] == "差"
    assert body["says_nothing"] is True
    assert [m["key"] for m in body["missing"]] == ["finding", "action", "basis", "result", "contact"]
    assert {c["key"] for c in body["criteria"]} == {"relevance", "completeness", "timeliness", "tone"}
    assert all(c["reasons"] for c in body["criteria"])


def test_an_order_without_a_reply_has_no_reply_quality(client, db, world, token_for):
    order = make_order(db, world, upto=Action.SIGN)
    response = client.get(f"/api/v1/orders/{order.number}/reply-quality", headers=token_for(world.dispatcher))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "no_reply"
    assert error["details"]["status"] == "signed"
    missing = client.get("/api/v1/orders/WC20990101000001/reply-quality", headers=token_for(world.dispatcher))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"]


def test_a_capped_score_is_explained_on_the_panel_and_in_the_api(client, db, world, token_for):
    order = replied(db, world, CAPPED_REPLY)
    body = client.get(f"/api/v1/orders/{order.number}/reply-quality", headers=token_for(world.dispatcher)).json()
    assert body["score"] == 30
    [reason] = body["caps"]
    assert reason.startswith("答复仅有套话、缺少事实，总分封顶 30 分")
    login(client, world.dispatcher)
    panel = client.get(f"/orders/{order.number}").text.split('id="reply-quality"')[1].split("</section>")[0]
    assert "30 分" in panel
    assert "答复仅有套话、缺少事实，总分封顶 30 分" in panel
