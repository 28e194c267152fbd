"""What evaluation does when an order moves: an approved reply sends the citizen a rating link.

Installed by ``app.create_app`` (and the tests' fixtures) through ``install``; the receiver writes in
the approval's transaction, so the link and its SMS commit with the approval or not at all.
"""

from __future__ import annotations

from minhu.evaluation import rating_links
from minhu.orders.signals import OrderChange, order_moved
from minhu.orders.states import Action


def _on_order_moved(change: OrderChange) -> None:
    if change.event.action is Action.APPROVE:
        rating_links.open_link(change.session, change.order, approval_id=change.event.id)


def install() -> None:
    order_moved.connect(_on_order_moved)


def uninstall() -> None:
    order_moved.disconnect(_on_order_moved)
