"""The callback queue: approved replies waiting for the reviewer's call, overdue ones first."""

from datetime import datetime
from zoneinfo import ZoneInfo

from minhu.core import clock
from minhu.orders.states import Action
from minhu.supervision import setup
from tests.factories import make_order
from tests.intake.test_pages import login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_reviewer_sees_replied_orders_by_callback_deadline_overdue_first(client, db, world):
    with clock.frozen(datetime(2026, 11, 1, tzinfo=SHANGHAI)), db.transaction() as s:
        setup.seed_calendar(s)
        setup.load_policy_file(s)
    with clock.frozen(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)):
        older = make_order(db, world, upto=Action.APPROVE, title="路灯不亮")  # callback due Wed 11-25 17:30
    with clock.frozen(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)):
        newer = make_order(db, world, upto=Action.APPROVE, title="垃圾清运不及时")  # due Mon 11-30 17:30
        make_order(db, world, upto=Action.SIGN, title="还在办理")
    login(client, world.reviewer)
    with clock.frozen(datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)):
        page = client.get("/callbacks").text
    assert "2 件，其中" in page
    assert "1 件已超回访时限" in page
    rows = page.split('id="callbacks"')[1]
    assert rows.index(older.number) < rows.index(newer.number)
    assert "还在办理" not in rows
    assert "13812345678" in rows  # the reviewer calls: the full number
    assert '<span class="light red"' in rows.split(newer.number)[0]
    login(client, world.handler)
    assert client.get("/callbacks").status_code == 403
