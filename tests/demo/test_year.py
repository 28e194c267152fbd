"""The demo's year of archived orders: what the monthly rates, rankings and bulletins are computed from."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from minhu.board import service as board_service
from minhu.board.models import BoardPost, PostState
from minhu.core import clock
from minhu.core.db import Database
from minhu.demo import city, year
from minhu.demo import repeated as demo_repeated
from minhu.demo.staff import Staff
from minhu.evaluation import dissatisfied
from minhu.evaluation.models import OrderThread, StandardReply, ThreadMember
from minhu.geo.models import LocationSource
from minhu.knowledge import queries as knowledge_queries
from minhu.knowledge.models import PastCase
from minhu.notify.models import OutboxMessage
from minhu.orders.enums import Channel, OrderType, Satisfaction
from minhu.orders.models import OrderCall, OrderEvent, WorkOrder
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import Role, UnitKind
from minhu.people.figures import people_figures
from minhu.routing import service as routing
from minhu.routing.models import Category, LimitClass
from minhu.scheduling import queries as scheduling_queries
from minhu.scheduling.weeks import this_week
from minhu.topics import queries as topic_queries
from minhu.warning.models import EarlyWarning
from minhu.web.period import Period
from tests.demo_database import LOADED_AT, demo_database


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, database_template: str) -> Iterator[Database]:
    """A database with the demo loaded, once for this module."""
    with demo_database(tmp_path_factory, database_template, listening=False) as database:
        yield database


@pytest.fixture(scope="module")
def loaded(demo_db: Database):
    """The year's orders (the archived ones but the live story's samples), their trails and their calls."""
    samples = {sample.title for sample in city.SAMPLES}
    with demo_db.read() as s:
        orders = [o for o in s.scalars(select(WorkOrder).where(WorkOrder.status == Status.ARCHIVED))
                  if o.title not in samples]
        events: dict[int, list[OrderEvent]] = {}
        for event in s.scalars(select(OrderEvent).order_by(OrderEvent.order_id, OrderEvent.at, OrderEvent.id)):
            events.setdefault(event.order_id, []).append(event)
        calls = s.scalars(select(OrderCall)).all()
    return demo_db, orders, events, calls


def _month(instant: datetime) -> str:
    return instant.astimezone(clock.city_tz()).strftime("%Y-%m")


def test_a_year_of_orders_archived_in_each_of_the_last_twelve_months(loaded) -> None:
    _, orders, _, _ = loaded
    months = Counter(_month(o.closed_at) for o in orders)

    assert 2000 <= len(orders) <= 5000
    for month in ("2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07",
                  "2026-08", "2026-09", "2026-10"):
        assert months[month] >= 100, month
    today = LOADED_AT.replace(hour=0)
    assert all(o.closed_at < today for o in orders)  # the year ends yesterday
    # More in summer than in the Spring Festival month.
    assert months["2026-07"] > 1.5 * months["2026-02"]


def test_each_order_has_coherent_times_and_deadlines(loaded) -> None:
    _, orders, _, _ = loaded
    dispatched = [o for o in orders if o.dispatched_at is not None]

    assert len(dispatched) > 0.8 * len(orders)
    for o in dispatched:
        assert o.created_at < o.dispatched_at < o.responded_at <= o.replied_at < o.closed_at, o.number
        assert o.respond_due_at is not None
        assert o.finish_due_at is not None
        assert o.callback_due_at is not None
        assert o.dispatched_at < o.respond_due_at
        assert o.dispatched_at < o.finish_due_at
    late_responses = sum(o.responded_at > o.respond_due_at for o in dispatched)
    late_replies = sum(o.replied_at > o.finish_due_at for o in dispatched)
    assert 0.03 * len(dispatched) < late_responses < 0.3 * len(dispatched)
    assert 0.03 * len(dispatched) < late_replies < 0.4 * len(dispatched)


def test_each_order_has_a_whole_trail_from_create_to_archive(loaded) -> None:
    _, orders, events, _ = loaded

    for o in orders:
        trail = events[o.id]
        last = Action.ARCHIVE if o.dispatched_at else Action.DIRECT_REPLY  # a consultation answered at once
        assert trail[0].action is Action.CREATE, o.number
        assert trail[-1].action is last, o.number
        assert trail[-1].to_status is Status.ARCHIVED
        assert trail[-1].at == o.closed_at
        for before, after in itertools.pairwise(trail):
            assert after.from_status == before.to_status, o.number
            assert before.at <= after.at
        actions = {e.action for e in trail}
        assert actions >= ({Action.DISPATCH, Action.SIGN, Action.REPLY, Action.APPROVE, Action.CALLBACK}
                           if o.dispatched_at else {Action.DIRECT_REPLY})


def test_callback_outcomes_are_coherent(loaded) -> None:
    _, orders, events, _ = loaded
    called = [o for o in orders if o.dispatched_at is not None]

    for o in called:
        assert o.callback_method is not None
        assert o.callback_attempts >= 1
        if o.callback_reached:
            assert o.resolution is not None
            assert o.satisfaction is not None
            assert not o.unreachable
        else:
            assert o.unreachable
            assert o.resolution is None
            assert o.satisfaction is None
        callback = next(e for e in events[o.id] if e.action is Action.CALLBACK)
        assert callback.payload["reached"] == o.callback_reached
    assert 0 < sum(o.unreachable for o in called) < 0.15 * len(called)
    assert {o.satisfaction for o in called} >= {None, *(s for s in ("satisfied", "basically", "unsatisfied"))}
    rulings = [o for o in orders if o.ruling is not None]
    assert {o.ruling.value for o in rulings} == {"unreasonable", "out_of_scope", "reasonable_not_now",
                                                 "reasonable_solved"}
    assert all(o.ruling_reason for o in rulings)


def test_merged_duplicates_point_at_their_main_order(loaded) -> None:
    _, orders, _, _ = loaded
    by_id = {o.id: o for o in orders}
    duplicates = [o for o in orders if o.duplicate_of_id is not None]

    assert 5 <= len(duplicates) <= 0.05 * len(orders)
    for o in duplicates:
        main = by_id[o.duplicate_of_id]
        assert main.category_code == o.category_code
        assert main.owner_unit_id == o.owner_unit_id
        assert main.number in (o.reply_text or "")


STREET_KINDS = frozenset({UnitKind.STREET, UnitKind.ENFORCEMENT, UnitKind.COMMUNITY, UnitKind.GRID})


def test_units_differ_and_the_weak_street_improves(loaded) -> None:
    _, orders, _, _ = loaded

    def satisfied(street: str, months: tuple[str, ...]) -> float:
        """The street's own answers: what its office, enforcement centre, communities and grids handled."""
        rated = [o for o in orders if o.street is not None and o.street.name == street and o.satisfaction is not None
                 and _month(o.closed_at) in months and o.owner_unit.kind in STREET_KINDS]
        return float(sum(o.satisfaction is Satisfaction.SATISFIED for o in rated) / len(rated))

    first, last = ("2025-11", "2025-12", "2026-01", "2026-02"), ("2026-08", "2026-09", "2026-10", "2026-11")
    assert satisfied("白沙洲街", last) > satisfied("白沙洲街", first) + 0.05
    assert satisfied("积玉桥街", first) > satisfied("白沙洲街", first) + 0.1
    on_time: dict[str, list[bool]] = {}
    for o in orders:
        if o.owner_unit.kind.value == "department":
            on_time.setdefault(o.owner_unit.name, []).append(o.responded_at <= o.respond_due_at)
    shares = sorted(sum(v) / len(v) for v in on_time.values() if len(v) >= 20)
    assert shares[-1] - shares[0] > 0.15


