from minhu.orders.states import Action
from tests.factories import make_order


def test_an_order_walks_to_the_archive(db, world):
    order = make_order(db, world, upto=Action.ARCHIVE)
    assert order.status.value == "archived"
