"""What the order page shows of scheduling: the instructions (领导批示) given about the order, their state, and for
the addressed unit's people a button to acknowledge one."""

from __future__ import annotations

from minhu.core import clock
from minhu.orders.signals import OrderShown, Panel, order_shown
from minhu.scheduling import queries

PANEL_TEMPLATE = "scheduling/_order_panel.html"


def show_instructions(shown: OrderShown) -> None:
    found = queries.of_order(shown.session, shown.order.id, today=clock.city_now().date())
    if found:
        shown.panels.append(Panel(PANEL_TEMPLATE, {"instructions": found, "order_number": shown.order.number,
                                                   "viewer_unit_id": shown.viewer.unit_id}))


def install() -> None:
    order_shown.connect(show_instructions)


def uninstall() -> None:
    order_shown.disconnect(show_instructions)
