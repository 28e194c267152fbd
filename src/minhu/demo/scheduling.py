"""The demo's scheduling meeting (调度会) of the current week: the district leader's instructions (批示) on the joint
order a department has not reported to, to that department, and to 积玉桥街 — which has already received its own —
so that 本周调度 shows every state when the demo is loaded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.orders.models import WorkOrder
from minhu.org.models import Unit, User
from minhu.scheduling import service
from minhu.scheduling.schemas import MeetingCreate
from minhu.scheduling.weeks import this_week

JOINT_ORDER = "餐馆油烟直排并占道经营"  # the dispatch story's order whose whistle 区市场监管局 has not answered


def seed(session: Session, *, street: Unit, department: Unit, leader: User, handler: User) -> int:
    week = this_week()
    number = session.scalars(select(WorkOrder.number).where(WorkOrder.title == JOINT_ORDER)
                             .order_by(WorkOrder.id)).first()
    today = clock.city_now().date()
    meeting = service.record_meeting(session, MeetingCreate.model_validate({
        "week": week.key, "held_on": week.monday.isoformat(), "chair": leader.full_name.split()[-1] + "区长",
        "notes": "听取本周红灯工单和吹哨报到情况汇报，研究临江社区餐馆油烟和和平大道夜间施工两件难事。",
        "instructions": [
            {"text": "油烟和占道要一并解决，城管、市监联合执法，本周内办结并回复市民", "order_number": number,
             "due_on": (today + timedelta(days=3)).isoformat()},
            {"text": "吹哨必须报到：明天上午到临江社区现场报到，与城管联合整治餐馆油烟", "unit_id": department.id,
             "due_on": (today + timedelta(days=1)).isoformat()},
            {"text": "和平大道沿线夜间施工投诉集中，本周内约谈在建工地，周五前报整改结果", "unit_id": street.id,
             "due_on": (today + timedelta(days=4)).isoformat()},
        ]}), actor=leader)
    received = meeting.instructions[-1]
    service.acknowledge(session, received.id, actor=handler, reply="已通知三家在建工地，周四上午集中约谈")
    return meeting.id
