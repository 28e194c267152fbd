"""What the knowledge base does as orders move and are shown.

- Moved (``order_moved``): an order settled — called back or archived with its reply — becomes a past case
  that similar-case search offers for the next order like it (its personal data masked).
- Shown (``order_shown``): the order page gets a section that loads, after the page, the articles the order
  calls for and the five settled cases most like it — and, for an editor on a well-solved order, the one
  step that makes it a guiding case.
"""

from __future__ import annotations

from minhu.knowledge import service
from minhu.orders.signals import OrderChange, OrderShown, Panel, order_moved, order_shown
from minhu.orders.states import Status

PANEL_TEMPLATE = "knowledge/_order_panel.html"
SETTLED = frozenset({Status.CALLED_BACK, Status.ARCHIVED})


def remember_settled(change: OrderChange) -> None:
    if change.order.status in SETTLED:
        service.remember_order(change.session, change.order)


def add_panel(shown: OrderShown) -> None:
    if shown.order.status is not Status.VOIDED:
        shown.panels.append(Panel(PANEL_TEMPLATE, {"number": shown.order.number}))


def install() -> None:
    order_moved.connect(remember_settled)
    order_shown.connect(add_panel)


def uninstall() -> None:
    order_moved.disconnect(remember_settled)
    order_shown.disconnect(add_panel)
