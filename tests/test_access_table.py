"""Every route, every role: each role gets what ``tests/access_table.py`` says of every route, no route goes
without a row, and a person of one street or grid asking for another's orders gets 404 and reads them nowhere.

One world serves a whole test: real objects behind every path parameter (an order the role sees, an attachment,
a rule, a webhook ...), one signed-in browser and one API token per role; every mismatch is collected into one
message naming the route, the role, the mark and the answer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image
from sqlalchemy import select
from starlette.routing import Mount, Route

from minhu.board import service as board
from minhu.config import Settings
from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import DomainError
from minhu.evaluation import bulletin_archive, threads
from minhu.forwarding import service as forwarding
from minhu.geo.models import Post, PostKind, Zone, ZoneKind, ZoneMember
from minhu.intake import tracking
from minhu.knowledge import service as knowledge
from minhu.knowledge.models import ArticleKind
from minhu.knowledge.schemas import ArticleCreate
from minhu.notify import service as notify
from minhu.notify.delivery import deliver_inbox
from minhu.notify.enums import NotifyChannel
from minhu.notify.models import OutboxMessage
from minhu.open311 import catalog as open311_catalog
from minhu.open311 import keys as open311_keys
from minhu.open311.models import Datatype
from minhu.orders import attachments
from minhu.orders.enums import Channel
from minhu.orders.models import WorkOrder
from minhu.orders.states import Action
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import Role
from minhu.people import service as people_service
from minhu.routing import catalog
from minhu.routing import service as routing
from minhu.routing.models import CatalogView, CatalogViewItem, Grade, RoutingRule
from minhu.scheduling import service as scheduling
from minhu.scheduling.models import SchedulingMeeting
from minhu.scheduling.schemas import MeetingCreate
from minhu.topics import service as topics
from minhu.topics.schemas import TopicCreate
from minhu.warning.models import EarlyWarning
from tests.access_table import ACT, NONE, READ, ROLES, TABLE, Row
from tests.factories import PASSWORD, World, act, make_order

CATEGORY, SPARE = "020103", "020104"
TEMPLATE = "order.dispatched"
PERIOD = "2026-10"
WEEK = "2026-W49"  # the week of the tests' clock


# --- the routes ------------------------------------------------------------------------------------------------


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # an included router
            yield from _walk(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
        elif isinstance(route, Mount):
            yield "GET", prefix + route.path
        elif isinstance(route, APIRoute | Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, prefix + route.path


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the application answers, its static folder as ``GET /static``."""
    return set(_walk(app.routes))


def test_every_route_has_a_row_and_every_row_a_route(app):
    routes = app_routes(app)
    rows = [r.key for r in TABLE]
    twice = sorted({key for key in rows if rows.count(key) > 1})
    assert not twice, f"rows given twice: {twice}"
    missing = sorted(routes - set(rows))
    assert not missing, "routes without a row in tests/access_table.py (decide who may use them):\n" + "\n".join(
        f"  {m} {p}" for m, p in missing)
    gone = sorted(set(rows) - routes)
    assert not gone, "rows of tests/access_table.py whose route no longer exists:\n" + "\n".join(
        f"  {m} {p}" for m, p in gone)


# --- the world the table is checked in -------------------------------------------------------------------------


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def walk(db: Database, world: World, number: str, unit: int, worker: User, upto: Action) -> None:
    """Dispatch the order to ``unit`` and have ``worker`` take it along the main path up to ``upto``."""
    steps: list[tuple[Action, User, dict[str, Any]]] = [
        (Action.DISPATCH, world.dispatcher, {"unit_id": unit}), (Action.SIGN, worker, {}),
        (Action.HANDLE, worker, {"note": "已到现场核实"}), (Action.REPLY, worker, {"note": "已处理完毕"}),
        (Action.APPROVE, world.dispatcher, {})]
    for action, actor, fields in steps:
        act(db, number, action, actor, **fields)
        if action is upto:
            return


