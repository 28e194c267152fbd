"""JSON routes of the problems of the month (每月一题)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from minhu.org.auth import ApiUser
from minhu.topics import queries, service
from minhu.topics.schemas import TopicBrief, TopicCreate, TopicNoteCreate, TopicRead, TopicStateChange
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["每月一题"], route_class=FormRoute)
TopicId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/topics", response_model=list[TopicBrief], responses=ERRORS(401, 422))
def list_topics(user: ApiUser, db: DB,
                month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="设立月份 YYYY-MM")] = None
                ) -> list[TopicBrief]:
    with db.read() as session:
        return queries.list_topics(session, month=month)


@router.post("/topics", response_model=TopicRead, status_code=201, responses=ERRORS(401, 403, 422))
def create_topic(body: TopicCreate, user: ApiUser, db: DB) -> TopicRead:
    """Take up a problem of the month: its rule gathers the orders named, those of the last 30 days (unless
    ``link_recent`` is false) and every new one."""
    with db.transaction() as session:
        topic_id = service.create_topic(session, body, actor=user).id
    with db.read() as session:
        return queries.read_topic(session, topic_id, viewer=user)


@router.get("/topics/{topic_id}", response_model=TopicRead, responses=ERRORS(401, 404, 422))
def get_topic(topic_id: TopicId, user: ApiUser, db: DB) -> TopicRead:
    """One topic: its rule, orders, notes, and its orders week by week before and after it was taken up."""
    with db.read() as session:
        return queries.read_topic(session, topic_id, viewer=user)


@router.post("/topics/{topic_id}/notes", response_model=TopicRead, status_code=201,
             responses=ERRORS(401, 403, 404, 422))
def add_note(topic_id: TopicId, body: TopicNoteCreate, user: ApiUser, db: DB) -> TopicRead:
    with db.transaction() as session:
        service.add_note(session, topic_id, body.text, actor=user)
    with db.read() as session:
        return queries.read_topic(session, topic_id, viewer=user)


@router.post("/topics/{topic_id}/state", response_model=TopicRead, responses=ERRORS(401, 403, 404, 409, 422))
def change_state(topic_id: TopicId, body: TopicStateChange, user: ApiUser, db: DB) -> TopicRead:
    with db.transaction() as session:
        service.set_state(session, topic_id, body.state, actor=user)
    with db.read() as session:
        return queries.read_topic(session, topic_id, viewer=user)
