"""Every domain's receivers of the order signals, installed together wherever orders move.

The web app, the command line and the worker all move orders (a dispatch from a page, the demo's load, the
sweep's time-outs), and each must tell the same people and systems: one list, so none of them forgets one.
"""

from __future__ import annotations

from minhu.chiefs import listeners as chiefs_listeners
from minhu.dashboard import listeners as dashboard_listeners
from minhu.dispatch import notices as dispatch_notices
from minhu.duplicates import listeners as duplicates_listeners
from minhu.evaluation import listeners as evaluation_listeners
from minhu.forwarding import listeners as forwarding_listeners
from minhu.interop import events as interop_events
from minhu.knowledge import listeners as knowledge_listeners
from minhu.open311 import listeners as open311_listeners
from minhu.scheduling import listeners as scheduling_listeners
from minhu.street import service as street_service
from minhu.topics import listeners as topic_listeners


def install() -> None:
    """Connect every receiver (idempotent: the signals keep one connection per receiver)."""
    dashboard_listeners.install()  # the dashboard's daily counts, in the transaction of every change
    evaluation_listeners.install()  # reply quality, the rating link of an approval, the order page's panels
    interop_events.install()  # signed webhook events
    dispatch_notices.install()  # the receiving unit's inbox on a dispatch or a call (吹哨)
    duplicates_listeners.install()  # one matter however many times it arrives (一事多办)
    forwarding_listeners.install()  # the order page names the system that forwarded an order
    open311_listeners.install()  # and the Open311 client, service, answers and follow-ups of a request
    knowledge_listeners.install()  # settled orders become past cases; the order page's articles and cases
    topic_listeners.install()  # a new order joins the problems of the month it belongs to (每月一题)
    chiefs_listeners.install()  # a located order names the chiefs whose ground and duty list it falls in (四长)
    scheduling_listeners.install()  # the order page lists the instructions (领导批示) given about the order
    # Last: an A order arriving at a street that lets them flow on moves on inside it, after the others heard.
    street_service.install()