def warning(session: Any, world: World, order_id: int) -> int:
    """A warning on the world's community, as a scan would raise it."""
    raised = EarlyWarning(community_id=world.community.id, street_id=world.street.id, category_code="0803",
                          week_start=clock.city_now().date(), observed=6, expected=0.5, trailing_mean=0.4,
                          last_year=None, p_value=1e-5, order_ids=[order_id], detected_at=clock.now(),
                          updated_at=clock.now())
    session.add(raised)
    session.flush()
    return raised.id


def chief_post(session: Any, world: World) -> int:
    """The area chief (片区长) of a zone holding the world's community."""
    zone = Zone(code="Z-A-S1", name="积玉桥街第一片区", kind=ZoneKind.AREA, buffer_m=0.0,
                members=[ZoneMember(unit_id=world.community.id)])
    post = Post(kind=PostKind.AREA_CHIEF, person="吴刚", phone="13800000006", zone=zone,
                starts_on=date(2025, 3, 1))
    session.add_all([zone, post])
    session.flush()
    return post.id


@dataclass
class City:
    """The world, an object behind every name the table's rows use, and whose orders are whose."""

    world: World
    values: dict[str, Any]  # the rows' {names}
    per_role: dict[str, dict[str, Any]]  # a role's own objects, over ``values``
    street: list[str]  # the street's orders (积玉桥街), its grid's among them
    grid: list[str]  # the grid's
    other: list[str]  # the other street's (水果湖街)
    centre: list[str]  # registered, no unit's yet
    titles: dict[str, str]  # number → a title found nowhere else
    attachments: dict[str, int]  # number → one of its attachments
    threads: dict[str, int]  # the street's matter; one across both streets (main: the street's order)
    inbox: dict[int, int]  # user id → a message in their inbox
    other_leader: User  # the leader of the other street (the world's leader leads the district)

    def users(self) -> dict[str, User | None]:
        w = self.world
        return {"anonymous": None, "operator": w.operator, "dispatcher": w.dispatcher, "handler": w.handler,
                "gridworker": w.gridworker, "leader": w.leader, "reviewer": w.reviewer, "admin": w.admin,
                "street": w.street_dispatcher}

    def value(self, role: str) -> dict[str, Any]:
        return {**self.values, **self.per_role.get(role, {})}


