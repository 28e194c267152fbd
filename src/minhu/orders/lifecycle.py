"""The one writer of status: ``apply_action`` for a person, ``apply_system_action`` for the system's own
moves (auto-dispatch, the sweep's sign time-out, the citizen's online rating), both along a row of the
transition table (``states.TRANSITIONS``), each action's own work a small handler in ``HANDLERS``.

Every move appends one ``OrderEvent`` in the caller's transaction and sends ``order_moving`` before it and
``order_moved`` after, whose receivers write in that same transaction. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from minhu.core import clock
from minhu.core.errors import field_error
from minhu.deadlines.models import LimitKind
from minhu.orders import callbacks, checks, clocks, permissions, states, trail
from minhu.orders.enums import CallbackMethod, Grade, Resolution, Satisfaction
from minhu.orders.errors import IllegalAction, NoteRequired, StaleOrder
from minhu.orders.models import CallbackAttempt, OrderCall, OrderEscalation, OrderEvent, OrderExtension, WorkOrder
from minhu.orders.schemas import ActionRequest
from minhu.orders.signals import OrderChange, OrderMoving, order_moved, order_moving
from minhu.orders.states import Action, Status
from minhu.org import queries as org_queries
from minhu.org.models import Unit, User
from minhu.org.roles import Role
from minhu.routing import grading
from minhu.routing import rules as routing_rules
from minhu.routing.models import Category, RoutingDecision

# How long a unit called onto an order (吹哨) has to report (报到), and how long a unit that received an
# order may still return it (退单), until the deadlines policy sets them.
REPORT_LIMIT = timedelta(hours=24)
RETURN_LIMIT = timedelta(hours=24)


def _ruling_to_rule(session: Session, order: WorkOrder, from_status: Status, note: str, actor: User) -> int:
    """A ruling on a returned order's ownership becomes a line of the matrix (in one click), superseding a
    rule that gave the category to another unit."""
    if from_status is not Status.RETURNED:
        raise field_error("make_rule", "只有对退单的裁定可以转为责任规则")
    if order.category_code is None:
        raise field_error("category_code", "请先确定分类，再把裁定转为责任规则")
    category = session.get(Category, order.category_code)
    if category is not None and category.level == 1:
        # A first-level category is a whole field (公共安全, 城乡建设): a ruling on one order must not send all
        # of it to one unit across the district.
        raise field_error("make_rule", f"一级分类“{category.name}”范围太大：请先选定二级或三级分类，再写入责任清单")
    rule = routing_rules.add_ruling(session, category_code=order.category_code, owner_unit_id=order.owner_unit.id,
                                    source=f"派单员裁定（工单 {order.number}）", decided_on=clock.city_now().date(),
                                    note=note, actor=actor)
    return rule.id


def _record_choice(session: Session, order: WorkOrder, unit_id: int) -> None:
    """What the dispatcher chose against what routing suggested: the first dispatch counts."""
    session.execute(update(RoutingDecision).where(RoutingDecision.order_id == order.id,
                                                  RoutingDecision.chosen_at.is_(None))
                    .values(chosen_category=order.category_code, chosen_owner_id=unit_id,
                            chosen_at=clock.now()))



def _record_attempt(session: Session, order: WorkOrder, *, method: CallbackMethod, reached: bool, note: str,
                    actor: User | None, now: datetime, actor_name: str = "") -> None:
    order.callback_attempts += 1
    session.add(CallbackAttempt(order_id=order.id, at=now, method=method, reached=reached, note=note,
                                actor_id=actor.id if actor else None,
                                actor_name=actor.full_name if actor else actor_name))


def set_callback_outcome(session: Session, order: WorkOrder, payload: dict[str, Any], *, note: str,
                         actor: User | None, now: datetime, actor_name: str = "") -> None:
    """The answer the callback got, in the columns the rates read; unreached means closed as unreachable."""
    reached = bool(payload["reached"])
    order.callback_method = payload["method"]
    order.callback_reached = reached
    order.unreachable = not reached
    order.resolution = payload.get("resolution") if reached else None
    order.satisfaction = payload.get("satisfaction") if reached else None
    _record_attempt(session, order, method=payload["method"], reached=reached, note=note, actor=actor, now=now,
                    actor_name=actor_name)



def _hand_over(session: Session, order: WorkOrder, unit: Unit, now: datetime, *, returnable: bool = True,
               limits: tuple[LimitKind, ...] = clocks.DISPATCH_LIMITS) -> dict[str, list[str | None]]:
    """The order reaches ``unit``: its clocks — to return, and ``limits`` (sign, respond and finish) — start
    now. Returns the deadlines that moved, for the trail."""
    order.owner_unit = unit
    order.dispatched_at = now
    order.responded_at = None
    # Without a return period the limit ends as it starts: the order cannot be returned.
    order.return_due_at = now + RETURN_LIMIT if returnable else now
    return clocks.start(session, order, limits, now)


# A dispatch inside a street restarts the inner unit's clocks to return, sign and respond; the 办结 limit stays the
# one the district gave the street: dispatching inside does not buy the street more time.
INNER_LIMITS = (LimitKind.SIGN, LimitKind.RESPOND)


def needs_street_review(session: Session, order: WorkOrder) -> bool:
    """An inner unit's reply goes to its street's review first, unless the street said otherwise."""
    street_id = order.sub_centre_id
    if street_id is None or order.owner_unit_id == street_id:
        return False
    return org_queries.street_setting(session, street_id).review_inner_replies


def deadline_payload(changes: dict[str, list[str | None]]) -> dict[str, Any]:
    return {"deadlines": changes} if changes else {}


def _decide_escalation(order: WorkOrder, actor: User, now: datetime, *, accepted: bool, note: str) -> None:
    pending = order.pending_escalation
    if pending is not None:
        pending.decided_by_id, pending.decided_at = actor.id, now
        pending.accepted, pending.decision_note = accepted, note



# --- the one writer of status ---------------------------------------------------------------------------
# Each action's own work is a small handler beside the table; ``_move`` is the one place a status changes,
# for a person (``apply_action``) or for the system (``apply_system_action``): it checks nothing the callers
# have not, and does everything every move does (the clocks of closing, the signals, the one event).



@dataclass
class Move:
    """One action being taken: what the handlers read and write. ``payload`` is what the event keeps;
    ``moved`` the deadlines the action moved ({limit: [old, new]}); ``unit`` a unit the caller already holds
    for the hand-over (auto-dispatch), so none is loaded again."""

    session: Session
    order: WorkOrder
    action: Action
    transition: states.Transition
    actor: User | None
    actor_name: str
    note: str
    payload: dict[str, Any]
    from_status: Status
    now: datetime
    params: ActionRequest | None = None
    unit: Unit | None = None
    moved: dict[str, list[str | None]] = field(default_factory=dict)

    @property
    def person(self) -> User:
        """The actor of an action only people take (the table gives the system no such row)."""
        assert self.actor is not None
        return self.actor


def _on_dispatch(m: Move) -> None:
    order = m.order
    order.sub_centre_id = None  # the centre dispatches afresh: no street holds it inside any more
    order.category_code = m.payload.get("category") or order.category_code
    order.grade = m.payload.get("grade", order.grade)  # before the clocks start: the limits follow the grade
    unit = trail.adopt(m.session, m.unit) if m.unit is not None else m.session.get_one(Unit, m.payload["unit_id"])
    m.moved = _hand_over(m.session, order, unit, m.now)
    if m.actor is None:  # auto-dispatch: routing's decision already says it dispatched itself
        return
    _record_choice(m.session, order, m.payload["unit_id"])
    if m.params is not None and m.params.make_rule:
        m.payload["rule_id"] = _ruling_to_rule(m.session, order, m.from_status, m.note, m.person)


def _on_return(m: Move) -> None:
    """退单, or the sweep's sign time-out: the order goes back to whoever dispatched it — the street for a unit
    inside it that the street dispatched to (退回街道), else the centre's queue."""
    order, unit = m.order, m.order.owner_unit
    m.payload = {**m.payload, "returned_by_unit": unit.name}
    if m.action is Action.SIGN_TIMEOUT:
        m.payload["unit_id"] = unit.id
    street = order.sub_centre
    if street is not None and street.id != unit.id:
        m.payload["returned_to"] = {"id": street.id, "name": street.name}
        order.owner_unit = trail.adopt(m.session, street)
        return
    order.sub_centre_id = None
    order.owner_unit = trail.intake_unit(m.session, None)


