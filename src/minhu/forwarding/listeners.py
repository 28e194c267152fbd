"""What the order page shows of a forwarded order: which system sent it, under which of its own ids."""

from __future__ import annotations

from minhu.forwarding import queries
from minhu.orders.signals import OrderShown, Panel, order_shown

PANEL_TEMPLATE = "forwarding/_source.html"


def show_source(shown: OrderShown) -> None:
    found = queries.forwarded(shown.session, shown.order.id)
    if found is not None:
        shown.panels.append(Panel(PANEL_TEMPLATE, {"system": found.system, "external_id": found.external_id,
                                                   "received_at": found.received_at}))


def install() -> None:
    order_shown.connect(show_source)


def uninstall() -> None:
    order_shown.disconnect(show_source)
