"""How minhu's statuses read in Open311: the specification's two (open, closed) and the extended statuses
FixMyStreet and other clients understand. docs/open311.md prints these tables."""

from __future__ import annotations

from minhu.orders.enums import Resolution
from minhu.orders.states import Status

OPEN, CLOSED = "open", "closed"
# The specification's status of each minhu status. A joined order (已并入主件) takes its main order's.
BASIC: dict[Status, str] = {
    Status.NEW: OPEN, Status.ACCEPTED: OPEN, Status.DISPATCHED: OPEN, Status.SIGNED: OPEN, Status.HANDLING: OPEN,
    Status.REPLIED: OPEN, Status.STREET_REVIEW: OPEN, Status.RETURNED: OPEN, Status.ESCALATED: OPEN,
    Status.SUSPENDED: OPEN,
    # The centre approved the unit's answer: the citizen has it; a callback that finds it unsolved reopens.
    Status.REVIEWED: CLOSED, Status.CALLED_BACK: CLOSED, Status.ARCHIVED: CLOSED, Status.VOIDED: CLOSED,
    Status.JOINED: OPEN,
}
# The extended status of each minhu status, in the words FixMyStreet's updates use (lower case).
EXTENDED: dict[Status, str] = {
    Status.NEW: "open", Status.ACCEPTED: "open", Status.DISPATCHED: "action_scheduled",
    Status.SIGNED: "action_scheduled", Status.HANDLING: "in_progress", Status.SUSPENDED: "in_progress",
    Status.REPLIED: "in_progress", Status.STREET_REVIEW: "in_progress", Status.RETURNED: "internal_referral",
    Status.ESCALATED: "investigating",
    Status.REVIEWED: "closed", Status.CALLED_BACK: "closed", Status.ARCHIVED: "closed",
    Status.VOIDED: "no_further_action", Status.JOINED: "duplicate",
}
# Once the citizen has said whether it was solved, a closed request says so.
BY_RESOLUTION: dict[Resolution, str] = {Resolution.RESOLVED: "fixed", Resolution.PARTLY: "closed",
                                        Resolution.UNRESOLVED: "unable_to_fix"}
EXTENDED_NAMES = tuple(dict.fromkeys([*EXTENDED.values(), *BY_RESOLUTION.values()]))
STATUS_NAMES = (OPEN, CLOSED)


def basic_status(status: Status) -> str:
    return BASIC[status]


def extended_status(status: Status, resolution: Resolution | None) -> str:
    if BASIC[status] == CLOSED and status is not Status.VOIDED and resolution is not None:
        return BY_RESOLUTION[resolution]
    return EXTENDED[status]


def statuses_of(names: list[str]) -> frozenset[Status]:
    """The minhu statuses a filter of specification statuses asks for (a joined order is filtered by its main
    order's status)."""
    return frozenset(s for s, basic in BASIC.items() if basic in names)