def test_heating_complaints_come_in_november_and_grid_workers_find_problems(loaded) -> None:
    db, orders, events, calls = loaded
    with db.read() as s:
        accounts = {u.id: u for u in s.scalars(select(User))}
    heating = Counter(o.created_at.astimezone(clock.city_tz()).month for o in orders if o.category_code == "010205")

    assert heating.most_common(1)[0][0] == 11
    patrol = [o for o in orders if o.channel is Channel.GRID_PATROL]
    assert len(patrol) > 0.08 * len(orders)
    by_worker = [o for o in patrol if o.created_by_id and accounts[o.created_by_id].role is Role.GRIDWORKER]
    assert by_worker
    assert all(o.grid_id == accounts[o.created_by_id].unit_id for o in by_worker)
    # Joint handling (吹哨) on archived orders, some reported after the 24 hours.
    assert calls
    assert any(c.late for c in calls)
    assert not all(c.late for c in calls)
    assert all(Action.WHISTLE in {e.action for e in events[c.order_id]} for c in calls)


def test_the_year_is_the_same_on_every_load(loaded) -> None:
    db, orders, _, _ = loaded
    with db.read() as s, clock.frozen(LOADED_AT):
        units = {u.code: u for u in s.scalars(select(Unit).options(undefer(Unit.geometry)))}
        users = list(s.scalars(select(User)))
        personas = {u.role: u for u in users if u.username == u.role.value}
        staff = Staff(handlers={u.unit_id: u for u in users if u.role is Role.HANDLER},
                      grid_workers={u.unit_id: u for u in users if u.role is Role.GRIDWORKER})
        drafts = year._Year(s, units, personas, staff, clock.now()).generate()
    drawn = sorted((d.values["created_at"], d.values["title"]) for d in drafts)

    assert drawn == sorted((o.created_at, o.title) for o in orders)


