"""Hot issues of the city's own orders: the API and the page, as each role is allowed or refused, over a period
with a planted matter, an empty period, and a bad one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from minhu.core import clock
from minhu.insight import queries
from minhu.org import service as org_service
from minhu.org.roles import Role
from tests.factories import PASSWORD, make_order
from tests.intake.test_pages import login

# Three neighbours about one building site at night, and two matters said once.
SITE = (
    ("锦绣花园旁边工地夜间施工噪音扰民", "锦绣花园东门外的工地每晚施工到凌晨两点，打桩声音很大，孩子无法入睡。"),
    ("工地半夜还在打桩", "我住锦绣花园3栋，隔壁工地晚上十一点以后还在打桩施工，噪音太大了，根本睡不着。"),
    ("锦绣花园附近工地凌晨施工", "凌晨一点锦绣花园边上的工地还在打桩施工，噪音扰民，请城管查处夜间施工。"),
)
LONE = (
    ("阳光花园路灯不亮", "阳光花园5栋门口的路灯坏了一个多星期，晚上漆黑一片。"),
    ("咨询社保转移", "从外地调来工作，养老保险关系怎么转到本市？"),
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    queries.forget()


@pytest.fixture
def planted(db, world) -> list[str]:
    """The site's orders over the last week (one phone each) and the two lone ones; the site's numbers."""
    numbers = []
    start = clock.now() - timedelta(days=7)
    for n, (title, content) in enumerate(SITE):
        with clock.frozen(start + timedelta(days=n, hours=3)):
            numbers.append(make_order(db, world, title=title, content=content, citizen_phone=f"1390000000{n}",
                                      address="锦绣花园").number)
    for n, (title, content) in enumerate(LONE):
        with clock.frozen(start + timedelta(days=n + 1)):
            make_order(db, world, title=title, content=content, citizen_phone=f"1370000000{n}", address="")
    return numbers


def test_the_api_lists_the_planted_matter_with_its_orders(client, token_for, world, planted) -> None:
    response = client.get("/api/v1/insight/hot?days=30", headers=token_for(world.dispatcher))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["days"] == 30
    assert body["orders"] == 5
    assert len(body["issues"]) == 1
    issue = body["issues"][0]
    assert issue["rank"] == 1
    assert issue["count"] == 3
    assert issue["citizens"] == 3
    assert "锦绣花园" in issue["place"]
    assert issue["title"] in {title for title, _ in SITE}
    assert [o["number"] for o in issue["orders"]] == planted
    assert issue["orders"][0]["url"] == f"/api/v1/orders/{planted[0]}"
    assert issue["heat"] > 0


@pytest.mark.parametrize("role", ["dispatcher", "leader", "admin"])
def test_dispatchers_leaders_and_admins_read_the_api(client, token_for, world, planted, role) -> None:
    response = client.get("/api/v1/insight/hot", headers=token_for(getattr(world, role)))

    assert response.status_code == 200
    assert len(response.json()["issues"]) == 1


@pytest.mark.parametrize("role", ["operator", "handler", "gridworker", "reviewer"])
def test_other_roles_are_refused_by_the_api(client, token_for, world, planted, role) -> None:
    response = client.get("/api/v1/insight/hot", headers=token_for(getattr(world, role)))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "hot_issues_forbidden"


def test_the_api_needs_a_token(client, planted) -> None:
    assert client.get("/api/v1/insight/hot").status_code == 401


def test_a_period_without_orders_is_a_clear_error(client, token_for, world, planted) -> None:
    with clock.frozen(clock.now() + timedelta(days=60)):
        response = client.get("/api/v1/insight/hot?days=7", headers=token_for(world.leader))

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "no_orders"
    assert "近 7 天" in error["message"]
    assert "没有工单" in error["message"]


@pytest.mark.parametrize("days", ["0", "367", "abc"])
def test_a_bad_number_of_days_is_refused_as_input(client, token_for, world, days) -> None:
    response = client.get(f"/api/v1/insight/hot?days={days}", headers=token_for(world.dispatcher))

    assert response.status_code == 422
    assert "error" in response.json()


def test_the_page_shows_the_issue_with_links_to_its_orders(client, world, planted) -> None:
    login(client, world.leader)

    response = client.get("/insight/hot")

    assert response.status_code == 200
    assert "热点问题" in response.text
    assert 'id="hot-issues"' in response.text
    for number in planted:
        assert f'href="/orders/{number}"' in response.text
    assert "阳光花园路灯不亮" not in response.text


@pytest.mark.parametrize("role", ["operator", "handler", "gridworker", "reviewer"])
def test_the_page_is_refused_to_other_roles(client, world, planted, role) -> None:
    login(client, getattr(world, role))

    response = client.get("/insight/hot", follow_redirects=False)

    assert response.status_code == 403
    assert "锦绣花园" not in response.text


def test_the_page_says_when_the_period_holds_no_order(client, world) -> None:
    login(client, world.dispatcher)

    response = client.get("/insight/hot?days=7")

    assert response.status_code == 200
    assert 'id="hot-empty"' in response.text
    assert "近 7 天" in response.text


def test_the_page_takes_a_bad_number_of_days_as_the_default_and_says_so(client, world, planted) -> None:
    login(client, world.admin)

    response = client.get("/insight/hot?days=x")

    assert response.status_code == 200
    assert "天数应为 1 至 366 的整数" in response.text
    assert 'id="hot-issues"' in response.text


def test_a_new_order_of_the_matter_shows_at_once_despite_the_cache(client, token_for, db, world, planted) -> None:
    headers = token_for(world.dispatcher)
    assert client.get("/api/v1/insight/hot", headers=headers).json()["issues"][0]["count"] == 3

    make_order(db, world, title="锦绣花园工地晚上打桩", content="锦绣花园旁边的工地晚上十二点还在打桩施工，噪音扰民。",
               citizen_phone="13600000009", address="锦绣花园")

    assert client.get("/api/v1/insight/hot", headers=headers).json()["issues"][0]["count"] == 4


def test_a_street_leader_sees_only_the_issues_of_orders_in_the_street_scope(client, token_for, db, world,
                                                                         planted) -> None:
    with db.transaction() as s:
        street_leader = org_service.create_user(s, username="lead-s2", password=PASSWORD, full_name="街道 领导",
                                                role=Role.LEADER, unit=s.merge(world.other_street))

    response = client.get("/api/v1/insight/hot", headers=token_for(street_leader))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_orders"
    assert not any(number in response.text for number in planted)
