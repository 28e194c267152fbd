"""The system's own moves — auto-dispatch, the sweep's sign time-out, the citizen's online rating — go through
the one writer of status: along a row of the table open to the system, with the signals every move sends and
one event in the trail. A move the table does not give the system is refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.core.db import Database
from minhu.orders import queries
from minhu.orders import service as order_service
from minhu.orders.errors import IllegalAction
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.signals import OrderChange, OrderMoving, order_moved, order_moving
from minhu.orders.states import Action, Status
from minhu.routing import service as routing
from tests.deadlines.test_sweep import _sweep, at
from tests.evaluation.test_rating_links import ANSWER, approved, token_of
from tests.factories import make_order
from tests.routing.test_routing import routed, small_model  # noqa: F401 - the default catalog and a small model


@dataclass(frozen=True)
class Heard:
    action: Action
    actor: str | None
    status: Status
    event_id: int | None


@pytest.fixture
def heard() -> Iterator[dict[str, list[Heard]]]:
    """What real receivers of ``order_moving`` and ``order_moved`` hear, as any listener of a domain above would."""
    got: dict[str, list[Heard]] = {"moving": [], "moved": []}

    def on_moving(change: OrderMoving) -> None:
        got["moving"].append(Heard(change.action, change.actor.full_name if change.actor else None,
                                   change.order.status, None))

    def on_moved(change: OrderChange) -> None:
        got["moved"].append(Heard(change.event.action, change.event.actor_name, change.order.status,
                                  change.event.id))

    order_moving.connect(on_moving)
    order_moved.connect(on_moved)
    yield got
    order_moving.disconnect(on_moving)
    order_moved.disconnect(on_moved)


def _events(db: Database, number: str, action: Action) -> list[OrderEvent]:
    with db.read() as s:
        order = queries.get_for_update(s, number, viewer=None)
        return list(s.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.action == action)))


def test_auto_dispatch_sends_the_signals_and_writes_its_event(routed, world, client, token_for, heard):  # noqa: F811
    routing.configure(models_dir=routing.config().models_dir, auto_dispatch_confidence=0.3)
    body = {"type": "complaint", "channel": "hotline", "title": "公司拖欠工资",
            "content": "老板拖欠工资不发，要求支付劳动报酬，讨薪无果。"}
    created = client.post("/api/v1/orders", json=body, headers=token_for(world.operator)).json()
    assert created["status"] == "dispatched"
    [event] = _events(routed, created["number"], Action.DISPATCH)
    assert (event.actor_name, event.from_status, event.to_status) == ("系统（自动派单）", Status.ACCEPTED,
                                                                     Status.DISPATCHED)
    assert event.payload["auto"] is True
    assert heard["moving"] == [Heard(Action.DISPATCH, None, Status.DISPATCHED, None)]
    assert heard["moved"] == [Heard(Action.DISPATCH, "系统（自动派单）", Status.DISPATCHED, event.id)]


def test_the_sign_time_out_sends_the_signals_and_writes_its_event(timed, world, heard):
    with clock.frozen(at(2026, 11, 23, 10, 0)):
        order = make_order(timed, world, upto=Action.DISPATCH)
    heard["moving"].clear()
    heard["moved"].clear()
    assert _sweep(timed, at(2026, 11, 23, 12, 5)).done["sign_timeout:sign"] == 1
    [event] = _events(timed, order.number, Action.SIGN_TIMEOUT)
    assert (event.actor_name, event.to_status) == ("系统（时限监管）", Status.RETURNED)
    assert event.payload["returned_by_unit"] == world.street.name
    assert heard["moving"] == [Heard(Action.SIGN_TIMEOUT, None, Status.RETURNED, None)]
    assert heard["moved"] == [Heard(Action.SIGN_TIMEOUT, "系统（时限监管）", Status.RETURNED, event.id)]


def test_the_online_rating_sends_the_signals_and_writes_its_event(client, db, world, heard):
    order = approved(db, world)
    heard["moving"].clear()
    heard["moved"].clear()
    assert client.post(f"/r/{token_of(db, order)}", data=ANSWER).status_code == 200
    [event] = _events(db, order.number, Action.RATE)
    assert (event.actor_name, event.to_status) == ("市民（网上直评）", Status.CALLED_BACK)
    assert event.payload["satisfaction"] == "basically"
    assert heard["moving"] == [Heard(Action.RATE, None, Status.CALLED_BACK, None)]
    assert heard["moved"] == [Heard(Action.RATE, "市民（网上直评）", Status.CALLED_BACK, event.id)]


@pytest.mark.parametrize(("upto", "action"), [
    (None, Action.SIGN_TIMEOUT),  # accepted, never dispatched: there is no signature to wait for
    (Action.SIGN, Action.RATE),  # nothing to rate before the reply is approved
    (Action.DISPATCH, Action.DISPATCH),  # dispatched already
    (Action.REPLY, Action.APPROVE),  # a row people take: the system may not approve a reply
])
def test_a_system_move_off_the_table_is_refused_and_changes_nothing(db, world, heard, upto, action):
    order = make_order(db, world, upto=upto)
    heard["moved"].clear()
    with db.transaction() as s:
        held = queries.get_for_update(s, order.number, viewer=None)
        with pytest.raises(IllegalAction):
            order_service.apply_system_action(s, held, action, by="系统（测试）")
    with db.read() as s:
        assert s.get_one(WorkOrder, order.id).version == order.version
    assert heard["moved"] == []
