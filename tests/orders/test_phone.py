"""Who may unmask a citizen's phone: those who call back see it, the owning unit's handler may reveal it (logged),
leaders and administrators may not — as the API answers and as the order page offers it."""

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.guard import service as guard
from minhu.orders.models import OrderEvent
from minhu.orders.states import Action
from tests.factories import make_order
from tests.intake.test_pages import login

REVEAL_BUTTON = "查看完整号码"


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_leaders_and_administrators_see_a_masked_phone_and_may_not_reveal_it(client, world, token_for, db, role):
    order = make_order(db, world, upto=Action.SIGN)
    user = getattr(world, role)
    headers = token_for(user)
    read = client.get(f"/api/v1/orders/{order.number}", headers=headers).json()
    assert read["citizen_phone"] == "138****5678"
    assert read["can_reveal_phone"] is False
    refused = client.post(f"/api/v1/orders/{order.number}/phone", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "phone_forbidden"
    trail = client.get(f"/api/v1/orders/{order.number}/events", headers=headers).json()
    assert "view_phone" not in [e["action"] for e in trail]

    login(client, user)
    page = client.get(f"/orders/{order.number}")
    assert "138****5678" in page.text
    assert REVEAL_BUTTON not in page.text


def test_the_owning_units_handler_reveals_the_phone_from_the_page(client, world, db):
    order = make_order(db, world, upto=Action.SIGN)
    login(client, world.handler)
    page = client.get(f"/orders/{order.number}")
    assert REVEAL_BUTTON in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    revealed = client.post(f"/orders/{order.number}/phone", headers={"X-CSRF-Token": csrf},
                           data={"csrf_token": csrf})
    assert revealed.status_code == 200
    assert "13812345678" in revealed.text


def _refused_reveal(client, order, headers) -> str:
    """The page offers no reveal button and the API refuses it: the refusal's code."""
    assert client.get(f"/api/v1/orders/{order.number}", headers=headers).json()["can_reveal_phone"] is False
    refused = client.post(f"/api/v1/orders/{order.number}/phone", headers=headers)
    assert refused.status_code == 403
    return str(refused.json()["error"]["code"])


def test_a_handler_of_another_unit_called_onto_the_order_may_not_reveal_the_phone(client, world, token_for, db):
    order = make_order(db, world, upto=Action.SIGN)
    response = client.post(f"/api/v1/orders/{order.number}/actions/whistle", headers=token_for(world.handler),
                           json={"expected_version": order.version, "note": "需要城管配合",
                                 "unit_ids": [world.other_street.id]})
    assert response.status_code == 200, response.text
    assert _refused_reveal(client, order, token_for(world.other_handler)) == "phone_forbidden"


def test_a_confidential_orders_handler_is_told_why_the_number_stays_hidden(client, world, token_for, db):
    order = make_order(db, world, upto=Action.SIGN, confidential=True)
    assert _refused_reveal(client, order, token_for(world.handler)) == "phone_confidential"


def test_the_centres_callers_see_the_full_number_without_asking(client, world, token_for, db):
    order = make_order(db, world, upto=Action.SIGN)
    for user in (world.reviewer, world.dispatcher, world.operator):
        read = client.get(f"/api/v1/orders/{order.number}", headers=token_for(user)).json()
        assert (read["citizen_phone"], read["phone_masked"], read["can_reveal_phone"]) == ("13812345678", False,
                                                                                          False)


def test_one_account_reveals_at_most_an_hours_allowance_and_the_page_says_why(client, world, token_for, db):
    order = make_order(db, world, upto=Action.SIGN)
    headers = token_for(world.handler)
    answers = [client.post(f"/api/v1/orders/{order.number}/phone", headers=headers).status_code
               for _ in range(guard.PHONE_REVEAL.attempts + 1)]
    assert answers == [200] * guard.PHONE_REVEAL.attempts + [429]
    trail = client.get(f"/api/v1/orders/{order.number}/events", headers=headers).json()
    assert [e["action"] for e in trail].count("view_phone") == guard.PHONE_REVEAL.attempts
    login(client, world.handler)
    page = client.get(f"/orders/{order.number}")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post(f"/orders/{order.number}/phone", headers={"X-CSRF-Token": csrf}, data={"csrf_token": csrf})
    assert refused.status_code == 200  # swapped in by htmx in place of the number
    assert "查看完整号码过于频繁" in refused.text
    assert "13812345678" not in refused.text


def test_an_order_without_a_phone_reveals_nothing_and_leaves_no_trail(client, world, token_for, db):
    order = make_order(db, world, upto=Action.SIGN, citizen_phone=None)
    headers = token_for(world.handler)
    revealed = client.post(f"/api/v1/orders/{order.number}/phone", headers=headers)
    assert revealed.status_code == 200
    assert revealed.json()["citizen_phone"] is None
    trail = client.get(f"/api/v1/orders/{order.number}/events", headers=headers).json()
    assert "view_phone" not in [e["action"] for e in trail]


def _by_role_views(db, order) -> list[tuple[str, str]]:
    with db.read() as session:
        events = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                          OrderEvent.action == Action.VIEW_PHONE)
                                 .order_by(OrderEvent.id)).all()
    return [(e.actor_name, e.payload.get("role", "")) for e in events if e.payload.get("by_role")]


def test_every_caller_shown_the_full_number_is_in_the_trail_once_a_day(client, world, token_for, db):
    order = make_order(db, world, upto=Action.SIGN)
    with clock.frozen(clock.city_local("2026-11-02 09:00")):
        for _ in range(3):  # the API, then the page, then the API again: one person, one day, one entry
            client.get(f"/api/v1/orders/{order.number}", headers=token_for(world.dispatcher))
        login(client, world.dispatcher)
        assert "13812345678" in client.get(f"/orders/{order.number}").text
        client.get(f"/api/v1/orders/{order.number}", headers=token_for(world.reviewer))
        # A handler and a leader see the number masked: nothing to note.
        client.get(f"/api/v1/orders/{order.number}", headers=token_for(world.handler))
        client.get(f"/api/v1/orders/{order.number}", headers=token_for(world.leader))
    assert _by_role_views(db, order) == [(world.dispatcher.full_name, "派单员"), (world.reviewer.full_name, "回访员")]

    with clock.frozen(clock.city_local("2026-11-03 08:00")):  # the next day counts again
        client.get(f"/api/v1/orders/{order.number}", headers=token_for(world.dispatcher))
    assert len(_by_role_views(db, order)) == 3


def test_the_call_back_queue_lists_numbers_masked_and_the_sheet_that_shows_one_notes_it(client, world, db):
    order = make_order(db, world, upto=Action.APPROVE)
    login(client, world.reviewer)
    queue = client.get("/callbacks")
    assert queue.status_code == 200
    assert order.number in queue.text
    assert "13812345678" not in queue.text
    assert "138****5678" in queue.text
    assert _by_role_views(db, order) == []

    sheet = client.get(f"/callbacks/{order.number}")
    assert "13812345678" in sheet.text
    assert _by_role_views(db, order) == [(world.reviewer.full_name, "回访员")]
