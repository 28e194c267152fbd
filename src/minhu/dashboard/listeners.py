"""The dashboard's daily counts follow every order: a new order from intake, and whatever a flush changes."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from minhu.dashboard import rollup
from minhu.orders.signals import OrderChange, order_created


def count_new_order(change: OrderChange) -> None:
    rollup.count_new(change.session, change.order)


def install() -> None:
    order_created.connect(count_new_order)
    if not event.contains(Session, "before_flush", rollup.count_flush):
        event.listen(Session, "before_flush", rollup.count_flush)


def uninstall() -> None:
    order_created.disconnect(count_new_order)
    if event.contains(Session, "before_flush", rollup.count_flush):
        event.remove(Session, "before_flush", rollup.count_flush)
