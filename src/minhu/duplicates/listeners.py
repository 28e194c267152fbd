"""What duplicate recognition does when orders are placed, moved and shown.

- At intake (``order_placing``): the earlier orders of the same matter are found and listed with their reasons;
  intake joins the new order to the best when the score reaches the forest's join threshold — unless the new
  order repeats one the callback found unsolved, or its matter was already answered (a report after an answer
  may say it is not solved: the dispatcher decides). The order's fingerprint is written with it, from the
  reading made here, so the next report of its matter finds it.
- Moved (``order_moved``): when a main order is answered (its reply approved, or answered on the call), each
  order joined to it takes that reply (随主件答复) and goes to its own callback and rating link; an order joined
  to a matter already answered takes the answer at once. When a main order is voided, the orders joined to it
  go back to the dispatcher (撤销合并).
- Shown (``order_shown``): the dispatcher sees the candidates with their reasons and merges in one click; every
  viewer of a main order sees the reports joined to it (a group complaint as one matter with its reporters).
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.duplicates import matching
from minhu.duplicates.text import Reading
from minhu.orders import lifecycle, trail
from minhu.orders import permissions as order_permissions
from minhu.orders.models import WorkOrder
from minhu.orders.signals import OrderChange, OrderPlacing, OrderShown, Panel, order_moved, order_placing, order_shown
from minhu.orders.states import Action, Status

PANEL_TEMPLATE = "duplicates/_panel.html"
# A main order whose reply reached its citizen: an order joining it takes that reply at once.
ANSWERED = frozenset({Status.REVIEWED, Status.CALLED_BACK, Status.ARCHIVED})
# Whether intake joins a sure match by itself (Settings.duplicates_auto_join); off, it only lists candidates.
_auto_join = True


def configure(*, auto_join: bool) -> None:
    global _auto_join
    _auto_join = auto_join


def find_at_intake(placing: OrderPlacing) -> None:
    data = placing.data
    report = matching.Report(title=data.title, content=data.content, at=clock.now(), address=data.address,
                             latitude=placing.latitude, longitude=placing.longitude,
                             community_id=placing.community_id, phone=data.citizen_phone)
    reading = report.reading()
    found = matching.find(placing.session, report, reading=reading)
    placing.duplicates = [m.as_payload() for m in found]
    best = found[0] if found else None
    if _auto_join and best is not None and best.joinable and placing.repeat_of is None \
            and best.status not in ANSWERED:
        placing.join = best.number
    placing.with_order.append(partial(_remember, reading=reading))


def _remember(session: Session, order: WorkOrder, *, reading: Reading) -> None:
    matching.remember(session, matching.report_of(order), order.id, reading)


def follow_main(change: OrderChange) -> None:
    session, order, action = change.session, change.order, change.event.action
    if action is Action.VOID:
        for joined in _joined_to(session, order):
            lifecycle.apply_system_action(session, joined, Action.UNMERGE, by=trail.AUTO_JOINER,
                                          note=f"主工单 {order.number} 已作废，撤销合并，请另行处理")
    elif action is Action.MERGE and order.duplicate_of_id is not None:
        # The order, and those joined to it until now, joined another matter: answered already, it answers them.
        # Most joins are to a matter still in hand (intake joins no other by itself): its status, read alone,
        # says so without loading the main order and its relations in the middle of an intake.
        main_status = session.execute(select(WorkOrder.status).where(WorkOrder.id == order.duplicate_of_id)
                                      ).scalar_one_or_none()
        main = session.get(WorkOrder, order.duplicate_of_id) if main_status in ANSWERED else None
        if main is not None:
            _answer_joined(session, main)
    elif order.status in ANSWERED:
        _answer_joined(session, order)


def _joined_to(session: Session, main: WorkOrder) -> list[WorkOrder]:
    return list(session.scalars(select(WorkOrder).where(WorkOrder.duplicate_of_id == main.id,
                                                        WorkOrder.status == Status.JOINED.value)
                                .order_by(WorkOrder.id)))


def _answer_joined(session: Session, main: WorkOrder) -> None:
    if main.status not in ANSWERED or not (main.reply_text or "").strip():
        return
    for follower in _joined_to(session, main):
        lifecycle.apply_system_action(session, follower, Action.FOLLOW, by=trail.AUTO_JOINER,
                                      note=f"主工单 {main.number} 已答复，随主件答复")


def add_panel(shown: OrderShown) -> None:
    order, viewer, session = shown.order, shown.viewer, shown.session
    deciding = Action.MERGE in shown.allowed
    candidates = []
    if deciding and order.duplicate_of_id is None:
        candidates = matching.find(session, matching.report_of(order),
                                   reading=matching.stored_reading(session, order.id))
    joined = session.scalars(select(WorkOrder).where(WorkOrder.duplicate_of_id == order.id)
                             .order_by(WorkOrder.created_at, WorkOrder.id)).all()
    joined = [o for o in joined if order_permissions.may_see(viewer, o)]
    main = session.get(WorkOrder, order.duplicate_of_id) if order.duplicate_of_id is not None else None
    if main is not None and not order_permissions.may_see(viewer, main):
        main = None
    if not (candidates or joined or deciding or main):
        return
    # Each candidate carries its own one-click merge; the merge form's pre-filled number stays the thread's.
    shown.panels.append(Panel(PANEL_TEMPLATE, {
        "candidates": candidates, "deciding": deciding, "main": main,
        "joined": [(o, order_permissions.sees_identity(viewer, o)) for o in joined],
        "sees_identity": order_permissions.sees_identity(viewer, order)}))


def install() -> None:
    order_placing.connect(find_at_intake)
    order_moved.connect(follow_main)
    order_shown.connect(add_panel)


def uninstall() -> None:
    order_placing.disconnect(find_at_intake)
    order_moved.disconnect(follow_main)
    order_shown.disconnect(add_panel)
