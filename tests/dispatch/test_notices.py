"""A unit learns in its inbox that an order has arrived: a dispatch tells the receiving unit's handlers, a call
(吹哨) tells each called unit's, with the order's number, title, deadline and a link that opens it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from minhu.core import clock
from minhu.notify.delivery import deliver_due
from minhu.notify.enums import NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.notify.senders import InboxSender
from minhu.orders import queries
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import Role
from tests.factories import PASSWORD, act, make_order
from tests.intake.test_pages import csrf_of, login
from tests.notify.helpers import POLICY


def inbox_of(db, user) -> list[OutboxMessage]:
    with db.read() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id)
                              .order_by(OutboxMessage.id)))


def shown(when: datetime) -> str:
    return when.astimezone(clock.city_tz()).strftime("%Y-%m-%d %H:%M")


def deadline_of(db, number: str):
    with db.read() as s:
        return queries.get_for_update(s, number, viewer=None).finish_due_at


def test_a_dispatch_tells_the_receiving_units_handlers_in_their_inbox_with_a_link(client, db, world, token_for):
    order = make_order(db, world)
    response = client.post(f"/api/v1/orders/{order.number}/actions/dispatch", headers=token_for(world.dispatcher),
                           json={"expected_version": order.version, "unit_id": world.street.id})
    assert response.status_code == 200, response.text

    [notice] = inbox_of(db, world.handler)
    assert notice.channel is NotifyChannel.INBOX
    assert notice.subject == f"【派单】工单 {order.number}「{order.title}」"
    assert f"已派单至{world.street.name}，请及时签收办理，办理时限为 {shown(deadline_of(db, order.number))}" \
        in notice.body
    assert inbox_of(db, world.other_handler) == []
    assert inbox_of(db, world.gridworker) == [], "a unit below the receiving one is not told"

    deliver_due(db, {NotifyChannel.INBOX: InboxSender()}, POLICY)
    login(client, world.handler)
    page = client.get("/inbox").text
    assert f'<a href="/orders/{order.number}">' in page
    assert client.get(f"/orders/{order.number}").status_code == 200


def test_a_whistle_tells_each_called_unit_who_calls_why_and_by_when_to_report(client, db, world):
    with db.transaction() as s:
        inspector = org_service.create_user(s, username="cg", password=PASSWORD, full_name="城管 测试",
                                            role=Role.HANDLER, unit=s.get_one(Unit, world.department.id))
    order = make_order(db, world, upto=Action.SIGN)
    login(client, world.handler)
    page = client.get(f"/orders/{order.number}").text
    called = client.post(f"/orders/{order.number}/act", follow_redirects=True, data={
        "csrf_token": csrf_of(page), "action": "whistle", "expected_version": order.version,
        "note": "工地夜间施工，需城管执法到场", "unit_ids": str(world.department.id)})
    assert "已吹哨" in called.text

    [notice] = inbox_of(db, inspector)
    assert notice.subject == f"【吹哨报到】工单 {order.number}「{order.title}」请{world.department.name}报到"
    with db.read() as s:
        call = queries.get_for_update(s, order.number, viewer=None).calls[0]
        report_due = call.report_due_at
    assert f"{world.street.name}就工单 {order.number}「{order.title}」吹哨，请{world.department.name}于 " \
           f"{shown(report_due)} 前报到" in notice.body
    assert "吹哨事由：工地夜间施工，需城管执法到场" in notice.body
    assert f"工单办理时限为 {shown(deadline_of(db, order.number))}" in notice.body
    assert f"/orders/{order.number}" in notice.body
    assert [m.template_key for m in inbox_of(db, world.handler)] == ["order.dispatched"], \
        "the lead unit is not told of its own call"


def test_re_handling_tells_the_unit_again_once(db, world):
    order = make_order(db, world, upto=Action.CALLBACK)
    act(db, order.number, Action.REOPEN, world.reviewer, note="市民反映问题仍未解决")
    assert [m.subject for m in inbox_of(db, world.handler)] == [f"【派单】工单 {order.number}「{order.title}」",
                                                               f"【重办】工单 {order.number}「{order.title}」"]