def test_every_order_answered_by_an_account_of_its_unit(loaded) -> None:
    db, orders, events, _ = loaded
    with db.read() as s:
        accounts = {u.id: u for u in s.scalars(select(User))}
    for o in orders[::7]:
        for event in events[o.id]:
            if event.action in (Action.SIGN, Action.REPLY):
                assert accounts[event.actor_id].unit_id == o.owner_unit_id, o.number


def test_the_people_page_has_a_year_of_grid_workers_to_show(loaded) -> None:
    db = loaded[0]
    with db.read() as s, clock.frozen(LOADED_AT):
        leader = s.scalars(select(User).where(User.username == "leader")).one()
        found = people_figures(s, Period(date(2025, 11, 1), date(2026, 11, 28)), leader)

    workers = [r for r in found.workers if r.counts.patrols]
    assert len(workers) >= 80  # every grid of 积玉桥街 has a worker with an account
    assert sum(r.counts.visits for r in workers) > 0
    streets = {r.unit.name: r.counts for r in found.streets}
    assert (streets["积玉桥街"].found_share or 0) > (streets["白沙洲街"].found_share or 1)
    assert streets["积玉桥街"].a_on_the_spot > 0
    assert any(r.flagged for r in found.staffing)


def test_the_units_accounts_sign_in_with_the_demo_password(loaded) -> None:
    db = loaded[0]
    with db.read() as s:
        for username in ("jd002", "zf001", "zhujian", "sq001002", "wg001001002"):
            user = org_service.authenticate(s, username=username, password=city.DEMO_PASSWORD)
            assert user.role is (Role.GRIDWORKER if username.startswith("wg") else Role.HANDLER)