def _on_inner_dispatch(m: Move) -> None:
    """内派: the street hands the order to a unit inside it, and stays its sub-centre for returns and review."""
    unit = trail.adopt(m.session, m.unit) if m.unit is not None else m.session.get_one(Unit, m.payload["unit_id"])
    m.order.sub_centre_id = m.payload["street_id"]
    m.moved = _hand_over(m.session, m.order, unit, m.now, limits=INNER_LIMITS)


def _on_whistle(m: Move) -> None:
    for called in m.payload["units"]:
        # Through the collection, so the order knows its calls within this same session.
        m.order.calls.append(OrderCall(order_id=m.order.id, unit_id=called["id"], called_by_id=m.person.id,
                                       called_at=m.now, report_due_at=m.now + REPORT_LIMIT))


def _on_report(m: Move) -> None:
    call = permissions.open_call_for(m.person, m.order)
    assert call is not None  # may_take checked it
    call.reported_at, call.report = m.now, m.note
    m.payload = {"unit_id": call.unit_id, "unit_name": call.unit.name, "late": call.late}


def _on_reply(m: Move) -> None:
    m.order.reply_text = m.note
    m.order.replied_at = m.now
    m.order.responded_at = m.order.responded_at or m.now


def _on_solve_on_spot(m: Move) -> None:
    """就地解决: the reporting grid worker's grid holds the order at once — dispatched, signed and replied in this one
    move, so its clocks start and are met now — and it waits for the centre's review like any reply."""
    unit = trail.adopt(m.session, m.person.unit)
    # Nobody dispatched it: routing's record keeps no dispatcher's choice, and the dispatch figures skip it.
    m.moved = _hand_over(m.session, m.order, unit, m.now, returnable=False)
    _on_reply(m)
    m.payload = {**m.payload, "unit_id": unit.id, "unit_name": unit.name}


