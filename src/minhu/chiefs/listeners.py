"""The chiefs react to orders: an order registered, or dispatched under another category, names the chiefs who
answer for it (in the same transaction); the order page shows who they are."""

from __future__ import annotations

from minhu.chiefs import naming, permissions, queries
from minhu.orders.signals import OrderChange, OrderShown, Panel, order_created, order_moved, order_shown
from minhu.orders.states import Action

PANEL_TEMPLATE = "chiefs/_named.html"
# The moves that may change an order's category (the dispatcher chooses it as they dispatch).
RECATEGORISING = frozenset({Action.DISPATCH})


def name_new_order(change: OrderChange) -> None:
    naming.name_chiefs(change.session, change.order, fresh=True)


def rename_moved_order(change: OrderChange) -> None:
    if change.event.action in RECATEGORISING:
        naming.name_chiefs(change.session, change.order)


def show_chiefs(shown: OrderShown) -> None:
    named = queries.named_on(shown.session, shown.order.id)
    if named:
        shown.panels.append(Panel(PANEL_TEMPLATE, {"chiefs": named,
                                                   "linked": permissions.sees_every_chief(shown.viewer)}))


def install() -> None:
    order_created.connect(name_new_order)
    order_moved.connect(rename_moved_order)
    order_shown.connect(show_chiefs)


def uninstall() -> None:
    order_created.disconnect(name_new_order)
    order_moved.disconnect(rename_moved_order)
    order_shown.disconnect(show_chiefs)