def make_city(db: Database, world: World, settings: Settings, *, bulletin: bool = False) -> City:
    """The city; with ``bulletin``, October's bulletin archived too (its files are rows of the table)."""
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        other_leader = org_service.create_user(s, username="lead2", password=PASSWORD, full_name="lead2 测试",
                                               role=Role.LEADER, unit=s.get_one(Unit, world.other_street.id))
    routing.forget_routing()
    street = make_order(db, world, title="和平大道路灯不亮〔甲〕")
    walk(db, world, street.number, world.street.id, world.handler, Action.REPLY)
    on_grid = make_order(db, world, title="和平社区井盖缺失〔乙〕")
    walk(db, world, on_grid.number, world.grid.id, world.gridworker, Action.REPLY)
    waiting = make_order(db, world, title="和平社区垃圾未清运〔丙〕")  # for its callback
    walk(db, world, waiting.number, world.street.id, world.handler, Action.APPROVE)
    other = make_order(db, world, title="东湖边夜间噪音〔丁〕", citizen_phone="13700001111")
    walk(db, world, other.number, world.other_street.id, world.other_handler, Action.SIGN)
    # The street's citizen again: duplicate candidates and one matter (诉求串) across both streets.
    other_replied = make_order(db, world, title="东湖边路灯不亮〔戊〕")
    walk(db, world, other_replied.number, world.other_street.id, world.other_handler, Action.REPLY)
    new = make_order(db, world, title="咨询居住证办理〔己〕", citizen_phone="13700002222")
    deliver_inbox(db, 100)
    stored = {order.number: attachments.attach_file(
        db, order.number, actor=worker, filename="现场.jpg", stream=io.BytesIO(jpeg()),
        root=settings.attachments_dir, max_bytes=settings.max_upload_bytes).id
        for order, worker in ((street, world.handler), (on_grid, world.gridworker), (other, world.other_handler))}
    with db.transaction() as s:
        def loaded(order: WorkOrder) -> WorkOrder:
            return s.get_one(WorkOrder, order.id)

        ids = {"thread": threads.link(s, loaded(street), to=loaded(on_grid), actor=world.dispatcher).id,
               "across": threads.link(s, loaded(other_replied), to=loaded(waiting), actor=world.dispatcher).id}
        view = CatalogView(code="S1-A", name="积玉桥街 A 类清单", unit_id=world.street.id, source="街道清单",
                           items=[CatalogViewItem(section="市容", item="路灯", category_code=CATEGORY, grade=Grade.A)])
        rule = RoutingRule(category_code="08", place_unit_id=world.street.id, owner_unit_id=world.street.id)
        s.add_all([view, rule])
        for order in (street, new):
            board.submit(s, loaded(order))
        s.flush()
        board.publish(s, street.id, actor=world.dispatcher)
        open311_catalog.publish(s, category_code=CATEGORY, code="lamp")
        ids |= {
            "item": view.items[0].id, "rule": rule.id,
            "shift": notify.add_shift(s, user_id=world.leader.id, starts_at=clock.now(),
                                      ends_at=clock.now() + timedelta(hours=8), actor=world.admin).id,
            "hook": notify.add_webhook(s, name="对接系统", url="https://example.org/hook",
                                       secret=notify.new_secret(), events=["*"]).id,
            "system": forwarding.add_system(s, code="citizen-app", name="市民App", channel=Channel.API,
                                            key=forwarding.new_key()).id,
            "key": open311_keys.add_key(s, name="城市随手拍", key=open311_keys.new_key()).id,
            "attribute": open311_catalog.add_attribute(s, "lamp", code="pole", datatype=Datatype.STRING,
                                                       description="灯杆编号？").id,
            "article": knowledge.create_article(s, ArticleCreate(kind=ArticleKind.ANSWER, title="低保申请条件",
                                                                 body="向户籍所在地街道申请。"), actor=None).id,
            "topic": topics.create_topic(s, TopicCreate(title="和平社区路灯", owner_unit_id=world.street.id,
                                                        keywords=["路灯"]), actor=world.dispatcher).id,
            "warning": warning(s, world, street.id),
            "patrol": people_service.start_patrol(s, actor=s.get_one(User, world.gridworker.id)).id,
            "post": chief_post(s, world),
            "meeting": scheduling.record_meeting(s, MeetingCreate.model_validate({
                "week": WEEK, "held_on": clock.city_now().date().isoformat(), "chair": "王强区长",
                "instructions": [{"text": "清理和平大道占道", "unit_id": world.street.id},
                                 {"text": "本周办结", "order_number": street.number}]}), actor=world.leader).id,
        }
        ids["instruction"] = min(i.id for i in s.get_one(SchedulingMeeting, ids["meeting"]).instructions)
        inbox = {user_id: message_id for message_id, user_id in s.execute(
            select(OutboxMessage.id, OutboxMessage.user_id)
            .where(OutboxMessage.template_key == TEMPLATE, OutboxMessage.channel == NotifyChannel.INBOX.value))
            if user_id is not None}
        # The citizen's rating link went out by SMS when the centre approved the reply.
        rating = re.search(r"/r/([\w-]+)", s.scalars(select(OutboxMessage.body)
                                                     .where(OutboxMessage.body.contains("/r/"))).one())
        version = loaded(waiting).version
    assert rating is not None
    if bulletin:
        bulletin_archive.generate(db, period=bulletin_archive.month_of(PERIOD), policy_ref=None, by="测试")
    values = {
        "password": PASSWORD, "me": world.other_handler.username, "number": street.number,
        "callback": waiting.number, "version": version, "attachment_id": stored[street.number],
        "unit": world.street.code, "street_id": world.street.id, "leader_id": world.leader.id, "category": CATEGORY,
        "spare": SPARE,
        "view": "S1-A", "item_id": ids["item"], "rule_id": ids["rule"], "message_id": inbox[world.handler.id],
        "template": TEMPLATE, "shift_id": ids["shift"], "subscription_id": ids["hook"], "thread_id": ids["thread"],
        "period": PERIOD, "system_id": ids["system"], "key_id": ids["key"], "service": "lamp",
        "attribute_id": ids["attribute"], "pending_id": new.id, "board": street.number, "rating": rating.group(1),
        "track": tracking.link(street.number, settings.effective_secret_key()).removeprefix("/public/track/"),
        "due_at": (clock.now() + timedelta(days=3)).isoformat(), "article_id": ids["article"],
        "topic_id": ids["topic"], "post_id": ids["post"],
        "week": WEEK, "meeting_id": ids["meeting"], "instruction_id": ids["instruction"],
        "warning_id": ids["warning"], "patrol_id": ids["patrol"],
        "due_on": (clock.city_now().date() + timedelta(days=7)).isoformat(),
    }
    per_role: dict[str, dict[str, Any]] = {role: {"me": user.username} for role, user in (
        ("operator", world.operator), ("dispatcher", world.dispatcher), ("handler", world.handler),
        ("gridworker", world.gridworker), ("leader", world.leader), ("reviewer", world.reviewer),
        ("admin", world.admin), ("street", world.street_dispatcher))}
    per_role["gridworker"] |= {"number": on_grid.number, "attachment_id": stored[on_grid.number],
                               "message_id": inbox[world.gridworker.id]}
    orders = (street, on_grid, waiting, other, other_replied, new)
    return City(world, values, per_role, street=[street.number, on_grid.number, waiting.number],
                grid=[on_grid.number], other=[other.number, other_replied.number], centre=[new.number],
                titles={o.number: o.title for o in orders}, attachments=stored,
                threads={"street": ids["thread"], "across": ids["across"]}, inbox=inbox, other_leader=other_leader)


