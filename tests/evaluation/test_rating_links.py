"""Online direct rating (网上直评): the link texted at approval, what it lets a citizen do, and what it refuses."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.security import token_digest
from minhu.evaluation.models import RatingLink
from minhu.guard import service as guard
from minhu.notify.enums import NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.orders.enums import CallbackMethod, Resolution, Satisfaction
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action, Status
from tests.factories import act, make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
LINK = re.compile(r"/r/([A-Za-z0-9_-]+)")
ANSWER = {"resolution": "partly", "satisfaction": "basically", "comment": "路灯修好了，但还有一盏不亮"}


def sms_for(db, order) -> list[OutboxMessage]:
    with db.read() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.order_id == order.id,
                                                          OutboxMessage.template_key == "order.rate")
                              .order_by(OutboxMessage.id)))


def token_of(db, order) -> str:
    match = LINK.search(sms_for(db, order)[-1].body)
    assert match is not None
    return match.group(1)


def reload(db: Database, order: WorkOrder) -> WorkOrder:
    with db.read() as s:
        return s.scalars(select(WorkOrder).where(WorkOrder.number == order.number)).one()


def approved(db, world, **overrides) -> WorkOrder:
    with clock.frozen(T0):
        return make_order(db, world, upto=Action.APPROVE, **overrides)


def test_approval_texts_the_citizen_a_rating_link_that_names_nothing_private(db, world):
    order = approved(db, world, title="举报某小区业主违建", confidential=True, anonymous=True)
    [sms] = sms_for(db, order)
    assert (sms.channel, sms.recipient, sms.user_id) == (NotifyChannel.SMS, "13812345678", None)
    assert f"/r/{token_of(db, order)}" in sms.body
    assert order.number in sms.body
    assert "违建" not in sms.body
    assert "王女士" not in sms.body
    assert "工地" not in sms.body
    with db.read() as s:
        link = s.scalars(select(RatingLink).where(RatingLink.order_id == order.id)).one()
    # Only the digest is kept; the link expires after the configured seven days.
    token = token_of(db, order)
    assert link.token_digest == token_digest(token)
    assert token not in link.token_digest
    assert link.expires_at == T0 + timedelta(days=7)


def test_a_citizen_without_a_mobile_number_gets_no_link(db, world):
    landline = approved(db, world, citizen_phone="027-88123456")
    nobody = approved(db, world, citizen_phone=None)
    assert sms_for(db, landline) == []
    assert sms_for(db, nobody) == []


def test_the_citizen_rates_through_the_link_and_the_callback_closes(client, db, world):
    order = approved(db, world)
    token = token_of(db, order)
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert order.title in page.text
    assert "已处理完毕" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    thanks = client.post(f"/r/{token}", data=ANSWER)
    assert thanks.status_code == 200
    assert "感谢您的评价" in thanks.text
    assert "部分解决" in thanks.text
    assert "基本满意" in thanks.text
    rated = reload(db, order)
    assert rated.status is Status.CALLED_BACK
    assert (rated.resolution, rated.satisfaction) == (Resolution.PARTLY, Satisfaction.BASICALLY)
    assert (rated.callback_method, rated.callback_reached, rated.unreachable) == (CallbackMethod.ONLINE, True, False)
    with db.read() as s:
        event = s.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                          .order_by(OrderEvent.id.desc())).first()
    assert event is not None
    assert (event.action, event.actor_id, event.note) == (Action.RATE, None, ANSWER["comment"])


def test_a_rating_cannot_be_changed_once_given(client, db, world):
    order = approved(db, world)
    token = token_of(db, order)
    client.post(f"/r/{token}", data=ANSWER)
    again = client.post(f"/r/{token}", data={"resolution": "unresolved", "satisfaction": "unsatisfied"})
    assert again.status_code == 200
    assert "感谢您的评价" in again.text
    assert "基本满意" in again.text
    assert "不满意" not in again.text
    assert reload(db, order).satisfaction is Satisfaction.BASICALLY


def test_a_client_trying_many_links_is_refused_for_a_while_and_others_are_not(app, client, db, world):
    order = approved(db, world)
    for n in range(guard.RATING_CLIENT.attempts):
        assert client.get(f"/r/{'guessing' + str(n).zfill(14)}").status_code == 404
    mine = f"/r/{token_of(db, order)}"
    refused = client.get(mine, headers={"accept": "text/html"})
    assert refused.status_code == 429
    assert "评价链接无效次数过多" in refused.text
    assert client.post(mine, data=ANSWER).status_code == 429
    assert reload(db, order).status is Status.REVIEWED
    with TestClient(app, client=("198.51.100.23", 40000)) as citizen:
        assert citizen.post(mine, data=ANSWER, follow_redirects=False).status_code == 303
    assert reload(db, order).satisfaction is Satisfaction.BASICALLY


def test_a_wrong_token_says_the_link_is_invalid(client, db, world):
    order = approved(db, world)
    for token in (token_of(db, order)[:-1] + "x", "A" * 22, "not a token at all", "x" * 5000):
        page = client.get(f"/r/{token}")
        assert page.status_code == 404
        assert "链接无效" in page.text
        assert client.post(f"/r/{token}", data=ANSWER).status_code == 404
    assert reload(db, order).status is Status.REVIEWED


def test_one_orders_token_rates_that_order_only(client, db, world):
    first = approved(db, world, title="路灯不亮")
    second = approved(db, world, title="井盖缺失")
    page = client.get(f"/r/{token_of(db, first)}")
    assert "路灯不亮" in page.text
    assert "井盖缺失" not in page.text
    client.post(f"/r/{token_of(db, first)}", data={**ANSWER, "order": second.number, "number": second.number})
    assert reload(db, first).status is Status.CALLED_BACK
    untouched = reload(db, second)
    assert untouched.status is Status.REVIEWED
    assert untouched.satisfaction is None


def test_an_expired_link_says_so_and_records_nothing(client, db, world):
    order = approved(db, world)
    token = token_of(db, order)
    with clock.frozen(T0 + timedelta(days=7, seconds=1)):
        page = client.get(f"/r/{token}")
        posted = client.post(f"/r/{token}", data=ANSWER)
    assert page.status_code == 410
    assert "评价链接已过期" in page.text
    assert posted.status_code == 410
    assert reload(db, order).status is Status.REVIEWED


def test_after_a_reviewers_callback_the_link_only_says_the_callback_is_over(client, db, world):
    order = approved(db, world)
    token = token_of(db, order)
    act(db, order.number, Action.CALLBACK, world.reviewer, reached=True, resolution="resolved",
        satisfaction="satisfied")
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert "本次回访已结束" in page.text
    assert "提交评价" not in page.text
    client.post(f"/r/{token}", data={"resolution": "unresolved", "satisfaction": "unsatisfied"})
    assert reload(db, order).satisfaction is Satisfaction.SATISFIED
    act(db, order.number, Action.ARCHIVE, world.reviewer)
    assert "本次回访已结束" in client.get(f"/r/{token}").text


def test_an_answer_missing_a_question_is_asked_again(client, db, world):
    order = approved(db, world)
    page = client.post(f"/r/{token_of(db, order)}", data={"resolution": "resolved", "comment": "好"})
    assert page.status_code == 422
    assert "请选择满意度" in page.text
    assert 'value="resolved" checked' in page.text  # what was chosen stays chosen
    assert reload(db, order).status is Status.REVIEWED


def test_a_second_approval_replaces_the_link(client, db, world):
    order = approved(db, world)
    old = token_of(db, order)
    act(db, order.number, Action.CALLBACK, world.reviewer, reached=True, resolution="unresolved",
        satisfaction="unsatisfied")
    act(db, order.number, Action.REOPEN, world.dispatcher, note="市民不满意")
    for action, actor, fields in ((Action.SIGN, world.handler, {}),
                                  (Action.REPLY, world.handler, {"note": "已重新处理"}),
                                  (Action.APPROVE, world.dispatcher, {})):
        act(db, order.number, action, actor, **fields)
    assert len(sms_for(db, order)) == 2
    new = token_of(db, order)
    assert new != old
    assert client.get(f"/r/{old}").status_code == 404
    assert "已重新处理" in client.get(f"/r/{new}").text