def _on_handle(m: Move) -> None:
    m.order.responded_at = m.order.responded_at or m.now  # the first progress note is the first contact


def _on_approve(m: Move) -> None:
    m.moved = clocks.start(m.session, m.order, [LimitKind.CALLBACK], m.now)


def _on_callback(m: Move) -> None:
    """A reviewer's call that got an answer (or closed as unreachable), or the citizen's own online rating."""
    set_callback_outcome(m.session, m.order, m.payload, note=m.note, actor=m.actor, now=m.now,
                          actor_name=m.actor_name)


def _on_callback_unreached(m: Move) -> None:
    _record_attempt(m.session, m.order, method=m.payload["method"], reached=False, note=m.note, actor=m.actor,
                    now=m.now)
    m.payload = {**m.payload, "next_try_at": (m.now + callbacks.policy().retry_after).isoformat()}


def _on_reopen(m: Move) -> None:
    order = m.order
    # The next callback starts afresh: the rates read these only once the order is archived again.
    order.resolution = None
    order.satisfaction = None
    order.callback_method = None
    order.callback_reached = None
    order.unreachable = False
    order.callback_attempts = 0
    # The matter came back unsolved: routing's rule raises its grade before the clocks restart, which read it.
    decision = grading.rehandled(order.grade)
    raise_ = grade_raise(order.grade, decision)
    order.grade = decision.grade
    # Re-handling goes back to the unit that replied: it is not an order it may return.
    m.moved = _hand_over(m.session, order, order.owner_unit, m.now, returnable=False)
    m.payload = {"unit_id": order.owner_unit_id, "unit_name": order.owner_unit.name, **raise_}


def grade_raise(before: Grade | None, decision: grading.GradeDecision, *, why: str = "") -> dict[str, Any]:
    """The trail's record of a grade routing's rules raised: from, to, and the rule's reason."""
    if before is not None and before is decision.grade:
        return {}
    return {"grade_raised": {"from": before, "to": decision.grade, "reason": decision.reasons[-1] + why}}