def test_some_dissatisfied_orders_were_re_handled_once_and_a_couple_twice(loaded) -> None:
    db, orders, events, _ = loaded
    reopens = {o.id: sum(e.action is Action.REOPEN for e in events[o.id]) for o in orders}
    once = [o for o in orders if reopens[o.id] == 1]
    twice = [o for o in orders if reopens[o.id] == 2]

    assert 8 <= len(once) <= 15
    assert 2 <= len(twice) <= 4
    for o in [*once, *twice]:
        trail = [e.action for e in events[o.id]]
        for n in range(reopens[o.id]):
            start = [i for i, a in enumerate(trail) if a is Action.REOPEN][n]
            assert trail[start - 1] is Action.CALLBACK
            assert events[o.id][start - 1].payload["satisfaction"] == "unsatisfied" \
                or events[o.id][start - 1].payload["resolution"] == "unresolved"
            assert trail[start:start + 6] == [Action.REOPEN, Action.SIGN, Action.HANDLE, Action.REPLY, Action.APPROVE,
                                              Action.CALLBACK]
        last_callback = [e for e in events[o.id] if e.action is Action.CALLBACK][-1]
        assert (o.resolution.value, o.satisfaction.value) == (last_callback.payload["resolution"],
                                                              last_callback.payload["satisfaction"])
        assert o.replied_at == [e for e in events[o.id] if e.action is Action.REPLY][-1].at
        assert o.ruling is None
    with db.read() as s, clock.frozen(LOADED_AT):
        reviewer = s.scalars(select(User).where(User.username == "reviewer")).one()
        rows = dissatisfied.ledger(s, viewer=reviewer, filters=dissatisfied.LedgerFilters(), limit=None)
    states = Counter(r.state for r in rows)
    assert states[dissatisfied.LedgerState.REHANDLED] >= 5
    assert states[dissatisfied.LedgerState.ARCHIVED] > 0
    assert states[dissatisfied.LedgerState.WAITING] < 0.2 * len(rows)  # archived orders wait for nothing
    assert sum(r.review_suggested for r in rows) >= 2


def test_merged_duplicates_and_their_main_orders_are_threads_one_with_a_standard_reply(loaded) -> None:
    db, orders, events, _ = loaded
    by_id = {o.id: o for o in orders}
    duplicates = [o for o in orders if o.duplicate_of_id is not None]
    with db.read() as s:
        threads = s.scalars(select(OrderThread)).all()
        members = s.scalars(select(ThreadMember)).all()
        replies = s.scalars(select(StandardReply)).all()

    assert len(threads) == len(duplicates)
    by_thread: dict[int, set[int]] = {}
    for m in members:
        by_thread.setdefault(m.thread_id, set()).add(m.order_id)
    assert sorted(by_thread.values(), key=min) == sorted(({o.id, o.duplicate_of_id} for o in duplicates), key=min)
    for thread in threads:
        assert all(by_id[i].citizen_phone == thread.citizen_phone for i in by_thread[thread.id])
        assert by_id[thread.main_order_id].duplicate_of_id is None
    for o in duplicates:
        assert Action.LINK_THREAD in {e.action for e in events[o.id]}
    [reply] = replies
    assert reply.thread_id in by_thread


DOUBLED = re.compile(r"([\u4e00-\u9fff]{2})\1")  # a two-character word written twice running: 附近附近


def test_titles_and_requests_read_as_a_citizen_wrote_them(loaded) -> None:
    db, orders, _, _ = loaded
    with db.read() as s:
        categories = {c.code: c for c in s.scalars(select(Category))}

    doubled = [text for o in orders for text in (o.title, o.content) if DOUBLED.search(text)]
    assert doubled == []
    assert not any("了了" in o.content for o in orders)
    # A matter that cannot wait (a trapped lift, a gas leak, a fire) is a call for help or a complaint.
    urgent = [o for o in orders if categories[o.category_code].limit_class is LimitClass.IMMEDIATE]
    assert urgent
    assert {o.type for o in urgent} <= {OrderType.HELP, OrderType.COMPLAINT, OrderType.REPORT}
    assert all(o.type is not OrderType.SUGGESTION for o in orders
               if categories[o.category_code].limit_class is LimitClass.URGENT)
    suggestions = [o for o in orders if o.type is OrderType.SUGGESTION]
    assert suggestions
    assert all("建议" in o.title + o.content for o in suggestions)
    # 黄赌毒 and fraud are reported to the police, not to the stairwell's hidden dangers.
    vice = [o for o in orders if o.category_code in ("090502", "090503")]
    assert vice
    assert not any("楼道" in o.content for o in vice)


