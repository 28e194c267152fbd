"""Lights from the stored deadlines: green, yellow past the warning instant, red past the deadline — on the
order, in SQL counts by unit, and on the supervision page with its drill-down."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from minhu.core import clock
from minhu.deadlines.models import LimitKind
from minhu.orders.lights import Light, count_by_unit, lights_of
from minhu.orders.states import Action
from minhu.supervision import setup
from tests.factories import act, make_order
from tests.intake.test_pages import login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def three_orders(db, world):
    """Dispatched to the street on Monday 2026-11-23 at 10:00: finish due Thursday 17:30; a fifth of its 27
    working hours (5 h 24 min) before that, yellow from Thursday 10:36."""
    with clock.frozen(at(2026, 11, 1)), db.transaction() as s:
        setup.seed_calendar(s)
        setup.load_policy_file(s)
    with clock.frozen(at(2026, 11, 23, 10, 0)):
        orders = [make_order(db, world, upto=Action.DISPATCH) for _ in range(3)]
    with clock.frozen(at(2026, 11, 23, 10, 30)):
        act(db, orders[0].number, Action.SIGN, world.handler)
        act(db, orders[0].number, Action.HANDLE, world.handler, note="已联系市民")
        act(db, orders[0].number, Action.REPLY, world.handler, note="已办结")  # its clocks stop
    return orders


def _finish_lights(db, world, when):
    with db.read() as s:
        counts = count_by_unit(s, when, limits=[LimitKind.FINISH])
    return {(c.unit_id, c.light): c.orders for c in counts}


def test_the_lights_turn_yellow_then_red(db, world, three_orders):
    _replied, open_order, _ = three_orders
    assert _finish_lights(db, world, at(2026, 11, 26, 10, 30)) == {}
    assert _finish_lights(db, world, at(2026, 11, 26, 14, 0)) == {(world.street.id, Light.YELLOW): 2}
    assert _finish_lights(db, world, at(2026, 11, 26, 17, 30)) == {(world.street.id, Light.RED): 2}
    with db.read() as s:
        order = s.get_one(type(open_order), open_order.id)
        lights = {x.limit: x.light for x in lights_of(order, at(2026, 11, 24, 9, 0))}
    # Not signed within two working hours, not contacted within a working day: red, red; finish still green.
    assert lights == {LimitKind.SIGN: Light.RED, LimitKind.RESPOND: Light.GREEN, LimitKind.FINISH: Light.GREEN}


def test_the_supervision_page_counts_by_unit_and_drills_down(client, db, world, three_orders):
    _replied, open_order, _ = three_orders
    login(client, world.leader)
    with clock.frozen(at(2026, 11, 26, 18, 0)):
        page = client.get("/supervision")
        assert page.status_code == 200
        row = page.text.split(f'data-unit="{world.street.code}"')[1].split("</tr>")[0]
        assert f"limit=finish&light=red&unit={world.street.id}\">2<" in row
        unit_total = row.split('<td class="num">')[-1].split("</td>")[0]
        board_total = page.text.split('id="lights-total">')[1].split("</td>")[0]
        assert unit_total == board_total != ""  # one unit lit: the board's 合计 is that unit's
        drill = client.get(f"/supervision/orders?limit=finish&light=red&unit={world.street.id}")
        assert open_order.number in drill.text
        assert three_orders[0].number not in drill.text  # replied: its clock stopped
        detail = client.get(f"/orders/{open_order.number}")
        assert 'data-limit="finish" data-light="red"' in detail.text
        listed = client.get("/orders").text
        assert '<span class="light red" title="超期">' in listed


def test_the_supervision_page_warns_of_years_without_holidays(client, db, world):
    login(client, world.dispatcher)
    with clock.frozen(at(2026, 11, 29, 9, 0)):
        page = client.get("/supervision").text
    warning = page.split('id="calendar-warning"')[1].split("</p>")[0]
    assert "2026、2027 年的法定节假日和调休尚未录入" in warning
    assert "请联系系统管理员" in warning  # whom to ask, not a command to type
    assert "minhu " not in warning
    login(client, world.leader)
    with clock.frozen(at(2026, 11, 29, 9, 0)):
        warning = client.get("/supervision").text.split('id="calendar-warning"')[1].split("</p>")[0]
        assert "请联系系统管理员" in warning
        limits_page = client.get("/admin/time-limits").text
    assert "请联系系统管理员录入" in limits_page.split('id="calendar-warning"')[1].split("</p>")[0]
    login(client, world.admin)
    with clock.frozen(at(2026, 11, 29, 9, 0)):
        warning = client.get("/supervision").text.split('id="calendar-warning"')[1].split("</p>")[0]
    assert 'href="/admin/time-limits#calendar"' in warning
    login(client, world.gridworker)
    assert client.get("/supervision").status_code == 403
