"""The demo's chiefs: East Lake's river chief (河湖长) is named on the pollution report from the lake's bank and finds
its alert in their inbox; the lake's page lists the report with its light."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from minhu.chiefs import queries
from minhu.chiefs.models import OrderChief
from minhu.core import clock
from minhu.core.db import Database
from minhu.demo import chiefs as demo_chiefs
from minhu.geo.models import Post
from minhu.notify.delivery import deliver_inbox
from minhu.notify.enums import NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.orders.models import WorkOrder
from minhu.org.models import User
from tests.demo_database import LOADED_AT, demo_database


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, database_template: str) -> Iterator[Database]:
    """A database with the demo loaded, once for this module."""
    with demo_database(tmp_path_factory, database_template) as database:
        yield database


def test_the_east_lake_river_chief_is_alerted_for_the_pollution_report_on_the_lake(demo_db):
    with clock.frozen(LOADED_AT):
        deliver_inbox(demo_db, 10_000)
    with demo_db.read() as s:
        report = s.scalars(select(WorkOrder).where(WorkOrder.title == "东湖岸边排污口偷排污水")).one()
        chief = s.scalars(select(User).where(User.username == demo_chiefs.RIVER_CHIEF_ACCOUNT)).one()
        post = s.scalars(select(Post).where(Post.user_id == chief.id)).one()
        assert post.zone is not None
        assert post.zone.name == "东湖"
        assert [(c.label, c.person, c.zone) for c in queries.named_on(s, report.id)] == [
            ("责任河湖长", post.person, "东湖")]
        inbox = s.scalars(select(OutboxMessage).where(OutboxMessage.user_id == chief.id,
                                                      OutboxMessage.channel == NotifyChannel.INBOX.value,
                                                      OutboxMessage.order_id == report.id)).all()
        assert len(inbox) == 1
        assert inbox[0].sent_at is not None  # delivered: it shows in the inbox
        assert "【河湖长】东湖" in inbox[0].subject
        with clock.frozen(LOADED_AT):
            page = queries.read_chief(s, post.id, viewer=chief)
        assert report.number in {o.number for o in page.orders}
        assert page.counts.named >= 1


def test_the_demo_names_road_chiefs_on_everyday_orders_too(demo_db):
    with demo_db.read() as s:
        kinds = {link.post.kind.value for link in s.scalars(select(OrderChief))}
    assert {"river_chief", "road_chief"} <= kinds