def _on_escalate(m: Move) -> None:
    m.order.escalations.append(OrderEscalation(
        order_id=m.order.id, from_grade=m.order.grade, to_grade=m.payload["to_grade"], reason=m.note,
        requested_by_id=m.person.id, requested_unit_id=m.order.owner_unit_id, requested_at=m.now))


def _on_accept_escalation(m: Move) -> None:
    _decide_escalation(m.order, m.person, m.now, accepted=True, note=m.note)
    m.order.grade = m.payload["to_grade"]
    unit = m.session.get_one(Unit, m.payload["unit_id"])
    if m.order.sub_centre is not None and not unit.is_within(m.order.sub_centre):
        m.order.sub_centre_id = None  # taken out of the street: the centre's dispatch now
    m.moved = _hand_over(m.session, m.order, unit, m.now)


def _on_refuse_escalation(m: Move) -> None:
    _decide_escalation(m.order, m.person, m.now, accepted=False, note=m.note)


def _on_escalate_city(m: Move) -> None:
    _decide_escalation(m.order, m.person, m.now, accepted=True, note=m.note)
    m.payload = {"from_grade": m.order.grade, "to_grade": Grade.D}
    m.order.grade = Grade.D
    m.order.sub_centre_id = None
    m.order.owner_unit = trail.intake_unit(m.session, m.actor)


def _on_suspend(m: Move) -> None:
    m.moved = clocks.suspend(m.session, m.order, m.now)


def _on_resume(m: Move) -> None:
    m.moved = clocks.resume(m.session, m.order, m.now)


def _on_ask_extension(m: Move) -> None:
    extend_to = m.params.extend_to if m.params is not None else None
    assert extend_to is not None  # _check_extension checked it
    m.order.extensions.append(OrderExtension(order_id=m.order.id, reason=m.note, requested_by_id=m.person.id,
                                             requested_at=m.now, old_due_at=m.order.finish_due_at,
                                             new_due_at=extend_to))


def _on_decide_extension(m: Move) -> None:
    extension = m.order.pending_extension
    assert extension is not None  # may_take checked it
    approved = m.action is Action.APPROVE_EXTENSION
    extension.decided_by_id, extension.decided_at = m.person.id, m.now
    extension.approved, extension.decision_note = approved, m.note
    if approved:
        m.moved = clocks.move(m.session, m.order, LimitKind.FINISH, extension.new_due_at, m.now)


def _on_city_feedback(m: Move) -> None:
    m.order.reply_text = m.note
    m.order.replied_at = m.now


def _on_rule(m: Move) -> None:
    m.order.ruling = m.payload["ruling"]
    m.order.ruling_reason = m.note


def _on_merge(m: Move) -> None:
    """The order joins the main order's matter; the orders joined to it until now follow it there, so every
    joined order points at a main order directly. A joined order's clocks stop, as a suspension stops them: what
    the 办结 limit had left is kept for an undoing."""
    main_id = m.payload["duplicate_of_id"]
    m.order.duplicate_of_id = main_id
    if m.transition.target is Status.JOINED and m.order.suspended_at is None:
        m.moved = clocks.suspend(m.session, m.order, m.now)
    m.session.execute(update(WorkOrder).where(WorkOrder.duplicate_of_id == m.order.id)
                      .values(duplicate_of_id=main_id).execution_options(synchronize_session=False))


def _on_unmerge(m: Move) -> None:
    """Back at the centre as accepted, a matter of its own again: the 办结 clock runs on with what it had left."""
    main = m.session.get(WorkOrder, m.order.duplicate_of_id) if m.order.duplicate_of_id is not None else None
    m.payload = {**m.payload, "duplicate_of": main.number if main is not None else None}
    m.order.duplicate_of_id = None
    m.order.sub_centre_id = None
    m.order.owner_unit = trail.intake_unit(m.session, None)
    m.moved = clocks.resume(m.session, m.order, m.now)


