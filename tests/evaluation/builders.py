"""Builders for evaluation tests: an order walked to its callback with the citizen's answer, re-handled."""

from __future__ import annotations

from typing import Any

from minhu.core.db import Database
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from tests.factories import World, act, make_order


def called_back(db: Database, world: World, *, resolution: str = "unresolved", satisfaction: str = "unsatisfied",
                **overrides: Any) -> WorkOrder:
    """An order replied, approved and called back with the given answer."""
    order = make_order(db, world, upto=Action.APPROVE, **overrides)
    return act(db, order.number, Action.CALLBACK, world.reviewer, reached=True, resolution=resolution,
               satisfaction=satisfaction, note="市民表示问题仍在")


def rehandle(db: Database, world: World, number: str, *, resolution: str | None = None,
             satisfaction: str | None = None) -> WorkOrder:
    """重办: reopen to the unit, which signs and replies again; the centre approves. With an answer, the
    second callback too."""
    act(db, number, Action.REOPEN, world.reviewer, note="市民不满意，重新办理")
    act(db, number, Action.SIGN, world.handler)
    act(db, number, Action.REPLY, world.handler, note="已再次到现场处理")
    order = act(db, number, Action.APPROVE, world.dispatcher)
    if resolution is not None and satisfaction is not None:
        order = act(db, number, Action.CALLBACK, world.reviewer, reached=True, resolution=resolution,
                    satisfaction=satisfaction)
    return order
