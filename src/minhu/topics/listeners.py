"""A new order joins the active topics whose rule it meets, in intake's own transaction."""

from __future__ import annotations

from minhu.orders.signals import OrderChange, order_created
from minhu.topics import service


def gather_new_order(change: OrderChange) -> None:
    service.gather(change.session, change.order)


def install() -> None:
    order_created.connect(gather_new_order)


def uninstall() -> None:
    order_created.disconnect(gather_new_order)
