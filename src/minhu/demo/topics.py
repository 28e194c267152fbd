"""The demo city's problem of the month: construction noise, which the year's orders show climbing each summer
and still coming in — taken up by the district's environment bureau when the demo is loaded."""

from __future__ import annotations

from sqlalchemy.orm import Session

from minhu.org.models import Unit, User
from minhu.topics import service
from minhu.topics.schemas import TopicCreate

NOISE = "020101"  # 施工噪音


def seed(session: Session, units: dict[str, Unit], leader: User) -> int:
    topic = service.create_topic(session, TopicCreate(
        title="建筑施工噪音扰民", owner_unit_id=units["420106-D-环保"].id, category_codes=[NOISE],
        description="施工噪音投诉夏季成倍增长，入冬后仍每周不断，多集中在夜间施工和周末施工。",
        target="夜间施工噪音投诉降到每周 2 件以下；所有夜间施工公示证明", link_recent=True), actor=leader)
    service.add_note(session, topic.id, "已会同住建部门梳理在建工地清单，逐一核查夜间施工证明。", actor=leader)
    return topic.id
