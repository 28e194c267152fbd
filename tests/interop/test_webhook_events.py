"""Webhook subscribers receive minhu's events on a real HTTP server on the loopback: a status change made
through apply_action, the lights a real sweep finds, a supervision record — signed, retried, once each."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from minhu.core import clock
from minhu.core.db import Database
from minhu.interop.events import EVENT_GROUPS, STATUS_EVENTS, event_name
from minhu.notify import service as notify_service
from minhu.notify.delivery import DeliveryReport, deliver_due
from minhu.notify.enums import DeliveryStatus, NotifyChannel
from minhu.notify.senders import WebhookSender
from minhu.orders.states import TRANSITION_ACTIONS, Action
from minhu.supervision.sweep import sweep
from tests.factories import act, make_order
from tests.notify.helpers import POLICY, messages
from tests.notify.servers import HttpReceiver

SHANGHAI = ZoneInfo("Asia/Shanghai")
SECRET = "subscriber-secret-0123456789"
CITIZEN = ("王女士", "13812345678", "夜间施工噪音扰民", "工地每晚施工到凌晨两点")


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


def subscribe(db: Database, receiver: HttpReceiver, *events: str, secret: str = SECRET) -> int:
    with db.transaction() as s:
        return notify_service.add_webhook(s, name="区网格化平台", url=receiver.url, secret=secret,
                                          events=list(events) or ["*"]).id


def deliver(db: Database) -> DeliveryReport:
    return deliver_due(db, {NotifyChannel.WEBHOOK: WebhookSender(timeout=2)}, POLICY)


def events_of(receiver: HttpReceiver) -> list[str]:
    return [post.json["event"] for post in receiver.received]


def test_a_dispatch_reaches_the_subscriber_signed_with_the_order_and_nothing_of_the_citizen(db, world):
    order = make_order(db, world)
    with HttpReceiver(secret=SECRET) as receiver:
        subscribe(db, receiver, "order.dispatch")
        with clock.frozen(at(11, 30, 9, 0)):
            act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
        with clock.frozen(at(11, 30, 9, 0, 5)):
            report = deliver(db)

    assert report.sent == 1
    [post] = receiver.received
    assert post.signed, "X-Minhu-Signature is the HMAC-SHA256 of the body under the subscription's secret"
    document = post.json
    assert document["event"] == "order.dispatch"
    assert document["id"] == post.headers["x-minhu-delivery"]
    assert document["occurred_at"] == "2026-11-30T01:00:00+00:00"
    payload = document["payload"]
    assert payload["order_number"] == order.number
    assert (payload["action"], payload["action_label"]) == ("dispatch", "派单")
    assert (payload["from_status"], payload["status"], payload["status_label"]) == ("accepted", "dispatched", "已派单")
    assert payload["owner_unit"] == {"code": "S1", "name": "积玉桥街"}
    assert payload["actor"] == world.dispatcher.full_name
    assert payload["url"].endswith(f"/orders/{order.number}")
    assert payload["event_id"].startswith("order-event:")
    body = post.body.decode("utf-8")
    assert not [word for word in CITIZEN if word in body], "a webhook carries no personal data"


def test_each_status_change_is_its_own_event_and_a_subscriber_gets_only_what_it_asked_for(db, world):
    with HttpReceiver(secret=SECRET) as everything, HttpReceiver(secret="signing-only-0123456") as signing:
        subscribe(db, everything, "*")
        subscribe(db, signing, "order.sign", secret="signing-only-0123456")
        make_order(db, world, upto=Action.HANDLE)
        deliver(db)

    assert events_of(everything) == ["order.create", "order.dispatch", "order.sign", "order.handle"]
    assert events_of(signing) == ["order.sign"]
    assert all(post.signed for post in everything.received + signing.received)


def test_the_sweep_sends_each_light_once_however_often_it_runs(timed, world):
    with clock.frozen(at(11, 30, 10, 0)):
        order = make_order(timed, world, upto=Action.DISPATCH)
        act(timed, order.number, Action.SIGN, world.handler)
    with clock.frozen(at(11, 30, 10, 5)):
        act(timed, order.number, Action.HANDLE, world.handler, note="已联系市民")  # the response clock stops

    with HttpReceiver(secret=SECRET) as receiver:
        subscribe(timed, receiver, "order.light.*")
        # Finish due Thursday 2026-12-03 17:30; yellow from 10:36 that morning.
        for when in (at(12, 3, 10, 0), at(12, 3, 11, 0), at(12, 3, 11, 30), at(12, 3, 18, 0), at(12, 3, 18, 30)):
            with clock.frozen(when):
                sweep(timed)
                sweep(timed)  # a second sweeper, or a re-run after a crash
                deliver(timed)

    assert events_of(receiver) == ["order.light.yellow", "order.light.red"]
    yellow, red = (post.json for post in receiver.received)
    assert (yellow["payload"]["light"], yellow["payload"]["limit"], yellow["payload"]["limit_label"]) == \
        ("yellow", "finish", "办结")
    assert yellow["payload"]["due_at"] == "2026-12-03T17:30:00+08:00"
    assert red["payload"]["light"] == "red"
    assert red["payload"]["order_number"] == order.number
    assert red["payload"]["actor"] is None, "a light turns by itself"
    assert red["occurred_at"] == "2026-12-03T10:00:00+00:00"
    assert all(post.signed for post in receiver.received)


def test_a_leaders_urging_reaches_the_subscriber_with_the_leaders_name(client, db, world, token_for):
    order = make_order(db, world, upto=Action.SIGN)
    with HttpReceiver(secret=SECRET) as receiver:
        subscribe(db, receiver, "order.urge", "order.supervise")
        response = client.post(f"/api/v1/orders/{order.number}/urge", json={"note": "请本周内答复市民"},
                               headers=token_for(world.leader))
        assert response.status_code == 200, response.text
        deliver(db)

    [post] = receiver.received
    assert post.signed
    assert post.json["event"] == "order.urge"
    payload = post.json["payload"]
    assert (payload["action"], payload["action_label"], payload["auto"]) == ("urge", "催办", False)
    assert payload["actor"] == world.leader.full_name
    assert payload["status"] == "signed", "urging leaves the order where it stands"


def test_a_failing_endpoint_is_retried_with_the_same_id_until_it_accepts(db, world):
    order = make_order(db, world)
    with HttpReceiver(secret=SECRET, status=500) as receiver:
        subscribe(db, receiver, "order.dispatch")
        with clock.frozen(at(11, 30, 9, 0)):
            act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
            first = deliver(db)
        receiver.status = 200
        with clock.frozen(at(11, 30, 9, 0, 30)):
            early = deliver(db)  # the back-off has not passed yet
        with clock.frozen(at(11, 30, 9, 1, 1)):
            second = deliver(db)

    assert (first.retrying, early.attempted, second.sent) == (1, 0, 1)
    assert len(receiver.received) == 2
    assert len(set(receiver.ids)) == 1, "a retry carries the same id, so the receiver can take it once"
    assert all(post.signed for post in receiver.received)
    # The dispatch also tells the street's handlers in their inbox: the webhook is the one row of its channel.
    [message] = [m for m in messages(db) if m.channel is NotifyChannel.WEBHOOK]
    assert (message.status, message.attempts) == (DeliveryStatus.SENT, 2)


def test_a_paused_subscription_receives_nothing_and_a_resumed_one_receives_what_follows(db, world):
    order = make_order(db, world)
    with HttpReceiver(secret=SECRET) as receiver:
        subscription = subscribe(db, receiver, "*")
        with db.transaction() as s:
            notify_service.set_webhook_active(s, subscription, active=False)
        act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
        deliver(db)
        assert receiver.received == []
        with db.transaction() as s:
            notify_service.set_webhook_active(s, subscription, active=True)
        act(db, order.number, Action.SIGN, world.handler)
        deliver(db)

    assert events_of(receiver) == ["order.sign"]


def test_a_queued_event_of_a_subscription_paused_before_delivery_is_not_sent(db, world):
    order = make_order(db, world)
    with HttpReceiver(secret=SECRET) as receiver:
        subscription = subscribe(db, receiver, "*")
        act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
        with db.transaction() as s:
            notify_service.set_webhook_active(s, subscription, active=False)
        deliver(db)

    assert receiver.received == []
    [message] = [m for m in messages(db) if m.channel is NotifyChannel.WEBHOOK]
    assert message.status is DeliveryStatus.DEAD
    assert "已停用" in (message.last_error or "")


def test_every_event_a_subscription_may_ask_for_is_documented():
    documented = (Path(__file__).parents[2] / "docs" / "notifications.md").read_text(encoding="utf-8")
    names = [name for _, events in EVENT_GROUPS for name in events] + [notify_service.TEST_EVENT]
    assert [name for name in names if f"`{name}`" not in documented] == []
    assert {event_name(action) for action in TRANSITION_ACTIONS} <= set(STATUS_EVENTS), "every status change"
