"""The problems of the month's pages: the list, taking one up (from a hot issue or by hand), and a topic with
its before-and-after chart, orders and notes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from minhu.core.errors import DomainError, InvalidInput
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import Unit, User
from minhu.org.roles import UnitKind
from minhu.routing.categories import active_choices
from minhu.topics import permissions, queries, service
from minhu.topics.models import TOPIC_STATE_LABELS, TopicState
from minhu.topics.schemas import TopicCreate, TopicNoteCreate
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.forms import validated
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
TopicId = Annotated[int, Path(ge=1, le=2_147_483_647)]
LABELS = {"title": "题目", "description": "说明", "owner_unit_id": "牵头单位", "target": "目标", "deadline": "完成时限",
          "keywords": "关键词", "category_codes": "分类", "place_unit_id": "地区", "order_numbers": "工单"}
OWNER_KINDS = (UnitKind.DEPARTMENT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.CENTRE, UnitKind.DISTRICT)
PLACE_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)


def _split(text: str) -> list[str]:
    return [w for w in text.replace("，", " ").replace(",", " ").replace("、", " ").split() if w]


@router.get("/topics")
def topics_page(request: Request, user: PageUser, db: DB) -> Response:
    with db.read() as session:
        topics = queries.list_topics(session)
    return render(request, "topics/list.html", user=user, csrf=csrf_token(request), topics=topics,
                  may_keep=permissions.may_keep(user), flashes=pop_flashes(request))


def _form_page(request: Request, user: User, db: DB, form: dict[str, str], error: str = "",
               status_code: int = 200) -> Response:
    with db.read() as session:
        units = session.execute(select(Unit.id, Unit.name, Unit.kind).where(Unit.active.is_(True))
                                .order_by(Unit.code)).all()
        categories = active_choices(session)
    return render(request, "topics/new.html", status_code=status_code, user=user, csrf=csrf_token(request),
                  form=form, error=error, categories=categories,
                  owners=[(i, n) for i, n, k in units if k in OWNER_KINDS],
                  places=[(i, n) for i, n, k in units if k in PLACE_KINDS])


@router.get("/topics/new")
def new_topic(request: Request, user: PageUser, db: DB, title: Annotated[str, Query(max_length=200)] = "",
              keywords: Annotated[str, Query(max_length=400)] = "",
              orders: Annotated[str, Query(max_length=20_000)] = "") -> Response:
    """The form, filled in from a hot issue when it sends its title, words and orders."""
    permissions.check_keeper(user)
    return _form_page(request, user, db, {"title": title, "keywords": keywords, "order_numbers": orders,
                                          "link_recent": "on"})


@router.post("/topics", dependencies=[CsrfProtected])
async def create_topic(request: Request, user: PageUser, db: DB) -> Response:
    permissions.check_keeper(user)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    values: dict[str, Any] = {k: form.get(k, "") for k in ("title", "description", "target")}
    values["owner_unit_id"] = form.get("owner_unit_id") or None
    values["place_unit_id"] = form.get("place_unit_id") or None
    values["deadline"] = form.get("deadline") or None
    values["keywords"] = _split(form.get("keywords", ""))
    values["category_codes"] = _split(form.get("category_codes", ""))
    values["order_numbers"] = _split(form.get("order_numbers", ""))
    values["link_recent"] = form.get("link_recent") == "on"
    try:
        data = validated(TopicCreate, values, LABELS)
        with db.transaction() as session:
            topic_id = service.create_topic(session, data, actor=user).id
    except DomainError as exc:
        if exc.status not in (404, 409, 422):
            raise
        return _form_page(request, user, db, form, exc.message, exc.status)
    flash(request, "已设立每月一题")
    return RedirectResponse(f"/topics/{topic_id}", status_code=303)


@router.get("/topics/{topic_id}")
def topic_page(request: Request, user: PageUser, db: DB, topic_id: TopicId) -> Response:
    with db.read() as session:
        topic = queries.read_topic(session, topic_id, viewer=user)
        owned = service.get_topic(session, topic_id)
        may_note = permissions.may_note(user, owned)
    chart = {"weeks": [w.week.isoformat() for w in topic.weekly], "orders": [w.orders for w in topic.weekly],
             "taken": next((w.week.isoformat() for w in topic.weekly if w.after), None)}
    return render(request, "topics/topic.html", user=user, csrf=csrf_token(request), topic=topic, chart=chart,
                  may_keep=permissions.may_keep(user), may_note=may_note, states=TOPIC_STATE_LABELS,
                  flashes=pop_flashes(request))


@router.post("/topics/{topic_id}/notes", dependencies=[CsrfProtected])
async def add_note(request: Request, user: PageUser, db: DB, topic_id: TopicId) -> Response:
    text = str((await request.form()).get("text", ""))
    try:
        data = validated(TopicNoteCreate, {"text": text}, {"text": "进展"})
        with db.transaction() as session:
            service.add_note(session, topic_id, data.text, actor=user)
    except InvalidInput as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, "已记录进展")
    return RedirectResponse(f"/topics/{topic_id}", status_code=303)


@router.post("/topics/{topic_id}/state", dependencies=[CsrfProtected])
async def change_state(request: Request, user: PageUser, db: DB, topic_id: TopicId) -> Response:
    permissions.check_keeper(user)
    wanted = str((await request.form()).get("state", ""))
    if wanted not in TopicState.__members__.values():
        raise InvalidInput("请选择状态", details=[{"field": "state", "message": "取值无效"}])
    try:
        with db.transaction() as session:
            service.set_state(session, topic_id, TopicState(wanted), actor=user)
    except DomainError as exc:
        if exc.status != 409:
            raise
        flash(request, exc.message, "error")
    else:
        flash(request, {"done": "此题已完成", "dropped": "此题已撤销", "active": "此题已重新推进"}[wanted])
    return RedirectResponse(f"/topics/{topic_id}", status_code=303)
