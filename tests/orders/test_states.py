"""The transition table itself: every state reachable, every action needs a role, the diagram matches."""

from minhu.orders.states import TRANSITIONS, Action, Status, actions_from, find, mermaid
from minhu.org.roles import Role


def test_every_status_is_reachable_from_intake():
    reached = {Status.NEW, Status.ACCEPTED}
    changed = True
    while changed:
        changed = False
        for transition in TRANSITIONS:
            if transition.sources & reached and transition.target not in reached:
                reached.add(transition.target)
                changed = True
    assert reached == set(Status)


def test_no_action_leaves_an_archived_order():
    # A review ruling (审核认定) records on an archived order and leaves it archived.
    assert [(t.action, t.target) for t in actions_from(Status.ARCHIVED)] == [(Action.RULE, Status.ARCHIVED)]


def test_each_action_from_a_state_has_one_target():
    for status in Status:
        actions = [t.action for t in actions_from(status)]
        assert len(actions) == len(set(actions)), status


def test_return_and_void_need_a_reason_sign_does_not():
    assert find(Status.DISPATCHED, Action.RETURN).note_label == "退单理由"
    assert find(Status.ACCEPTED, Action.VOID).note_label == "作废理由"
    assert find(Status.DISPATCHED, Action.SIGN).note_label is None


def test_handlers_cannot_dispatch_and_dispatchers_cannot_sign():
    dispatch = find(Status.ACCEPTED, Action.DISPATCH)
    sign = find(Status.DISPATCHED, Action.SIGN)
    assert Role.HANDLER not in dispatch.roles
    assert Role.DISPATCHER not in sign.roles


def test_mermaid_draws_every_transition():
    diagram = mermaid()
    for transition in TRANSITIONS:
        for source in transition.sources:
            assert f"{source.value} --> {transition.target.value}: {transition.action.value}" in diagram
