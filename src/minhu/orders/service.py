"""The writers of the work order, by name: what callers import as ``from minhu.orders import service``.

Each lives in the module of its capability, so a reader finds the rule for one job by its name:

- ``intake``: registering a request (``create_order``, ``create_order_once``, ``place_order``);
- ``lifecycle``: the one writer of status (``apply_action`` for a person, ``apply_system_action`` for the
  system), one small handler per action beside the transition table; ``checks``: what each action needs;
- ``supervising``: urging (催办), overdue notices, 督办, instructions (领导批示) and other records that leave the
  status alone;
- ``attachments``: files kept with an order; ``personal``: revealing a citizen's phone number;
- ``trail``: the one event each of them appends.
"""

from __future__ import annotations

from minhu.orders.attachments import add_attachment, attach_file
from minhu.orders.intake import (
    DEFAULT_PREFIX,
    INTAKE_ROLES,
    PlacedOrder,
    Registered,
    create_order,
    create_order_once,
    place_order,
)
from minhu.orders.lifecycle import (
    HANDLERS,
    REPORT_LIMIT,
    RETURN_LIMIT,
    Move,
    apply_action,
    apply_system_action,
    rate_online,
    time_out_sign,
)
from minhu.orders.personal import note_phone_shown, reveal_phone
from minhu.orders.supervising import instruct, note_overdue, record, supervise, urge
from minhu.orders.trail import AUTO_DISPATCHER, ONLINE_RATER, SWEEP_NAME

__all__ = [
    "AUTO_DISPATCHER", "DEFAULT_PREFIX", "HANDLERS", "INTAKE_ROLES", "ONLINE_RATER", "REPORT_LIMIT", "RETURN_LIMIT",
    "SWEEP_NAME", "Move", "PlacedOrder", "Registered", "add_attachment", "apply_action", "apply_system_action",
    "attach_file",
    "create_order", "create_order_once", "instruct", "note_overdue", "note_phone_shown", "place_order",
    "rate_online", "record", "reveal_phone", "supervise", "time_out_sign", "urge",
]