def test_vice_and_fraud_go_to_the_police_and_labour_and_food_to_their_departments(demo_db: Database) -> None:
    with demo_db.read() as s:
        units = {u.code: u for u in s.scalars(select(Unit))}
        owners = {}
        for title, content in (("举报棋牌室聚众赌博", "小区附近一家棋牌室每天晚上聚众赌博，涉赌金额很大。"),
                               ("有人在出租屋吸毒", "楼下出租屋经常有人吸毒，居民很害怕。"),
                               ("接到电话诈骗被骗两万元", "有人冒充客服电话诈骗，我被骗了两万元，请求帮助。"),
                               ("公司拖欠工资三个月", "单位拖欠工资三个月不发，讨薪无果。"),
                               ("餐馆饭菜吃出异物", "在餐馆吃饭吃出异物，后厨很不卫生。")):
            route = routing.route(s, title=title, content=content, street=None, community=None, place=None)
            assert route.owner.unit is not None, title
            owners[title] = route.owner.unit.name
        year_owners = {(o.category_code, o.owner_unit.name) for o in loaded_orders(s)
                       if o.category_code in ("090502", "090503")}

    assert owners == {"举报棋牌室聚众赌博": "区公安分局", "有人在出租屋吸毒": "区公安分局",
                      "接到电话诈骗被骗两万元": "区公安分局", "公司拖欠工资三个月": "区人力资源和社会保障局",
                      "餐馆饭菜吃出异物": "区市场监管局"}
    assert year_owners == {("090502", "区公安分局"), ("090503", "区公安分局")}
    assert units["420106-D-城管"].name == "区城管执法局"


def loaded_orders(s: Session) -> list[WorkOrder]:
    return list(s.scalars(select(WorkOrder).where(WorkOrder.status == Status.ARCHIVED)))


def test_grid_workers_reports_stand_in_their_grids_and_one_communitys_addresses_apart(demo_db: Database) -> None:
    with demo_db.read() as s:
        users = {u.id: u for u in s.scalars(select(User))}
        grids = {u.id: shape(u.geometry) for u in s.scalars(select(Unit).where(Unit.kind == UnitKind.GRID.value)
                                                            .options(undefer(Unit.geometry))) if u.geometry}
        communities = {u.id: shape(u.geometry) for u in s.scalars(
            select(Unit).where(Unit.kind == UnitKind.COMMUNITY.value).options(undefer(Unit.geometry))) if u.geometry}
        orders = s.scalars(select(WorkOrder)).all()

    by_worker = [(o, users[o.created_by_id]) for o in orders
                 if o.created_by_id is not None and users[o.created_by_id].role is Role.GRIDWORKER]
    assert by_worker
    for o, worker in by_worker:
        assert o.grid_id == worker.unit_id, o.number
        assert grids[worker.unit_id].contains(Point(o.longitude, o.latitude)), o.number
    # Requests whose address names a community only: inside it, and not stacked on one point.
    matched: dict[int, set[tuple[float | None, float | None]]] = {}
    for o in orders:
        if o.location_source is LocationSource.ADDRESS and o.community_id and o.grid_id is None:
            assert communities[o.community_id].contains(Point(o.longitude, o.latitude)), o.number
            matched.setdefault(o.community_id, set()).add((o.longitude, o.latitude))
    assert max(len(points) for points in matched.values()) >= 3  # 和平社区's samples and story


def test_the_demo_board_has_published_messages_with_supports_and_two_waiting(demo_db: Database) -> None:
    with demo_db.read() as s:
        posts, _more = board_service.search(s)
        waiting = s.scalar(select(func.count()).select_from(BoardPost).where(BoardPost.state == PostState.PENDING))
    assert len(posts) == 11  # ten of the first public requests, and the outage message its neighbours supported
    assert waiting == 2
    assert any(p.supports > 0 for p in posts)
    assert any(p.answered and p.reply for p in posts), "some with the reply the centre approved"
    assert not any(re.search(r"1[3-9]\d{9}", p.text + (p.reply or "")) for p in posts), "no phone number shows"