@pytest.fixture
def city(db: Database, world: World, settings: Settings) -> City:
    return make_city(db, world, settings)


# --- one browser and one token per person ----------------------------------------------------------------------


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


@dataclass
class Person:
    client: TestClient
    csrf: str
    token: str | None


def sign_in(app: FastAPI, user: User | None, stack: ExitStack) -> Person:
    """A browser signed in as ``user`` (None: a resident's), with that person's API token."""
    client = stack.enter_context(TestClient(app))
    token = None
    if user is not None:
        signed = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                             "csrf_token": csrf_of(client.get("/login").text)}, follow_redirects=False)
        assert signed.status_code == 303, (user.username, signed.text)
        issued = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
        token = str(issued.json()["access_token"])
    return Person(client, csrf_of(client.get("/public/report").text), token)


def hold_photo(person: Person) -> str:
    """A photo this browser holds now (opening the report page lets go of those held before)."""
    held = person.client.post("/public/photos", files={"photo": ("a.jpg", jpeg(), "image/jpeg")},
                              headers={"X-CSRF-Token": person.csrf})
    assert held.status_code == 201, held.text
    return str(held.json()["token"])


# --- sending a row's request and judging the answer ------------------------------------------------------------


class Refusals:
    """The codes of the 401/403 refusals raised while a request ran, those a page form shows as a message too."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[str] = []
        original = DomainError.__init__
        seen = self.seen

        def recording(error: DomainError, *args: Any, **kwargs: Any) -> None:
            original(error, *args, **kwargs)
            if error.status in (401, 403):
                seen.append(error.code)

        monkeypatch.setattr(DomainError, "__init__", recording)


def fill(value: Any, names: dict[str, Any]) -> Any:
    """``value`` with its {names} filled; a string that is one {name} becomes that value (an id stays a number)."""
    if isinstance(value, str):
        alone = re.fullmatch(r"\{(\w+)\}", value)
        return names[alone.group(1)] if alone else value.format_map(names)
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    return value


def send(row: Row, person: Person, names: dict[str, Any]) -> Response:
    url = fill(row.url, names)
    headers = {"X-CSRF-Token": person.csrf}
    if person.token is not None and url.startswith("/api/"):
        headers["Authorization"] = f"Bearer {person.token}"
    files = None
    if row.upload is not None:
        name, kind = row.upload
        files = {name: ("photo.jpg", jpeg(), "image/jpeg") if kind == "photo"
                 else ("file.csv", "code,name\n99,测试\n".encode(), "text/csv")}
    response: Response = person.client.request(row.method, url, headers=headers, json=fill(row.json, names),
                                               data=fill(row.form, names), files=files, follow_redirects=False)
    return response


def judge(mark: str, response: Response, refused: list[str]) -> str | None:
    """What is wrong with the answer for this mark (see tests/access_table.py), or None."""
    status = response.status_code
    to_login = status == 303 and response.headers.get("location", "").startswith("/login?next=")
    if status >= 500:
        return "server error"
    if mark == NONE:
        if status in (401, 403, 404) or to_login or (status == 303 and refused):
            return None
        return "let through"
    if status in (401, 403) or to_login:
        return "refused"
    if mark == READ and not (200 <= status < 300 or status == 303):
        return "not answered"
    if mark == ACT and status == 303 and refused:
        return "refused on the page it went back to"
    return None


def check_table(app: FastAPI, city: City, refusals: Refusals) -> list[str]:
    problems: list[str] = []

    def note(row: Row, who: str, mark: str, wrong: str, response: Response) -> None:
        codes = f" {','.join(refusals.seen)}" if refusals.seen else ""
        problems.append(f"{row.method} {row.route} as {who} (mark {mark}): {wrong} — {response.status_code} "
                        f"{response.headers.get('location', '')}{codes} {response.text[:160]!r}")

    with ExitStack() as stack:
        persons = {role: sign_in(app, user, stack) for role, user in city.users().items()}
        # A signed-in browser's cookie never opens the API: without a token it is anonymous there.
        operator = persons["operator"]
        cookie_only = Person(operator.client, operator.csrf, None)
        for row in TABLE:
            if row.route.startswith("/api/") and row.mark("anonymous") == NONE:
                refusals.seen.clear()
                response = send(row, cookie_only, city.value("operator"))
                if response.status_code != 401:
                    note(row, "operator's browser without a token", NONE, "not 401", response)
        for row in sorted(TABLE, key=lambda r: r.last):
            for role in ROLES:
                names = city.value(role)
                if "{photo}" in row.url:
                    names["photo"] = hold_photo(persons[role])
                refusals.seen.clear()
                response = send(row, persons[role], names)
                wrong = judge(row.mark(role), response, refusals.seen)
                if wrong:
                    note(row, role, row.mark(role), wrong, response)
            if row.last:  # a new session (or none) has a new CSRF token
                for person in persons.values():
                    person.csrf = csrf_of(person.client.get("/public/report").text)
    return problems


def test_every_role_gets_what_the_table_says_of_every_route(app, db, world, settings, monkeypatch):
    problems = check_table(app, make_city(db, world, settings, bulletin=True), Refusals(monkeypatch))
    assert not problems, f"{len(problems)} answers differ from tests/access_table.py:\n" + "\n".join(problems)


# --- across scopes: one street's person asking for another's orders --------------------------------------------


@dataclass(frozen=True)
class Outsider:
    """A person of a role with their own objects (filling the rows), and what lies outside their scope: orders,
    attachments, a matter and a message not theirs."""

    role: str
    user: User
    names: dict[str, Any]
    orders: list[str]
    attachments: list[int]
    threads: list[int]
    messages: list[int]


def outsiders(city: City) -> list[Outsider]:
    w = city.world
    off_grid = [n for n in city.street if n not in city.grid] + city.other + city.centre
    mine = {**city.value("handler"), "me": w.other_handler.username, "number": city.other[1],
            "attachment_id": city.attachments[city.other[0]], "message_id": city.inbox[w.other_handler.id]}
    return [
        Outsider("handler", w.handler, city.value("handler"), city.other + city.centre,
                 [city.attachments[n] for n in city.other if n in city.attachments], [],
                 [city.inbox[w.gridworker.id]]),
        Outsider("street", w.street_dispatcher, city.value("street"), city.other + city.centre,
                 [city.attachments[n] for n in city.other if n in city.attachments], [],
                 [city.inbox[w.gridworker.id]]),
        Outsider("handler", w.other_handler, mine, city.street + city.centre,
                 [city.attachments[n] for n in city.street if n in city.attachments], [city.threads["street"]],
                 [city.inbox[w.handler.id]]),
        Outsider("leader", city.other_leader, {**mine, "me": city.other_leader.username},
                 city.street + city.centre, [city.attachments[n] for n in city.street if n in city.attachments],
                 [city.threads["street"]], [city.inbox[w.handler.id]]),
        Outsider("gridworker", w.gridworker, city.value("gridworker"), off_grid,
                 [city.attachments[n] for n in off_grid if n in city.attachments], [city.threads["across"]],
                 [city.inbox[w.handler.id]]),
    ]


# Routes keyed by a proof or by nobody, not by a person's scope.
UNSCOPED = ("/public/", "/r/", "/open311/", "/static", "/docs", "/openapi.json", "/healthz")
FOREIGN = {"number": "orders", "callback": "orders", "attachment_id": "attachments", "thread_id": "threads",
           "message_id": "messages"}


def test_a_person_asking_for_what_is_outside_their_scope_gets_404_for_each(app, city):
    """Every route that names an order (or its attachment, its matter, a message), asked one by one by a street's
    handler for the other street's orders and the centre's, and by the grid worker for every order off the grid:
    404, or 403 where the role may not use the route at all — never the order."""
    problems: list[str] = []
    with ExitStack() as stack:
        for outsider in outsiders(city):
            person = sign_in(app, outsider.user, stack)
            for row in TABLE:
                if row.url.startswith(UNSCOPED) or row.last:
                    continue
                for name, kind in FOREIGN.items():
                    if "{" + name + "}" not in row.url:
                        continue
                    for value in getattr(outsider, kind):
                        response = send(row, person, {**outsider.names, name: value})
                        allowed = {404} if row.mark(outsider.role) != NONE else {403, 404}
                        if response.status_code not in allowed:
                            problems.append(f"{row.method} {row.url} as {outsider.user.username} with {name}={value}:"
                                            f" {response.status_code} {response.text[:120]!r}")
    assert not problems, "out-of-scope objects answered other than 404:\n" + "\n".join(problems)


def test_no_page_or_answer_names_an_order_outside_the_readers_scope(app, city):
    """Every page and API answer a handler or the grid worker may read, filled with their own objects: none names
    an order they may not see, by number or title (a list, a matter's main order, a step of the trail)."""
    problems: list[str] = []
    with ExitStack() as stack:
        for outsider in outsiders(city):
            person = sign_in(app, outsider.user, stack)
            for row in TABLE:
                if row.method != "GET" or row.url.startswith(UNSCOPED) or row.mark(outsider.role) != READ:
                    continue
                urls = [fill(row.url, {**outsider.names, "thread_id": t}) for t in city.threads.values()] \
                    if "{thread_id}" in row.url else [fill(row.url, outsider.names)]
                for url in urls:
                    token = {"Authorization": f"Bearer {person.token}"} if url.startswith("/api/") else {}
                    response = person.client.get(url, headers=token)
                    if response.status_code != 200:
                        continue  # a matter none of whose orders is theirs: 404, the test above
                    named = [n for n in outsider.orders if n in response.text or city.titles[n] in response.text]
                    if named:
                        problems.append(f"GET {url} as {outsider.user.username} names {', '.join(named)}")
    assert not problems, "answers naming orders outside the reader's scope:\n" + "\n".join(problems)


def test_each_persons_order_lists_hold_exactly_the_orders_of_their_scope(app, city):
    everything = city.street + city.other + city.centre
    w = city.world
    scopes = {w.operator: everything, w.dispatcher: everything, w.reviewer: everything, w.admin: everything,
              w.leader: everything, w.handler: city.street, w.other_handler: city.other, w.gridworker: city.grid}
    problems: list[str] = []
    with ExitStack() as stack:
        for user, expected in scopes.items():
            person = sign_in(app, user, stack)
            api = person.client.get("/api/v1/orders", headers={"Authorization": f"Bearer {person.token}"}).json()
            page = person.client.get("/orders").text
            for where, got in (("GET /api/v1/orders", {item["number"] for item in api["items"]}),
                               ("GET /orders", {n for n in everything if n in page})):
                if got != set(expected):
                    problems.append(f"{where} as {user.username} ({user.role}): {sorted(got)}, "
                                    f"expected {sorted(expected)}")
    assert not problems, "\n".join(problems)
