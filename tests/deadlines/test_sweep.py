"""The sweep acts on the clocks exactly once: yellow urges, red tells the leader, long red opens 督办, an
unsigned order goes back to the dispatcher — once per deadline, with two sweepers, or after a gap."""

import subprocess
import sys
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from minhu.core import clock
from minhu.core.db import Database
from minhu.notify.delivery import deliver_due
from minhu.orders.models import OrderEvent, OrderSupervision, WorkOrder
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.roles import Role
from minhu.supervision.sweep import sweep
from tests.factories import act, make_order
from tests.notify.helpers import POLICY, give_addresses
from tests.notify.servers import HttpReceiver, MailCatcher
from tests.notify.test_email import smtp
from tests.notify.test_http import SECRET, gateway_senders

SHANGHAI = ZoneInfo("Asia/Shanghai")
AUTOMATIC = (Action.URGE, Action.OVERDUE_NOTICE, Action.SUPERVISE, Action.SIGN_TIMEOUT)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def _signed_order(db, world):
    """Dispatched Monday 2026-11-23 10:00 and signed at once: finish due Thursday 17:30, yellow from 10:36."""
    with clock.frozen(at(2026, 11, 23, 10, 0)):
        order = make_order(db, world, upto=Action.DISPATCH)
        return act(db, order.number, Action.SIGN, world.handler)


def _sweep(db, when):
    with clock.frozen(when):
        return sweep(db)


def _automatic(db, order):
    with db.read() as s:
        return [(e.action, e.payload.get("limit")) for e in s.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.action.in_(AUTOMATIC))
            .order_by(OrderEvent.id))]


def test_yellow_urges_red_tells_the_leader_long_red_supervises_each_once(timed, world):
    order = _signed_order(timed, world)
    with clock.frozen(at(2026, 11, 23, 10, 5)):
        act(timed, order.number, Action.HANDLE, world.handler, note="已联系市民")  # the response clock stops
    assert not _sweep(timed, at(2026, 11, 26, 10, 0)).done
    assert _sweep(timed, at(2026, 11, 26, 11, 0)).done == {"urge:finish": 1}
    assert not _sweep(timed, at(2026, 11, 26, 12, 0)).done  # once, however often it runs
    assert _sweep(timed, at(2026, 11, 26, 18, 0)).done == {"overdue:finish": 1}
    assert _sweep(timed, at(2026, 11, 27, 18, 0)).done == {"supervise:finish": 1}
    assert not _sweep(timed, at(2026, 11, 28, 18, 0)).done
    assert _automatic(timed, order) == [(Action.URGE, "finish"), (Action.OVERDUE_NOTICE, "finish"),
                                        (Action.SUPERVISE, "finish")]
    with timed.read() as s:
        [supervision] = s.scalars(select(OrderSupervision).where(OrderSupervision.order_id == order.id)).all()
    assert supervision.opened_by_id is None
    assert supervision.due_at == at(2026, 11, 29, 18, 0)


def test_a_sweep_after_a_gap_does_what_the_clocks_say_now_once(timed, world):
    order = _signed_order(timed, world)
    with clock.frozen(at(2026, 11, 23, 10, 5)):
        act(timed, order.number, Action.HANDLE, world.handler, note="已联系市民")
    # Nothing ran for days: the order is long red. It is not urged for having been yellow.
    result = _sweep(timed, at(2026, 11, 30, 9, 0))
    assert result.done == {"overdue:finish": 1, "supervise:finish": 1}


def test_an_unsigned_order_goes_back_to_the_dispatcher(timed, world):
    with clock.frozen(at(2026, 11, 23, 10, 0)):
        order = make_order(timed, world, upto=Action.DISPATCH)
    # Yellow at 11:36 (a fifth of two working hours), red at noon.
    assert _sweep(timed, at(2026, 11, 23, 11, 40)).done == {"urge:sign": 1}
    assert _sweep(timed, at(2026, 11, 23, 12, 5)).done == {"sign_timeout:sign": 1}
    with timed.read() as s:
        back = s.get_one(WorkOrder, order.id)
        assert (back.status, back.owner_unit_id) == (Status.RETURNED, world.centre.id)
    # Dispatched again, its new sign deadline may be urged again.
    with clock.frozen(at(2026, 11, 23, 14, 0)):
        act(timed, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id)
    assert _sweep(timed, at(2026, 11, 23, 15, 40)).done == {"urge:sign": 1}