def test_the_demo_knowledge_base_answers_its_consultations_and_knows_its_cases(loaded):
    """知识库 after ``make run``: a consultation about 低保 finds the current answer (never the superseded one), the
    noise law answers 夜间施工, and every settled order of the year is a past case an order like it is shown."""
    db, orders, _, _ = loaded
    with db.read() as s:
        found = [f.article.title for f in knowledge_queries.suggest_for(
            s, title="咨询低保", content="家里老人想申请低保，需要什么条件？", category_code="110101")]
        noise = [f.article.title for f in knowledge_queries.search_articles(s, "夜间施工")]
        duty = [f.article.title for f in knowledge_queries.search_articles(s, "职责清单", limit=50)]
        cases = s.scalar(select(func.count()).select_from(PastCase).where(PastCase.order_id.is_not(None)))
        similar = knowledge_queries.similar_cases(s, orders[0])
    assert found[0] == "低保申请条件和流程"
    assert "低保申请条件和流程（2019 年版）" not in found
    assert noise[0].startswith("中华人民共和国噪声污染防治法")
    assert "区城管执法局职责清单" in duty
    assert cases >= len([o for o in orders if o.reply_text and o.duplicate_of_id is None])
    assert len(similar) == 5
    assert orders[0].number not in [f.number for f in similar]


def test_the_demo_takes_up_construction_noise_as_its_problem_of_the_month(loaded):
    db, _, _, _ = loaded
    with db.read() as s:
        leader = s.scalars(select(User).where(User.username == "leader")).one()
        [topic] = topic_queries.list_topics(s)
        read = topic_queries.read_topic(s, topic.id, viewer=leader)
    assert (topic.title, topic.owner) == ("建筑施工噪音扰民", "区生态环境分局")
    assert topic.orders > 0  # the last month's noise complaints joined it
    assert sum(w.orders for w in read.weekly if not w.after) > 0  # the weeks before it show the problem
    assert len(read.notes) == 2


def test_the_demo_holds_this_weeks_scheduling_meeting(demo_db: Database) -> None:
    with clock.frozen(LOADED_AT), demo_db.read() as s:
        leader = s.scalars(select(User).where(User.username == "leader")).one()
        view = scheduling_queries.week_view(s, this_week(), viewer=leader, now=clock.now(),
                                            today=clock.city_now().date())
    assert [m.chair for m in view.meetings] == ["王强区长"]
    assert sorted((i.unit_name, i.state_label) for i in view.instructions) == sorted(
        [("积玉桥街", "待接收"), ("区市场监管局", "待接收"), ("积玉桥街", "已接收")])
    assert any(i.order_number for i in view.instructions)  # one is about the joint order, in its trail
    assert [c.unit_name for c in view.pending_calls] == ["区市场监管局"]  # the whistle it never answered
    assert view.red_total > 0


def test_the_demo_ends_with_early_warnings_of_its_planted_break_outs_only(demo_db: Database) -> None:
    """The planted break-outs — animal complaints in 和平社区, and the two matters many citizens reported lately
    (night works by 和平大道, the water cut along 新生路) — are what the load's scan raises; nothing in the year's
    ordinary traffic, seasons included, is."""
    with demo_db.read() as s:
        warnings = s.scalars(select(EarlyWarning)).all()
        raised = {(s.get_one(Unit, w.community_id).name, w.category_code) for w in warnings}
        planted = {(name, code) for name, code in raised if code == "0806"}
        animals = next(w for w in warnings if w.category_code == "0806")
        titles = [entry[2] for entry in demo_repeated.NIGHT_WORKS] + [entry[3] for entry in demo_repeated.OUTAGE]
        repeated_orders = set(s.scalars(select(WorkOrder.id).where(WorkOrder.title.in_(titles))))
        told = s.scalars(select(User.username).join(OutboxMessage, OutboxMessage.user_id == User.id).where(
            OutboxMessage.template_key == "warning.raised")).all()
    assert planted == {("和平社区", "0806")}
    assert animals.observed >= 8
    # Every other warning is one of the hot-issue list's planted matters, raised by its orders.
    assert repeated_orders
    assert all(set(w.order_ids) & repeated_orders for w in warnings if w.category_code != "0806")
    assert len(warnings) <= 3
    assert "handler" in told
