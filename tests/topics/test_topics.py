"""Problems of the month (每月一题): a topic gathers the orders named, the recent ones that meet its rule and
every new one; a topic no longer under way gathers nothing; its orders are counted week by week before and
after it was taken up; its owner writes progress; the bulletin reports it; nobody reads an order of another's
scope through it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from minhu.core import clock
from minhu.core.errors import Forbidden, InvalidInput
from minhu.evaluation import bulletin, policies, rates
from minhu.orders.models import WorkOrder
from minhu.topics import queries, service
from minhu.topics.models import TopicOrder, TopicState
from minhu.topics.schemas import TopicCreate
from minhu.web.forms import validated
from tests.factories import make_order
from tests.intake.test_pages import csrf_of, login


def linked(db, topic_id: int) -> set[int]:
    with db.read() as s:
        return set(s.scalars(select(TopicOrder.order_id).where(TopicOrder.topic_id == topic_id)))


def take_up(db, world, **fields) -> int:
    values = {"title": "夜间施工噪音", "owner_unit_id": world.street.id, "keywords": ["夜间施工"], **fields}
    with db.transaction() as s:
        return service.create_topic(s, TopicCreate(**values), actor=world.leader).id


def test_a_topic_gathers_the_recent_orders_of_its_rule_and_every_new_one(db, world):
    old = make_order(db, world, title="夜间施工噪音", content="工地夜间施工。")
    with clock.frozen(clock.now() + timedelta(days=40)):
        recent = make_order(db, world, title="工地夜间施工太吵", content="每晚施工到凌晨。")
        other = make_order(db, world, title="路灯不亮", content="和平大道路灯坏了。")
        topic_id = take_up(db, world)
        assert linked(db, topic_id) == {recent.id}  # the last 30 days' orders of the rule, not older, not others
        new = make_order(db, world, title="又是夜间施工", content="夜间施工噪音扰民。")
        unrelated = make_order(db, world, title="垃圾没人清运", content="小区垃圾堆积。")
    assert linked(db, topic_id) == {recent.id, new.id}
    assert old.id not in linked(db, topic_id)
    assert {other.id, unrelated.id}.isdisjoint(linked(db, topic_id))


def test_a_topic_no_longer_under_way_gathers_nothing(db, world):
    topic_id = take_up(db, world, link_recent=False)
    with db.transaction() as s:
        service.set_state(s, topic_id, TopicState.DONE, actor=world.dispatcher)
    make_order(db, world, title="夜间施工", content="夜间施工噪音。")
    assert linked(db, topic_id) == set()


def test_a_rule_needs_words_or_a_category_and_names_real_orders(db, world):
    with pytest.raises(InvalidInput, match="至少填写一个关键词或一个分类"):
        validated(TopicCreate, {"title": "无规则", "owner_unit_id": world.street.id}, {})
    with db.transaction() as s, pytest.raises(InvalidInput, match="工单不存在"):
        service.create_topic(s, TopicCreate(title="路灯问题", owner_unit_id=world.street.id, keywords=["路灯"],
                                            order_numbers=["WC000"]), actor=world.leader)
    with db.transaction() as s, pytest.raises(Forbidden):
        service.create_topic(s, TopicCreate(title="路灯问题", owner_unit_id=world.street.id, keywords=["路灯"]),
                             actor=world.handler)


def test_the_orders_are_counted_week_by_week_before_and_after(db, world):
    start = clock.now()
    for weeks_ago, count in ((3, 4), (1, 2)):
        for i in range(count):
            with clock.frozen(start - timedelta(weeks=weeks_ago)):
                make_order(db, world, title=f"夜间施工噪音{i}", content="工地夜间施工。")
    topic_id = take_up(db, world)
    with clock.frozen(start + timedelta(weeks=1)):
        make_order(db, world, title="夜间施工噪音", content="工地夜间施工。")
        with db.read() as s:
            weeks = queries.read_topic(s, topic_id, viewer=world.leader).weekly
    counted = {w.week: (w.orders, w.after) for w in weeks}
    assert len(weeks) == queries.WEEKS_BEFORE + 2  # eight before, the week it was taken up, one since
    assert counted[queries.week_of(start - timedelta(weeks=3))] == (4, False)
    assert counted[queries.week_of(start - timedelta(weeks=1))] == (2, False)
    assert counted[queries.week_of(start)] == (0, True)
    assert counted[queries.week_of(start + timedelta(weeks=1))] == (1, True)


def test_the_owner_writes_progress_and_the_bulletin_reports_the_topic(db, world):
    make_order(db, world, title="夜间施工噪音", content="工地夜间施工。")
    topic_id = take_up(db, world, target="夜间施工投诉每周不超过 2 件")
    with db.transaction() as s:
        service.add_note(s, topic_id, "已约谈施工单位", actor=world.handler)  # the owning street
        with pytest.raises(Forbidden):
            service.add_note(s, topic_id, "越权记录", actor=world.other_handler)
    with db.read() as s:
        read = queries.read_topic(s, topic_id, viewer=world.leader)
        today = clock.city_now().date()
        document = bulletin.build(s, policies.resolve(s, None), rates.month(today.year, today.month))
    assert read.notes[0].text == "已约谈施工单位"
    reported = {t["title"]: t for t in document["topics"]}
    assert reported["夜间施工噪音"]["in_period"] == 1
    assert reported["夜间施工噪音"]["target"] == "夜间施工投诉每周不超过 2 件"


def test_the_topic_page_shows_only_the_orders_the_reader_may_see(client, db, world):
    mine = make_order(db, world, title="夜间施工噪音", content="工地夜间施工。")
    with db.transaction() as s:
        s.get_one(WorkOrder, mine.id).street_id = world.street.id
    topic_id = take_up(db, world)
    login(client, world.leader)
    page = client.get(f"/topics/{topic_id}").text
    assert mine.number in page
    assert 'id="topic-chart"' in page
    login(client, world.other_handler)
    assert mine.number not in client.get(f"/topics/{topic_id}").text
    login(client, world.dispatcher)
    form = client.get("/topics/new?title=路灯&keywords=路灯").text
    made = client.post("/topics", data={"csrf_token": csrf_of(form), "title": "路灯不亮",
                                        "owner_unit_id": str(world.street.id), "keywords": "路灯 照明",
                                        "link_recent": "on"}, follow_redirects=False)
    assert made.status_code == 303
    assert "路灯不亮" in client.get("/topics").text
    refused = client.post("/topics", data={"csrf_token": csrf_of(form), "title": "无规则",
                                           "owner_unit_id": str(world.street.id)})
    assert refused.status_code == 422
    assert "至少填写一个关键词或一个分类" in refused.text


def test_a_keyword_is_one_word_whatever_its_letters_case(db, world):
    topic_id = take_up(db, world, keywords=["KTV"], link_recent=False)
    loud = make_order(db, world, title="楼下ktv太吵", content="每晚唱到凌晨。")
    assert linked(db, topic_id) == {loud.id}
    with db.read() as s:
        weeks = queries.read_topic(s, topic_id, viewer=world.leader).weekly
    assert sum(w.orders for w in weeks) == 1  # the counts read the rule as intake does
