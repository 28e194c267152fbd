"""What duplicate recognition does when orders are placed, created, moved and shown.

- At intake (``order_placing``): the earlier orders of the same matter are found and listed with their reasons;
  intake joins the new order to the best when the score reaches ``scoring.forest().join``.
- Created (``order_created``): the order's fingerprint is written in the same transaction, so the next report
  of its matter finds it.
- Moved (``order_moved``): when a main order's reply is approved, each order joined to it takes that reply
  (随主件答复) and goes to its own callback and rating link; an order joined to a matter already answered takes
  the answer at once.
- Shown (``order_shown``): the dispatcher sees the candidates with their reasons and merges in one click; every
  viewer of a main order sees the reports joined to it (a group complaint as one matter with its reporters).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.duplicates import matching, scoring
from minhu.orders import lifecycle, trail
from minhu.orders import permissions as order_permissions
from minhu.orders.models import WorkOrder
from minhu.orders.signals import (
    OrderChange,
    OrderPlacing,
    OrderShown,
    Panel,
    order_created,
    order_moved,
    order_placing,
    order_shown,
)
from minhu.orders.states import Action, Status

PANEL_TEMPLATE = "duplicates/_panel.html"
# Whether intake joins a sure match by itself (Settings.duplicates_auto_join); off, it only lists candidates.
_auto_join = True


def configure(*, auto_join: bool) -> None:
    global _auto_join
    _auto_join = auto_join
# A main order whose reply was approved: an order joining it takes that reply at once.
ANSWERED = frozenset({Status.REVIEWED, Status.CALLED_BACK, Status.ARCHIVED})


def find_at_intake(placing: OrderPlacing) -> None:
    data = placing.data
    report = matching.Report(title=data.title, content=data.content, at=clock.now(), address=data.address,
                             latitude=placing.latitude, longitude=placing.longitude,
                             community_id=placing.community_id, phone=data.citizen_phone)
    found = matching.find(placing.session, report)
    placing.duplicates = [m.as_payload() for m in found]
    if _auto_join and found and found[0].score >= scoring.forest().join:
        placing.join = found[0].number


def remember_created(change: OrderChange) -> None:
    if change.event.action is Action.CREATE:
        matching.remember(change.session, matching.report_of(change.order), change.order.id)


def follow_main(change: OrderChange) -> None:
    session, order = change.session, change.order
    if change.event.action is Action.APPROVE:
        joined = session.scalars(select(WorkOrder).where(WorkOrder.duplicate_of_id == order.id,
                                                         WorkOrder.status == Status.JOINED.value)
                                 .order_by(WorkOrder.id)).all()
        for follower in joined:
            _follow(session, follower, order)
    elif change.event.action is Action.MERGE and order.status is Status.JOINED:
        main = session.get(WorkOrder, order.duplicate_of_id) if order.duplicate_of_id is not None else None
        if main is not None and main.status in ANSWERED and (main.reply_text or "").strip():
            _follow(session, order, main)


def _follow(session: Session, follower: WorkOrder, main: WorkOrder) -> None:
    lifecycle.apply_system_action(session, follower, Action.FOLLOW, by=trail.AUTO_JOINER,
                                  note=f"主工单 {main.number} 的答复已审核通过，随主件答复")


def add_panel(shown: OrderShown) -> None:
    order, viewer, session = shown.order, shown.viewer, shown.session
    deciding = Action.MERGE in shown.allowed
    candidates = matching.find(session, matching.report_of(order)) if deciding and order.duplicate_of_id is None \
        else []
    joined = session.scalars(select(WorkOrder).where(WorkOrder.duplicate_of_id == order.id)
                             .order_by(WorkOrder.created_at, WorkOrder.id)).all()
    joined = [o for o in joined if order_permissions.may_see(viewer, o)]
    main = session.get(WorkOrder, order.duplicate_of_id) if order.duplicate_of_id is not None else None
    if main is not None and not order_permissions.may_see(viewer, main):
        main = None
    if not (candidates or joined or deciding or main):
        return
    # Each candidate carries its own one-click merge; the merge form's pre-filled number stays the thread's.
    shown.panels.append(Panel(PANEL_TEMPLATE, {"candidates": candidates, "joined": joined, "deciding": deciding,
                                               "main": main}))


def install() -> None:
    order_placing.connect(find_at_intake)
    order_created.connect(remember_created)
    order_moved.connect(follow_main)
    order_shown.connect(add_panel)


def uninstall() -> None:
    order_placing.disconnect(find_at_intake)
    order_created.disconnect(remember_created)
    order_moved.disconnect(follow_main)
    order_shown.disconnect(add_panel)
