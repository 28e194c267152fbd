"""The dashboard (数据看板): the count of a period against the days just before (环比) and the same days a year
earlier (同比), the breakdowns, the share grid workers found first, the three rates by category, each within
the viewer's scope and the chosen place; every chart's figures download as a table; the wall screen refreshes."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from minhu.core import clock
from minhu.dashboard import figures
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from minhu.routing import catalog
from minhu.web.period import Period
from tests.factories import make_order
from tests.intake.test_pages import login


def place(db, order, street, community=None) -> None:
    with db.transaction() as s:
        row = s.get_one(WorkOrder, order.id)
        row.street_id, row.community_id = street.id, community.id if community else None


def plant(db, world, *, days_ago: int, count: int, street=None, **fields) -> list[WorkOrder]:
    made = []
    for i in range(count):
        with clock.frozen(clock.now() - timedelta(days=days_ago)):
            order = make_order(db, world, title=f"路灯不亮{i}", content="和平大道路灯坏了。", **fields)
        place(db, order, street or world.street, world.community if (street or world.street) is world.street else None)
        made.append(order)
    return made


def last_30_days() -> Period:
    today = clock.city_now().date()
    return Period(today - timedelta(days=29), today)


def test_the_count_compares_with_the_days_before_and_a_year_earlier(db, world):
    plant(db, world, days_ago=3, count=6)
    plant(db, world, days_ago=40, count=4)  # the 30 days before
    plant(db, world, days_ago=366, count=2)  # the same days last year
    plant(db, world, days_ago=3, count=2, street=world.other_street, channel="grid_patrol")
    with db.read() as s:
        board = figures.dashboard(s, last_30_days(), viewer=world.leader)
    assert board.total == 8
    assert (board.month_on_month.before, board.month_on_month.percent) == (4, Decimal("100.0"))
    assert (board.year_on_year.before, board.year_on_year.percent) == (2, Decimal("300.0"))
    assert [(s.label, s.count, s.previous) for s in board.by_street] == [("积玉桥街", 6, 4), ("水果湖街", 2, 0)]
    assert board.grid_share == Decimal("25.0")
    assert sum(day[1] for day in board.series) == 8
    assert sum(day[2] for day in board.series) == 2  # last year's days drawn beside this year's


def test_each_viewer_counts_only_their_scope_and_the_place_chosen(db, world):
    plant(db, world, days_ago=2, count=3)
    plant(db, world, days_ago=2, count=5, street=world.other_street)
    with db.read() as s:
        everything = figures.dashboard(s, last_30_days(), viewer=world.leader)
        one_street = figures.dashboard(s, last_30_days(), viewer=world.leader, place=world.other_street)
        theirs = figures.dashboard(s, last_30_days(), viewer=world.other_handler)
    assert (everything.total, one_street.total) == (8, 5)
    assert one_street.place == "水果湖街"
    assert theirs.total <= 5  # a street handler never counts another street's orders
    assert all(sl.label != "积玉桥街" for sl in theirs.by_street)


def test_the_three_rates_by_category_are_the_bulletin_s(db, world):
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    solved = make_order(db, world, upto=Action.ARCHIVE)
    with db.transaction() as s:
        s.get_one(WorkOrder, solved.id).category_code = "020101"
    with db.read() as s:
        board = figures.dashboard(s, last_30_days(), viewer=world.leader)
    [row] = board.rates_by_category
    assert (row.code, row.label, row.counted) == ("02", "环境保护", 1)
    assert set(row.rates.values()) == {Decimal("100.00")}  # answered in time, solved, satisfied


def test_an_empty_period_and_a_page_of_tables(client, db, world):
    plant(db, world, days_ago=1, count=2)
    login(client, world.leader)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert 'id="kpi-total">2<' in page.text
    assert "导出表格" in page.text
    empty = client.get("/dashboard", params={"from": "2001-01-01", "to": "2001-01-31"})
    assert empty.status_code == 200
    assert "本期没有工单" in empty.text
    export = client.get("/dashboard/export", params={"section": "street"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[:2] == [["街道", "工单（件）", "上期（件）", "环比（%）"], ["积玉桥街", "2", "0", ""]]
    assert client.get("/dashboard/export", params={"section": "nothing"}).status_code == 422
    assert client.get("/dashboard", params={"place": "abc"}).status_code == 422
    wall = client.get("/dashboard/wall").text
    assert 'data-refresh="300"' in wall
    assert "接诉即办数据大屏" in wall


def test_the_api_gives_the_figures(client, db, world, token_for):
    plant(db, world, days_ago=1, count=3)
    data = client.get("/api/v1/dashboard", headers=token_for(world.leader)).json()
    assert data["total"] == 3
    assert data["street"][0] == {"key": str(world.street.id), "label": "积玉桥街", "count": 3, "previous": 0,
                                 "change": None}
    refused = client.get("/api/v1/dashboard", params={"from": "2026-13-01"}, headers=token_for(world.leader))
    assert refused.status_code == 422