def test_two_sweepers_at_once_act_once(timed, world):
    orders = [_signed_order(timed, world) for _ in range(6)]
    other = Database(timed.url)  # a second process's connections to the same database
    results = []
    try:
        barrier = threading.Barrier(2)

        def run(database):
            barrier.wait()
            results.append(_sweep(database, at(2026, 11, 26, 11, 0)))

        threads = [threading.Thread(target=run, args=(d,)) for d in (timed, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.dispose()
    assert len(results) == 2  # neither sweeper crashed
    assert sum(r.failed for r in results) == 0
    # Each order: urged for its finish (yellow), its leader told of the missed response (red) — once each,
    # by one sweeper or the other.
    assert sum(r.done["urge:finish"] for r in results) == 6
    assert sum(r.done["overdue:respond"] for r in results) == 6
    for order in orders:
        events = _automatic(timed, order)
        assert len(events) == 2
        assert set(events) == {(Action.URGE, "finish"), (Action.OVERDUE_NOTICE, "respond")}


def test_a_red_order_reaches_the_leaders_mailbox_and_phone_once(timed, world):
    """The street's leader is told by mail (a real SMTP server) and SMS (a real HTTP gateway) — once, however
    often the sweep and the delivery run."""
    with timed.transaction() as s:
        leader = org_service.create_user(s, username="jie-lead", password="a-long-password", full_name="街道 书记",
                                         role=Role.LEADER, unit=s.merge(world.street))
    give_addresses(timed, leader)
    order = _signed_order(timed, world)
    with clock.frozen(at(2026, 11, 23, 10, 5)):
        act(timed, order.number, Action.HANDLE, world.handler, note="已联系市民")
    _sweep(timed, at(2026, 11, 26, 18, 0))
    _sweep(timed, at(2026, 11, 26, 18, 5))
    with MailCatcher() as mail, HttpReceiver(secret=SECRET) as gateway, clock.frozen(at(2026, 11, 26, 18, 6)):
        senders = {**smtp(mail.port), **gateway_senders(gateway)}
        deliver_due(timed, senders, POLICY)
        deliver_due(timed, senders, POLICY)
    [letter] = mail.received
    assert letter["Subject"] == f"【超期提醒】积玉桥街工单 {order.number} 已超期"
    assert letter["To"] == "jie-lead@example.org"
    assert "已超过办理时限（2026-11-26 17:30）" in letter.get_content()
    [text] = gateway.received
    assert text.signed
    assert text.json["text"] == f"【民呼】超期提醒：积玉桥街工单{order.number}已超过时限2026-11-26 17:30，请督促办理。"


SWEEP_IN_A_PROCESS = """
import sys
from datetime import datetime
from zoneinfo import ZoneInfo
from minhu.core import clock
from minhu.core.db import Database
from minhu.models import load_all
from minhu.supervision.sweep import sweep
load_all()
clock.set_city_timezone(ZoneInfo("Asia/Shanghai"))
db = Database(sys.argv[1])
with clock.frozen(datetime.fromisoformat(sys.argv[2])):
    result = sweep(db)
print(sum(result.done.values()), result.failed)
"""


def test_two_worker_processes_sweeping_one_database_act_once(timed, world):
    orders = [_signed_order(timed, world) for _ in range(8)]
    when = at(2026, 11, 26, 11, 0).isoformat()
    sweepers = [subprocess.Popen([sys.executable, "-c", SWEEP_IN_A_PROCESS, timed.url, when],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in sweepers]
    assert all(p.returncode == 0 for p in sweepers), outputs
    done = [tuple(map(int, out.split())) for out, _err in outputs]
    assert sum(n for n, _failed in done) == 16  # each order: urged for its finish, its leader told of the response
    assert all(failed == 0 for _n, failed in done)
    for order in orders:
        assert sorted(e.value for e, _ in _automatic(timed, order)) == ["overdue_notice", "urge"]
