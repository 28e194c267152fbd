"""Real concurrent writers on the real database: numbers stay unique, keys stay single, nothing is lost."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from minhu.orders import service as order_service
from minhu.orders.errors import IllegalAction, StaleOrder
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action
from tests.factories import act, make_order, order_data

PARALLEL = 20


def _count(db, model):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_twenty_parallel_creates_with_distinct_keys_make_twenty_distinct_numbers(db, world):
    def create(i: int) -> str:
        registered = order_service.create_order_once(db, order_data(title=f"并发{i}"), actor=world.operator,
                                                     key=f"key-{i}", scope="test")
        return registered.order.number

    with ThreadPoolExecutor(PARALLEL) as pool:
        numbers = list(pool.map(create, range(PARALLEL)))
    assert len(set(numbers)) == PARALLEL
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, PARALLEL + 1))
    assert _count(db, WorkOrder) == PARALLEL
    assert _count(db, OrderEvent) == PARALLEL


def test_twenty_parallel_creates_with_one_key_make_one_order(db, world):
    def create(_: int) -> tuple[str, bool]:
        registered = order_service.create_order_once(db, order_data(), actor=world.operator, key="same-call",
                                                     scope="test")
        return registered.order.number, registered.created

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(create, range(PARALLEL)))
    assert len({number for number, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert _count(db, WorkOrder) == 1


def test_two_handlers_acting_at_once_one_wins_the_other_gets_a_conflict(db, world):
    order = make_order(db, world, upto=Action.SIGN)

    def reply(note: str) -> str:
        try:
            act(db, order.number, Action.REPLY, world.handler, note=note, expected_version=order.version)
        except (StaleOrder, IllegalAction) as exc:
            return exc.code
        return "ok"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(reply, ["甲的答复", "乙的答复"]))
    assert outcomes[1] == "ok"
    assert outcomes[0] in {"stale_order", "illegal_action"}
    with db.read() as s:
        replies = s.scalars(select(OrderEvent).where(OrderEvent.action == Action.REPLY)).all()
    assert len(replies) == 1
