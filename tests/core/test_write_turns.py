"""SQLite's one writer is shared fairly: whoever asked first writes first, whatever else keeps arriving.
(The stream test in ``tests/orders/test_group_commit.py`` shows what it is for: without it a dispatcher's
moves waited behind hundreds of new orders.)"""

from __future__ import annotations

import threading

from minhu.core.db import WriteTurns
from tests.worker.test_runner import wait_for


def test_threads_get_their_turns_in_the_order_they_asked():
    turns = WriteTurns()
    order: list[int] = []

    def write(n: int) -> None:
        with turns.turn():
            order.append(n)

    turns.acquire()
    threads = []
    for n in range(5):
        thread = threading.Thread(target=write, args=(n,))
        thread.start()
        assert wait_for(lambda n=n: turns.waiting == n + 1)
        threads.append(thread)
    turns.release()
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2, 3, 4]
    assert turns.waiting == 0


def test_a_thread_holding_its_turn_may_ask_again_without_hanging():
    turns = WriteTurns()
    got = threading.Event()

    def write() -> None:
        with turns.turn():
            got.set()

    with turns.turn(), turns.turn():
        pass
    other = threading.Thread(target=write)
    other.start()
    other.join()  # both asks were given back, so the other thread's turn comes at once
    assert got.is_set()