def _on_follow(m: Move) -> None:
    """A joined order takes its main order's approved reply and starts its own callback clock."""
    main = m.session.get_one(WorkOrder, m.order.duplicate_of_id)
    m.order.reply_text = main.reply_text
    m.order.replied_at = m.now
    m.order.responded_at = m.order.responded_at or m.now
    # Answered by the main order's unit: a re-handling after an unsatisfied callback goes back to it.
    m.order.owner_unit = main.owner_unit
    m.order.suspended_at = m.order.finish_left_minutes = None
    m.payload = {**m.payload, "duplicate_of": main.number, "unit_id": main.owner_unit_id}
    m.moved = clocks.start(m.session, m.order, [LimitKind.CALLBACK], m.now)


def _nothing(m: Move) -> None:
    """Accepting, signing, sending back, archiving, voiding, restoring: the status says it all."""


HANDLERS: dict[Action, Callable[[Move], None]] = {
    Action.ACCEPT: _nothing,
    Action.DIRECT_REPLY: _on_reply,
    Action.DISPATCH: _on_dispatch,
    Action.SIGN: _nothing,
    Action.RETURN: _on_return,
    Action.HANDLE: _on_handle,
    Action.REPLY: _on_reply,
    Action.APPROVE: _on_approve,
    Action.SEND_BACK: _nothing,
    Action.CALLBACK: _on_callback,
    Action.CALLBACK_UNREACHED: _on_callback_unreached,
    Action.RATE: _on_callback,
    Action.ARCHIVE: _nothing,
    Action.REOPEN: _on_reopen,
    Action.VOID: _nothing,
    Action.RESTORE: _nothing,
    Action.WHISTLE: _on_whistle,
    Action.REPORT: _on_report,
    Action.ESCALATE: _on_escalate,
    Action.ACCEPT_ESCALATION: _on_accept_escalation,
    Action.REFUSE_ESCALATION: _on_refuse_escalation,
    Action.ESCALATE_CITY: _on_escalate_city,
    Action.CITY_FEEDBACK: _on_city_feedback,
    Action.SIGN_TIMEOUT: _on_return,
    Action.SUSPEND: _on_suspend,
    Action.RESUME: _on_resume,
    Action.ASK_EXTENSION: _on_ask_extension,
    Action.APPROVE_EXTENSION: _on_decide_extension,
    Action.REFUSE_EXTENSION: _on_decide_extension,
    Action.RULE: _on_rule,
    Action.MERGE: _on_merge,
    Action.UNMERGE: _on_unmerge,
    Action.FOLLOW: _on_follow,
    Action.INNER_DISPATCH: _on_inner_dispatch,
    Action.REPLY_TO_STREET: _on_reply,
    Action.STREET_APPROVE: _nothing,
    Action.STREET_SEND_BACK: _nothing,
    Action.SOLVE_ON_SPOT: _on_solve_on_spot,
}


def apply_action(session: Session, order: WorkOrder, action: Action, *, actor: User,
                 params: ActionRequest) -> OrderEvent:
    """Move ``order`` along the transition table and append its event.

    Raises IllegalAction (409) when the action is not open to this actor in this state,
    StaleOrder (409) when the order changed since the actor saw it, NoteRequired or
    InvalidInput (422) when the action lacks what it needs.
    """
    transition = states.find(order.status, action)
    if transition is None or not permissions.may_take(actor, order, transition):
        allowed = [t.action.value for t in permissions.allowed_actions(actor, order)]
        raise IllegalAction(order.number, action, order.status, allowed)
    if order.version != params.expected_version:
        raise StaleOrder(order.number, seen=params.expected_version, current=order.version)
    note = params.note
    if transition.note_label and not note.strip():
        raise NoteRequired(action.value, transition.note_label)
    payload = checks.check_params(session, order, action, actor, params)
    if action is Action.REPLY and needs_street_review(session, order):
        # The same reply, to the street that dispatched it inside: its own row, so the trail says where it went.
        action = Action.REPLY_TO_STREET
        to_street = states.find(order.status, action)
        assert to_street is not None  # the table has the row wherever REPLY is taken
        transition = to_street
    if action is Action.CALLBACK and not payload["reached"] and not payload["unreachable"]:
        # Its own row of the table, so the trail says what happened; the order stays waiting for the next try.
        action = Action.CALLBACK_UNREACHED
        unanswered = states.find(order.status, action)
        assert unanswered is not None  # the table has the row wherever CALLBACK is taken
        transition = unanswered
    return _move(Move(session, order, action, transition, actor, actor.full_name, note, payload, order.status,
                      clock.now(), params=params), expected_version=params.expected_version)


