"""The access table: every route of the application, and what each role may do with it.

``tests/test_access_table.py`` holds the application to this table both ways: a route without a row, or a row
whose route is gone, fails the suite; and for every row it sends each role's real request and checks the answer
against the role's mark. A new route therefore needs a decision written here before the suite passes.

One mark per role, in the order of ``ROLES`` (the column header above the rows repeats it):

``-`` none
    Refused. The answer is 401 (the API without a token), 403 or 404 (out of scope reads as absent), or, for a
    page, a 303 to the login page; a page form may also go back with the refusal shown as a message (a 303 whose
    request raised a 401/403 refusal). Never a 2xx, never a 5xx.
``r`` read
    Answered: a 2xx, or a 303 somewhere other than the login page (``/`` goes to ``/orders``, a signed-in
    person's ``/login`` goes on). Never 401/403, never a 5xx.
``a`` act
    A write let through to its business: the request passes authorisation whatever it then meets — 2xx, 303,
    409 (not in this state), 404 for an object that is gone (an administrator deleting before another row
    reaches it), 422 (the body the row sends is minimal) or 429 (a limit). Never 401/403, never a refusal shown as
    a message, never a 5xx.

The bodies are chosen to pass the route's own validation where it runs before the role is checked (a form field
FastAPI requires, a JSON schema), so a ``-`` is answered by the authorisation, not by a 422.

Which lifecycle action a role may take (sign, dispatch, approve, call back ...) is the transition table's
(``src/minhu/orders/states.py``, checked by ``tests/orders/test_every_transition.py`` and ``tests/test_roles.py``):
the routes that take an action are ``a`` for every role they let in, and an action the role may not take is a 409.

Residents have no account: the public pages (``/public/...``, ``/r/...``) answer every role alike, and what
a resident sees there is keyed by a proof (a phone code, a signed link, a photo held by the browser), tested
beside those pages. Open311's reads are public; its writes and ``POST /api/v1/intake`` are opened by a client's
key, never by a person's token or session: ``-`` for every role.

Which orders a role sees is its scope, not its row: ``tests/test_access_table.py`` also asks every route that
takes an order for orders outside the person's scope.

``url`` is the request sent; ``{name}`` fields are filled from the test's world: ``number`` is an order the role
sees (its street's, or the grid's for the grid worker), ``callback`` an order waiting for its callback, and the
other names are objects the world creates (see ``tests/test_access_table.py``). String values of ``json`` and
``form`` are filled the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("anonymous", "operator", "dispatcher", "handler", "gridworker", "leader", "reviewer", "admin", "street")
NONE, READ, ACT = "-", "r", "a"
UPLOADS = frozenset({"photo", "csv"})


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the path as the application declares it
    marks: tuple[str, ...]  # one per role, in ROLES order
    url: str
    json: Any = None
    form: dict[str, str] | None = None
    upload: tuple[str, str] | None = None  # (form field, kind of file) sent as multipart
    last: bool = False  # ends the session or the token: sent after every other row

    def mark(self, role: str) -> str:
        return self.marks[ROLES.index(role)]

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.route


def row(method: str, route: str, marks: str, url: str | None = None, *, json: Any = None,
        form: dict[str, str] | None = None, upload: tuple[str, str] | None = None, last: bool = False) -> Row:
    found = tuple(marks.split())
    assert len(found) == len(ROLES), f"{method} {route}: {marks!r}"
    assert set(found) <= {NONE, READ, ACT}, f"{method} {route}: {marks!r}"
    assert upload is None or upload[1] in UPLOADS
    return Row(method, route, found, url or route, json=json, form=form, upload=upload, last=last)


ORDER = {"type": "help", "channel": "hotline", "title": "楼道灯不亮", "content": "和平社区5栋楼道灯坏了一周。"}
ORDER_FORM = {**ORDER, "citizen_phone": "13912345678"}
CATEGORY = {"name": "无人机扰民", "grade": "A", "owner": "street", "limit_class": "normal"}
ATTACHMENT, PHOTO, CSV = ("file", "photo"), ("photo", "photo"), ("file", "csv")

TABLE: tuple[Row, ...] = (
    # ------------------------------------------------------------------------- the API: who is calling
    #                                                          anon op disp hand grid lead rev adm str
    row("POST", "/api/v1/auth/token",                          "a    a  a    a    a    a    a   a   a",
        json={"username": "{me}", "password": "{password}"}),
    row("DELETE", "/api/v1/auth/token",                        "-    a  a    a    a    a    a   a   a", last=True),
    row("GET", "/api/v1/me",                                   "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/units",                                "-    r  r    r    r    r    r   r   r"),
    # ------------------------------------------------------------------------- the API: orders
    row("POST", "/api/v1/orders",                              "-    a  a    -    a    -    -   a   -", json=ORDER),
    row("GET", "/api/v1/orders",                               "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/orders/{number}",                      "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/orders/{number}/actions/{action}",    "-    a  a    a    a    a    a   a   a",
        "/api/v1/orders/{number}/actions/sign", json={"expected_version": 1}),
    row("GET", "/api/v1/orders/{number}/events",               "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/orders/{number}/phone",               "-    a  a    a    a    -    a   -   a"),
    row("POST", "/api/v1/orders/{number}/attachments",         "-    a  a    a    a    -    a   a   a",
        upload=ATTACHMENT),
    row("GET", "/api/v1/attachments/{attachment_id}",          "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/city/escalations",                     "-    r  r    -    -    -    r   r   -"),
    row("GET", "/api/v1/orders/{number}/reply-quality",        "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/orders/{number}/urge",                "-    a  a    -    -    a    a   a   -",
        json={"note": "请尽快处理"}),
    row("POST", "/api/v1/orders/{number}/supervise",           "-    a  a    -    -    a    a   a   -",
        json={"note": "请本周内办结", "due_at": "{due_at}"}),
    row("GET", "/api/v1/supervision/lights",                   "-    r  r    r    -    r    r   r   r"),
    # ------------------------------------------------------------------------- the API: knowledge
    row("GET", "/api/v1/knowledge/search",                     "-    r  r    r    r    r    r   r   r",
        "/api/v1/knowledge/search?q=低保怎么申请"),
    row("GET", "/api/v1/knowledge/articles/{article_id}",      "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/knowledge/articles",                  "-    -  a    -    -    -    -   a   -",
        json={"kind": "answer", "title": "测试条目", "body": "测试正文"}),
    row("PUT", "/api/v1/knowledge/articles/{article_id}",      "-    -  a    -    -    -    -   a   -",
        json={"kind": "answer", "title": "测试条目", "body": "修改后的正文"}),
    row("GET", "/api/v1/orders/{number}/knowledge",            "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/orders/{number}/guiding-case",        "-    -  a    -    -    -    -   a   -",
        json={"summary": "这类诉求的症结和办法"}),
    # ------------------------------------------------------------------------- the API: problems of the month
    row("GET", "/api/v1/topics",                               "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/topics",                              "-    -  a    -    -    a    -   a   -",
        json={"title": "路灯不亮", "owner_unit_id": "{street_id}", "keywords": ["路灯"]}),
    row("GET", "/api/v1/topics/{topic_id}",                    "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/topics/{topic_id}/notes",             "-    -  a    a    -    a    -   a   a",
        json={"text": "已约谈施工单位"}),
    row("POST", "/api/v1/topics/{topic_id}/state",             "-    -  a    -    -    a    -   a   -",
        json={"state": "done"}),
    row("GET", "/api/v1/dashboard",                            "-    r  r    r    r    r    r   r   r"),
    # ------------------------------------------------------------------------- the API: the chiefs (四长)
    row("GET", "/api/v1/chiefs",                               "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/chiefs/{post_id}",                     "-    r  r    -    -    r    r   r   -"),
    row("PUT", "/api/v1/chiefs/{post_id}/duties",              "-    -  -    -    -    -    -   a   -",
        json={"items": [{"category_code": "{category}"}]}),
    # ------------------------------------------------------------------------- the API: leaders' scheduling
    row("GET", "/api/v1/scheduling/weeks/{week}",              "-    -  r    -    -    r    -   r   -",
        "/api/v1/scheduling/weeks/{week}"),
    row("POST", "/api/v1/scheduling/meetings",                 "-    -  a    -    -    a    -   a   -",
        json={"week": "{week}", "held_on": "2026-11-30", "chair": "王强区长",
              "instructions": [{"text": "清理占道", "unit_id": "{street_id}"}]}),
    row("GET", "/api/v1/scheduling/meetings/{meeting_id}",     "-    r  r    r    -    r    r   r   r"),
    row("GET", "/api/v1/instructions",                         "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/instructions/{instruction_id}/acknowledge", "-  -  -  a  -  -  -  -   a", json={}),
    # ------------------------------------------------------------------------- the API: early warning
    row("GET", "/api/v1/warnings",                             "-    -  r    r    -    r    -   r   -"),
    row("GET", "/api/v1/warnings/{warning_id}",                "-    -  r    r    -    r    -   r   -"),
    row("POST", "/api/v1/warnings/{warning_id}/acknowledge",   "-    -  a    a    -    a    -   a   -"),
    row("POST", "/api/v1/warnings/{warning_id}/task",          "-    -  a    a    -    a    -   a   -",
        json={"unit_id": "{street_id}", "due_on": "{due_on}", "note": "排查雨水口"}),
    row("POST", "/api/v1/warnings/{warning_id}/dismiss",       "-    -  a    a    -    a    -   a   -",
        json={"reason": "同一事件的重复来电"}),
    # ------------------------------------------------------------------------- the API: place and map
    row("GET", "/api/v1/locate",                               "-    r  r    r    r    r    r   r   r",
        "/api/v1/locate?lat=30.56&lon=114.30"),
    row("GET", "/api/v1/geocode",                              "-    r  r    r    r    r    r   r   r",
        "/api/v1/geocode?q=和平大道"),
    row("GET", "/api/v1/map/layers/{layer}",                   "-    r  r    r    r    r    r   r   r",
        "/api/v1/map/layers/streets"),
    row("GET", "/api/v1/map/orders",                           "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/map/heat",                             "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/units/{code}",                         "-    r  r    r    r    r    r   r   r",
        "/api/v1/units/{unit}"),
    # ------------------------------------------------------------------------- the API: catalog and matrix
    row("GET", "/api/v1/catalog",                              "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/catalog",                             "-    -  -    -    -    -    -   a   -", json=CATEGORY),
    row("GET", "/api/v1/catalog/export",                       "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/catalog/import",                      "-    -  -    -    -    -    -   a   -", upload=CSV),
    row("GET", "/api/v1/catalog/views",                        "-    -  r    -    -    -    -   r   -"),
    row("GET", "/api/v1/catalog/views/export",                 "-    -  r    -    -    -    -   r   -"),
    row("POST", "/api/v1/catalog/views/import",                "-    -  -    -    -    -    -   a   -", upload=CSV),
    row("GET", "/api/v1/catalog/views/{code}",                 "-    -  r    -    -    -    -   r   -",
        "/api/v1/catalog/views/{view}"),
    row("GET", "/api/v1/catalog/{code}",                       "-    r  r    r    r    r    r   r   r",
        "/api/v1/catalog/{category}"),
    row("PATCH", "/api/v1/catalog/{code}",                     "-    -  -    -    -    -    -   a   -",
        "/api/v1/catalog/{category}", json={"keywords": ["无人机"]}),
    row("GET", "/api/v1/routing/rules",                        "-    -  r    -    -    -    -   r   -"),
    row("POST", "/api/v1/routing/rules",                       "-    -  -    -    -    -    -   a   -",
        json={"category_code": "{category}", "owner_unit_id": "{street_id}"}),
    row("GET", "/api/v1/routing/rules/check",                  "-    -  r    -    -    -    -   r   -"),
    row("GET", "/api/v1/routing/rules/{rule_id}",              "-    -  r    -    -    -    -   r   -"),
    row("PATCH", "/api/v1/routing/rules/{rule_id}",            "-    -  -    -    -    -    -   a   -",
        json={"note": "联席会议纪要"}),
    row("GET", "/api/v1/routing/try",                          "-    -  r    -    -    -    -   r   -",
        "/api/v1/routing/try?category={category}"),
    # ------------------------------------------------------------------------- the API: figures
    # ------------------------------------------------------------------------- the API: street sub-centres
    row("GET", "/api/v1/street/queue",                         "-    -  -    -    -    -    -   -   r"),
    row("GET", "/api/v1/streets/{street_id}/settings",         "-    -  -    -    -    -    -   r   r"),
    row("PUT", "/api/v1/streets/{street_id}/settings",         "-    -  -    -    -    -    -   a   a",
        json={"sub_centre": True, "review_inner_replies": True, "a_level_straight": False}),
    row("GET", "/api/v1/dispatch/quality",                     "-    r  r    -    -    r    r   r   -"),
    row("GET", "/api/v1/dispatch/units",                       "-    r  r    -    -    r    r   r   -"),
    row("GET", "/api/v1/dispatch/units/{unit_id}",             "-    r  r    -    -    r    r   r   -",
        "/api/v1/dispatch/units/{street_id}"),
    row("GET", "/api/v1/dispatch/orders/{number}/proposal",    "-    r  r    -    -    -    r   r   -",
        "/api/v1/dispatch/orders/{number}/proposal?category_code={category}"),
    row("GET", "/api/v1/rates",                                "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/rankings",                             "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/rankings/called",                      "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/rankings/weekly-bottom",               "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/rate-policies",                        "-    r  r    r    r    r    r   r   r"),
    row("POST", "/api/v1/rate-policies",                       "-    -  -    -    -    -    -   a   -",
        json={"source": "code = 'x'"}),
    row("GET", "/api/v1/bulletins",                            "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/bulletins/{period}",                   "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/people/figures",                       "-    r  r    r    r    r    r   r   r"),
    row("GET", "/api/v1/insight/hot",                          "-    -  r    -    -    r    -   r   -"),
    row("POST", "/api/v1/grid-rounds",                         "-    -  -    -    a    -    -   -   -",
        json={"kind": "patrol", "note": "巡查和平社区"}),
    # Another system's door: its key, never a person's token.
    row("POST", "/api/v1/intake",                              "-    -  -    -    -    -    -   -   -",
        json={**ORDER, "external_id": "X-1"}),
    # ------------------------------------------------------------------------- pages: signing in
    row("GET", "/login",                                       "r    r  r    r    r    r    r   r   r"),
    row("POST", "/login",                                      "a    a  a    a    a    a    a   a   a",
        form={"username": "{me}", "password": "{password}"}, last=True),
    row("POST", "/logout",                                     "a    a  a    a    a    a    a   a   a", last=True),
    row("GET", "/account/password",                            "-    r  r    r    r    r    r   r   r"),
    row("POST", "/account/password",                           "-    a  a    a    a    a    a   a   a",
        form={"current": "not the password", "new": "another horse battery", "repeated": "another horse battery"}),
    # ------------------------------------------------------------------------- pages: orders
    row("GET", "/",                                            "r    r  r    r    r    r    r   r   r"),
    row("GET", "/orders",                                      "-    r  r    r    r    r    r   r   r"),
    row("GET", "/orders/new",                                  "-    r  r    -    r    -    -   r   -"),
    row("POST", "/orders/new",                                 "-    a  a    -    a    -    -   a   -",
        form=ORDER_FORM),
    row("GET", "/orders/{number}",                             "-    r  r    r    r    r    r   r   r"),
    row("POST", "/orders/{number}/act",                        "-    a  a    a    a    a    a   a   a",
        form={"action": "sign", "expected_version": "1"}),
    row("POST", "/orders/{number}/phone",                      "-    a  a    a    a    -    a   -   a"),
    row("POST", "/orders/{number}/attachments",                "-    a  a    a    a    -    a   a   a",
        upload=ATTACHMENT),
    row("GET", "/attachments/{attachment_id}",                 "-    r  r    r    r    r    r   r   r"),
    row("POST", "/orders/{number}/supervision",                "-    a  a    -    -    a    a   a   -",
        form={"action": "urge", "note": "请尽快处理"}),
    row("POST", "/orders/{number}/thread",                     "-    -  a    -    -    -    a   -   -",
        form={"with": "{callback}"}),
    # ------------------------------------------------------------------------- pages: the map
    row("GET", "/insight/hot",                                 "-    -  r    -    -    r    -   r   -"),
    row("GET", "/map",                                         "-    r  r    r    r    r    r   r   r"),
    row("GET", "/map/layers/{layer}.geojson",                  "-    r  r    r    r    r    r   r   r",
        "/map/layers/streets.geojson"),
    row("GET", "/map/orders.geojson",                          "-    r  r    r    r    r    r   r   r"),
    row("GET", "/map/heat.json",                               "-    r  r    r    r    r    r   r   r"),
    row("GET", "/map/units/{code}",                            "-    r  r    r    r    r    r   r   r",
        "/map/units/{unit}"),
    # ------------------------------------------------------------------------- pages: time limits
    row("GET", "/supervision",                                 "-    r  r    r    -    r    r   r   r"),
    row("GET", "/supervision/orders",                          "-    r  r    r    -    r    r   r   r",
        "/supervision/orders?limit=finish&light=red"),
    row("GET", "/admin/time-limits",                           "-    r  r    r    -    r    r   r   r"),
    row("POST", "/admin/time-limits/day",                      "-    -  -    -    -    -    -   a   -",
        form={"day": "2027-01-04", "kind": "holiday", "name": "测试"}),
    row("POST", "/admin/time-limits/policy",                   "-    -  -    -    -    -    -   a   -", upload=CSV),
    # ------------------------------------------------------------------------- pages: catalog and matrix
    row("GET", "/admin/catalog",                               "-    -  -    -    -    -    -   r   -"),
    row("GET", "/admin/catalog/export",                        "-    -  -    -    -    -    -   r   -"),
    row("POST", "/admin/catalog/import",                       "-    -  -    -    -    -    -   a   -", upload=CSV),
    row("POST", "/admin/catalog/add",                          "-    -  -    -    -    -    -   a   -", form=CATEGORY),
    row("GET", "/admin/catalog/views",                         "-    -  r    -    -    -    -   r   -"),
    row("GET", "/admin/catalog/views/export",                  "-    -  r    -    -    -    -   r   -"),
    row("POST", "/admin/catalog/views/import",                 "-    -  -    -    -    -    -   a   -", upload=CSV),
    row("POST", "/admin/catalog/views",                        "-    -  -    -    -    -    -   a   -",
        form={"code": "S1-B", "name": "积玉桥街 B 类清单", "unit_id": "{street_id}"}),
    row("GET", "/admin/catalog/views/{code}",                  "-    -  r    -    -    -    -   r   -",
        "/admin/catalog/views/{view}"),
    row("POST", "/admin/catalog/views/{code}",                 "-    -  -    -    -    -    -   a   -",
        "/admin/catalog/views/{view}", form={"name": "积玉桥街 A 类清单"}),
    row("POST", "/admin/catalog/views/{code}/items",           "-    -  -    -    -    -    -   a   -",
        "/admin/catalog/views/{view}/items", form={"section": "市容", "item": "占道经营", "category_code": "{category}",
                                                  "grade": "A"}),
    row("POST", "/admin/catalog/views/{code}/items/{item_id}", "-    -  -    -    -    -    -   a   -",
        "/admin/catalog/views/{view}/items/{item_id}", form={"item": "占道经营"}),
    row("GET", "/admin/catalog/{code}",                        "-    -  -    -    -    -    -   r   -",
        "/admin/catalog/{category}"),
    row("POST", "/admin/catalog/{code}",                       "-    -  -    -    -    -    -   a   -",
        "/admin/catalog/{category}", form={"keywords": "无人机"}),
    row("POST", "/admin/catalog/{code}/retire",                "-    -  -    -    -    -    -   a   -",
        "/admin/catalog/{spare}/retire"),
    row("POST", "/admin/catalog/{code}/restore",               "-    -  -    -    -    -    -   a   -",
        "/admin/catalog/{spare}/restore"),
    row("GET", "/admin/matrix",                                "-    -  r    -    -    -    -   r   -"),
    row("GET", "/admin/matrix/try",                            "-    -  r    -    -    -    -   r   -",
        "/admin/matrix/try?try_category={category}"),
    row("GET", "/admin/matrix/check",                          "-    -  r    -    -    -    -   r   -"),
    row("POST", "/admin/matrix/rules",                         "-    -  -    -    -    -    -   a   -",
        form={"category_code": "{category}", "owner_unit_id": "{street_id}"}),
    row("GET", "/admin/matrix/rules/{rule_id}",                "-    -  r    -    -    -    -   r   -"),
    row("POST", "/admin/matrix/rules/{rule_id}",               "-    -  -    -    -    -    -   a   -",
        form={"category_code": "{category}", "owner_unit_id": "{street_id}", "note": "联席会议纪要"}),
    row("POST", "/admin/matrix/rules/{rule_id}/active",        "-    -  -    -    -    -    -   a   -",
        form={"active": "true"}),
    # ------------------------------------------------------------------------- pages: dispatch
    row("GET", "/street",                                      "-    -  -    -    -    -    -   -   r"),
    row("POST", "/street/settings",                            "-    -  -    -    -    -    -   -   a",
        form={"sub_centre": "on", "review_inner_replies": "on"}),
    row("GET", "/dispatch",                                    "-    r  r    -    -    -    r   r   -"),
    row("GET", "/dispatch/quality",                            "-    r  r    -    -    r    r   r   -"),
    row("GET", "/dispatch/units",                              "-    r  r    -    -    r    r   r   -"),
    row("GET", "/dispatch/units/{unit_id}",                    "-    r  r    -    -    r    r   r   -",
        "/dispatch/units/{street_id}"),
    row("GET", "/dispatch/orders/{number}/proposal",           "-    r  r    -    -    -    r   r   -",
        "/dispatch/orders/{number}/proposal?category_code={category}"),
    # ------------------------------------------------------------------------- pages: messages
    row("GET", "/inbox",                                       "-    r  r    r    r    r    r   r   r"),
    row("GET", "/inbox/badge",                                 "-    r  r    r    r    r    r   r   r"),
    row("POST", "/inbox/{message_id}/read",                    "-    a  a    a    a    a    a   a   -"),
    row("POST", "/inbox/read-all",                             "-    a  a    a    a    a    a   a   a"),
    row("GET", "/admin/notify",                                "-    -  -    -    -    -    -   r   -"),
    row("POST", "/admin/notify/messages/{message_id}/resend",  "-    -  -    -    -    -    -   a   -"),
    row("GET", "/admin/notify/templates",                      "-    -  -    -    -    -    -   r   -"),
    row("GET", "/admin/notify/templates/{key}",                "-    -  -    -    -    -    -   r   -",
        "/admin/notify/templates/{template}"),
    row("POST", "/admin/notify/templates/{key}",               "-    -  -    -    -    -    -   a   -",
        "/admin/notify/templates/{template}", form={"subject": "派单", "body": "工单已派发", "sms": "工单已派发"}),
    row("POST", "/admin/notify/templates/{key}/preview",       "-    -  -    -    -    -    -   a   -",
        "/admin/notify/templates/{template}/preview", form={"subject": "派单", "body": "工单", "sms": "工单"}),
    row("POST", "/admin/notify/templates/{key}/reset",         "-    -  -    -    -    -    -   a   -",
        "/admin/notify/templates/{template}/reset"),
    row("GET", "/admin/notify/roster",                         "-    -  -    -    -    -    -   r   -"),
    row("POST", "/admin/notify/roster",                        "-    -  -    -    -    -    -   a   -",
        form={"user_id": "{leader_id}", "starts_at": "2026-12-01T08:00", "ends_at": "2026-12-01T18:00"}),
    row("POST", "/admin/notify/roster/{shift_id}/delete",      "-    -  -    -    -    -    -   a   -"),
    row("GET", "/admin/notify/webhooks",                       "-    -  -    -    -    -    -   r   -"),
    row("POST", "/admin/notify/webhooks",                      "-    -  -    -    -    -    -   a   -",
        form={"url": "https://example.org/hook", "events": "*"}),
    row("POST", "/admin/notify/webhooks/{subscription_id}/pause", "-    -  -    -    -    -    -   a   -"),
    row("POST", "/admin/notify/webhooks/{subscription_id}/resume", "-    -  -    -    -    -    -   a   -"),
    row("POST", "/admin/notify/webhooks/{subscription_id}/test", "-    -  -    -    -    -    -   a   -"),
    row("POST", "/admin/notify/webhooks/{subscription_id}/delete", "-    -  -    -    -    -    -   a   -"),
    # ------------------------------------------------------------------------- pages: evaluation
    row("GET", "/callbacks",                                   "-    -  r    -    -    r    r   r   -"),
    row("GET", "/callbacks/{number}",                          "-    -  r    -    -    r    r   r   -",
        "/callbacks/{callback}"),
    # The sheet is open to those who watch callbacks; the callback itself is the transition table's (a reviewer's).
    row("POST", "/callbacks/{number}",                         "-    -  a    -    -    a    a   a   -",
        "/callbacks/{callback}", form={"reached": "false", "method": "phone", "expected_version": "{version}"}),
    row("GET", "/rankings",                                    "-    r  r    r    r    r    r   r   r"),
    row("GET", "/rankings/export",                             "-    r  r    r    r    r    r   r   r"),
    row("GET", "/dissatisfied",                                "-    -  r    r    r    r    r   r   r"),
    row("GET", "/dissatisfied/export",                         "-    -  r    r    r    r    r   r   r"),
    row("GET", "/threads",                                     "-    -  r    r    r    r    r   r   r"),
    row("GET", "/threads/{thread_id}",                         "-    r  r    r    r    r    r   r   r"),
    row("POST", "/threads/{thread_id}/standard-reply",         "-    -  a    -    -    -    a   -   -",
        form={"text": "已安排维修，请耐心等待。"}),
    row("GET", "/bulletins",                                   "-    r  r    r    r    r    r   r   r"),
    # A month not over: the makers get a 422, not a second archived bulletin per role.
    row("POST", "/bulletins",                                  "-    -  a    -    -    -    -   a   -",
        form={"period": "2026-12"}),
    row("GET", "/bulletins/{period}.pdf",                      "-    r  r    r    r    r    r   r   r"),
    row("GET", "/bulletins/{period}.xlsx",                     "-    r  r    r    r    r    r   r   r"),
    row("GET", "/bulletins/{period}",                          "-    r  r    r    r    r    r   r   r"),
    row("GET", "/people",                                      "-    r  r    r    r    r    r   r   r"),
    row("POST", "/people/rounds",                              "-    -  -    -    a    -    -   -   -",
        form={"kind": "patrol", "note": "巡查和平社区"}),
    # ------------------------------------------------------------------------- pages: the grid worker's desk
    row("GET", "/grid",                                        "-    -  -    -    r    -    -   -   -"),
    row("GET", "/grid/report",                                 "-    -  -    -    r    -    -   -   -"),
    row("POST", "/grid/patrols",                               "-    -  -    -    a    -    -   -   -"),
    row("POST", "/grid/patrols/{round_id}/points",             "-    -  -    -    a    -    -   -   -",
        "/grid/patrols/{patrol_id}/points", form={"latitude": "30.5526", "longitude": "114.3053"}),
    row("POST", "/grid/patrols/{round_id}/end",                "-    -  -    -    a    -    -   -   -",
        "/grid/patrols/{patrol_id}/end", form={"note": "巡查完毕"}),
    row("POST", "/grid/visits",                                "-    -  -    -    a    -    -   -   -",
        form={"household": "3栋2单元401", "note": "走访"}),
    row("POST", "/grid/report",                                "-    -  -    -    a    -    -   -   -",
        form={**ORDER_FORM, "type": "report"}),
    # ------------------------------------------------------------------------- pages: knowledge
    row("GET", "/knowledge",                                   "-    r  r    r    r    r    r   r   r",
        "/knowledge?q=低保"),
    row("GET", "/knowledge/new",                               "-    -  r    -    -    -    -   r   -"),
    row("POST", "/knowledge",                                  "-    -  a    -    -    -    -   a   -",
        form={"kind": "answer", "title": "测试条目", "body": "测试正文"}),
    row("GET", "/knowledge/import",                            "-    -  r    -    -    -    -   r   -"),
    row("POST", "/knowledge/import",                           "-    -  a    -    -    -    -   a   -",
        form={"kind": "law"}),
    row("GET", "/knowledge/{article_id}",                      "-    r  r    r    r    r    r   r   r"),
    row("GET", "/knowledge/{article_id}/edit",                 "-    -  r    -    -    -    -   r   -"),
    row("POST", "/knowledge/{article_id}",                     "-    -  a    -    -    -    -   a   -",
        form={"kind": "answer", "title": "测试条目", "body": "修改后的正文"}),
    row("POST", "/knowledge/{article_id}/state",               "-    -  a    -    -    -    -   a   -",
        form={"state": "published"}),
    row("GET", "/orders/{number}/knowledge",                   "-    r  r    r    r    r    r   r   r"),
    row("POST", "/orders/{number}/guiding-case",               "-    -  a    -    -    -    -   a   -",
        form={"summary": "这类诉求的症结和办法"}),
    # ------------------------------------------------------------------------- pages: problems of the month
    row("GET", "/topics",                                      "-    r  r    r    r    r    r   r   r"),
    row("GET", "/topics/new",                                  "-    -  r    -    -    r    -   r   -"),
    row("POST", "/topics",                                     "-    -  a    -    -    a    -   a   -",
        form={"title": "路灯不亮", "owner_unit_id": "{street_id}", "keywords": "路灯"}),
    row("GET", "/topics/{topic_id}",                           "-    r  r    r    r    r    r   r   r"),
    row("POST", "/topics/{topic_id}/notes",                    "-    -  a    a    -    a    -   a   a",
        form={"text": "已约谈施工单位"}),
    row("POST", "/topics/{topic_id}/state",                    "-    -  a    -    -    a    -   a   -",
        form={"state": "done"}),
    # ------------------------------------------------------------------------- pages: the chiefs (四长)
    row("GET", "/chiefs",                                      "-    r  r    r    r    r    r   r   r"),
    row("GET", "/chiefs/{post_id}",                            "-    r  r    -    -    r    r   r   -"),
    row("POST", "/chiefs/{post_id}/duties",                    "-    -  -    -    -    -    -   a   -",
        form={"category": "{category}"}),
    # ------------------------------------------------------------------------- pages: leaders' scheduling
    row("GET", "/scheduling",                                  "-    -  r    -    -    r    -   r   -"),
    row("GET", "/scheduling/new",                              "-    -  r    -    -    r    -   r   -"),
    row("POST", "/scheduling/meetings",                        "-    -  a    -    -    a    -   a   -",
        form={"week": "{week}", "held_on": "2026-11-30", "chair": "王强区长", "i0_text": "清理占道",
              "i0_unit": "{street_id}"}),
    row("GET", "/instructions",                                "-    r  r    r    r    r    r   r   r"),
    row("POST", "/instructions/{instruction_id}/acknowledge",  "-    -  -    a    -    -    -   -   a",
        form={"reply": "已安排"}),
    # ------------------------------------------------------------------------- pages: the dashboard
    row("GET", "/dashboard",                                   "-    r  r    r    r    r    r   r   r"),
    row("GET", "/dashboard/wall",                              "-    r  r    r    r    r    r   r   r"),
    row("GET", "/dashboard/export",                            "-    r  r    r    r    r    r   r   r",
        "/dashboard/export?section=category"),
    # ------------------------------------------------------------------------- pages: early warning
    row("GET", "/warnings",                                    "-    -  r    r    -    r    -   r   -"),
    row("POST", "/warnings/{warning_id}/acknowledge",          "-    -  a    a    -    a    -   a   -", form={}),
    row("POST", "/warnings/{warning_id}/task",                 "-    -  a    a    -    a    -   a   -",
        form={"unit_id": "{street_id}", "due_on": "{due_on}", "note": "排查雨水口"}),
    row("POST", "/warnings/{warning_id}/dismiss",              "-    -  a    a    -    a    -   a   -",
        form={"reason": "同一事件的重复来电"}),
    row("POST", "/warnings/policy",                            "-    -  -    -    -    -    -   a   -",
        form={"alpha": "0.001"}),
    # ------------------------------------------------------------------------- pages: the doors
    row("GET", "/console",                                     "-    r  r    -    -    -    -   -   -"),
    row("GET", "/console/caller",                              "-    r  r    -    -    -    -   -   -",
        "/console/caller?phone=13812345678"),
    row("POST", "/console/preview",                            "-    a  a    -    -    -    -   -   -",
        form={"title": "楼道灯不亮", "content": "和平社区5栋楼道灯坏了一周。"}),
    row("POST", "/console",                                    "-    a  a    -    -    -    -   -   -",
        form=ORDER_FORM),
    row("GET", "/qr",                                          "-    r  r    r    r    r    r   r   r"),
    row("GET", "/board/moderation",                            "-    r  r    -    -    -    r   r   -"),
    row("POST", "/board/moderation/{order_id}/publish",        "-    a  a    -    -    -    a   a   -",
        "/board/moderation/{pending_id}/publish"),
    row("POST", "/board/moderation/{order_id}/hold",           "-    a  a    -    -    -    a   a   -",
        "/board/moderation/{pending_id}/hold", form={"reason": "含个人信息"}),
    row("GET", "/admin/systems",                               "-    -  -    -    -    -    -   r   -"),
    row("POST", "/admin/systems",                              "-    -  -    -    -    -    -   a   -",
        form={"code": "city12345", "name": "市12345平台", "channel": "api"}),
    row("POST", "/admin/systems/{system_id}/key",              "-    -  -    -    -    -    -   a   -"),
    row("POST", "/admin/systems/{system_id}/disable",          "-    -  -    -    -    -    -   a   -"),
    row("POST", "/admin/systems/{system_id}/enable",           "-    -  -    -    -    -    -   a   -"),
    row("GET", "/admin/open311",                               "-    -  -    -    -    -    -   r   -"),
    row("POST", "/admin/open311/keys",                         "-    -  -    -    -    -    -   a   -",
        form={"name": "第三方应用"}),
    row("POST", "/admin/open311/keys/{key_id}/rate",           "-    -  -    -    -    -    -   a   -",
        form={"per_minute": "30"}),
    row("POST", "/admin/open311/keys/{key_id}/revoke",         "-    -  -    -    -    -    -   a   -"),
    row("POST", "/admin/open311/services",                     "-    -  -    -    -    -    -   a   -",
        form={"category_code": "{category}", "code": "drone"}),
    row("GET", "/admin/open311/services/{code}",               "-    -  -    -    -    -    -   r   -",
        "/admin/open311/services/{service}"),
    row("POST", "/admin/open311/services/{code}/attributes",   "-    -  -    -    -    -    -   a   -",
        "/admin/open311/services/{service}/attributes",
        form={"attribute_code": "floor", "datatype": "string", "description": "几楼？"}),
    row("POST", "/admin/open311/services/{code}/attributes/{attribute_id}/delete",
        "-    -  -    -    -    -    -   a   -", "/admin/open311/services/{service}/attributes/{attribute_id}/delete"),
    row("POST", "/admin/open311/services/{code}/unpublish",    "-    -  -    -    -    -    -   a   -",
        "/admin/open311/services/{service}/unpublish"),
    row("POST", "/admin/open311/services/{code}/republish",    "-    -  -    -    -    -    -   a   -",
        "/admin/open311/services/{service}/republish"),
    # ------------------------------------------------------------------------- the residents' pages
    #                                                          anon op disp hand grid lead rev adm str
    row("GET", "/public/report",                               "r    r  r    r    r    r    r   r   r"),
    row("POST", "/public/report",                              "a    a  a    a    a    a    a   a   a",
        form={"type": "complaint", "title": "噪音", "content": "夜间施工"}),
    row("GET", "/public/track",                                "r    r  r    r    r    r    r   r   r"),
    row("POST", "/public/track",                               "a    a  a    a    a    a    a   a   a",
        form={"number": "{callback}", "phone_last4": "5678"}),
    row("GET", "/public/track/{number}/{code}",                "r    r  r    r    r    r    r   r   r",
        "/public/track/{track}"),
    row("GET", "/public/map/{layer}.geojson",                  "r    r  r    r    r    r    r   r   r",
        "/public/map/streets.geojson"),
    row("POST", "/public/photos",                              "a    a  a    a    a    a    a   a   a", upload=PHOTO),
    row("GET", "/public/photos/{token}",                       "r    r  r    r    r    r    r   r   r",
        "/public/photos/{photo}"),
    row("POST", "/public/photos/{token}/remove",               "a    a  a    a    a    a    a   a   a",
        "/public/photos/{photo}/remove"),
    row("GET", "/public/mine",                                 "r    r  r    r    r    r    r   r   r"),
    row("POST", "/public/mine/code",                           "a    a  a    a    a    a    a   a   a",
        form={"phone": "13655556666"}),
    row("POST", "/public/mine/verify",                         "a    a  a    a    a    a    a   a   a",
        form={"phone": "13655556666", "code": "000000"}),
    # Without a proven phone: back to the form that asks for one.
    row("GET", "/public/mine/{number}",                        "r    r  r    r    r    r    r   r   r"),
    row("POST", "/public/mine/leave",                          "a    a  a    a    a    a    a   a   a"),
    row("GET", "/public/board",                                "r    r  r    r    r    r    r   r   r"),
    row("GET", "/public/board/{number}",                       "r    r  r    r    r    r    r   r   r",
        "/public/board/{board}"),
    row("POST", "/public/board/{number}/support",              "a    a  a    a    a    a    a   a   a",
        "/public/board/{board}/support"),
    row("GET", "/r/{token}",                                   "r    r  r    r    r    r    r   r   r", "/r/{rating}"),
    row("POST", "/r/{token}",                                  "a    a  a    a    a    a    a   a   a", "/r/{rating}",
        form={"resolution": "resolved", "satisfaction": "satisfied"}),
    # ------------------------------------------------------------------------- Open311: a client's key
    row("GET", "/open311/v2/{path:path}",                      "r    r  r    r    r    r    r   r   r",
        "/open311/v2/services.json"),
    row("POST", "/open311/v2/{path:path}",                     "-    -  -    -    -    -    -   -   -",
        "/open311/v2/requests.json", form={"service_code": "{service}", "description": "路灯不亮",
                                          "lat": "30.56", "long": "114.30"}),
    # ------------------------------------------------------------------------- the house
    row("GET", "/healthz",                                     "r    r  r    r    r    r    r   r   r"),
    row("GET", "/docs",                                        "r    r  r    r    r    r    r   r   r"),
    row("GET", "/openapi.json",                                "r    r  r    r    r    r    r   r   r"),
    row("GET", "/static",                                      "r    r  r    r    r    r    r   r   r",
        "/static/favicon.svg"),
)