def apply_system_action(session: Session, order: WorkOrder, action: Action, *, by: str, note: str = "",
                        payload: dict[str, Any] | None = None, unit: Unit | None = None) -> OrderEvent:
    """A move the system makes itself — auto-dispatch, the sweep's sign time-out, the citizen's online
    rating — along a row of the table open to the system (``Transition.by_system``), with the same checks,
    signals and event as a person's. ``by`` names the system in the trail.

    Raises IllegalAction when no such row leaves the order's state.
    """
    transition = states.find(order.status, action)
    if transition is None or not transition.by_system:
        raise IllegalAction(order.number, action, order.status, [])
    return _move(Move(session, order, action, transition, None, by, note, dict(payload or {}), order.status,
                      clock.now(), unit=unit))


def _move(m: Move, *, expected_version: int | None = None) -> OrderEvent:
    """The one place a status changes: the handler's work, the closing clock, both signals, one event."""
    order = m.order
    order.status = m.transition.target
    order.updated_at = m.now
    HANDLERS[m.action](m)
    # A ruling on an archived order records without closing it again: the rates count it by its archive time.
    if m.transition.target in (Status.ARCHIVED, Status.VOIDED) and m.from_status is not m.transition.target:
        order.closed_at = m.now
    elif m.from_status is Status.VOIDED:
        order.closed_at = None

    moving = OrderMoving(m.session, order, m.action, m.actor, {**m.payload, **deadline_payload(m.moved)})
    order_moving.send(moving)
    event = trail.append_event(m.session, order, m.action, actor=m.actor, from_status=m.from_status, note=m.note,
                          payload=moving.payload, anonymous_name=m.actor_name)
    try:
        m.session.flush()
    except StaleDataError as exc:
        raise StaleOrder(order.number, seen=expected_version, current=None) from exc
    order_moved.send(OrderChange(m.session, order, event))
    return event



def solve_on_the_spot(session: Session, order: WorkOrder, *, actor: User, note: str) -> OrderEvent:
    """就地解决, in the transaction that registers ``order``: the grid worker who reported it solved it there.

    Raises IllegalAction unless ``actor`` is the grid worker who registered the order, it stands on their grid,
    is of grade A and still waits for acceptance; NoteRequired without what was done.
    """
    transition = states.find(order.status, Action.SOLVE_ON_SPOT)
    if (transition is None or actor.role is not Role.GRIDWORKER or order.created_by_id != actor.id
            or order.grid_id != actor.unit_id or order.grade is not Grade.A):
        raise IllegalAction(order.number, Action.SOLVE_ON_SPOT, order.status, [])
    if not note.strip():
        raise NoteRequired(Action.SOLVE_ON_SPOT.value, transition.note_label or "处置情况")
    return _move(Move(session, order, Action.SOLVE_ON_SPOT, transition, actor, actor.full_name, note, {},
                      order.status, clock.now()))


def time_out_sign(session: Session, order: WorkOrder, *, note: str) -> OrderEvent:
    """An order nobody signed in time goes back to the dispatcher (by the sweep, along the state table).
    Raises IllegalAction when the order no longer waits for its signature."""
    return apply_system_action(session, order, Action.SIGN_TIMEOUT, by=trail.SWEEP_NAME, note=note)


def rate_online(session: Session, order: WorkOrder, *, resolution: Resolution, satisfaction: Satisfaction,
                comment: str = "") -> OrderEvent:
    """网上直评: the citizen's own answer through a rating link closes the callback like a reviewer's call.

    The caller (evaluation.rating_links) has checked the link; this takes the transition table's RATE row.
    Raises IllegalAction when the order no longer waits for its callback.
    """
    payload: dict[str, Any] = {"reached": True, "resolution": resolution, "satisfaction": satisfaction,
                               "method": CallbackMethod.ONLINE, "attempt": order.callback_attempts + 1}
    return apply_system_action(session, order, Action.RATE, by=trail.ONLINE_RATER, note=comment, payload=payload)
