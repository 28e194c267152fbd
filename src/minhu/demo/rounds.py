"""The demo grid workers' patrols (巡查) and household visits (入户走访) over the same year as the archived
orders, a few a week each, some workers keener than others; written with one bulk insert."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import Base
from minhu.demo.staff import Staff
from minhu.people.models import GridRound, RoundKind

SEED = 20251202
# Per worker and working day, before the worker's own zeal: patrols, visits.
PER_DAY = {RoundKind.PATROL: 0.5, RoundKind.VISIT: 0.3}
NOTES = {RoundKind.PATROL: ("例行巡查，未发现问题", "巡查发现占道经营，已劝离", "巡查发现楼道堆物，已通知清理",
                            "巡查小区消防通道，畅通", "巡查发现垃圾堆积，已上报", "夜间巡查，治安良好"),
         RoundKind.VISIT: ("走访独居老人，身体状况良好", "入户宣传防诈骗知识", "走访困难家庭，了解救助需求",
                           "走访新入住住户，登记信息", "入户排查电动车充电隐患", "走访楼栋长，收集居民意见")}
_ROUNDS = Base.metadata.tables[GridRound.__tablename__]


def build_rounds(session: Session, staff: Staff, *, first: date, last: date) -> int:
    """Rounds of every grid worker with an account, on working days from ``first`` to ``last``; returns how
    many."""
    rng = random.Random(SEED)
    tz = clock.city_tz()
    rows = []
    for grid_id, worker in sorted(staff.grid_workers.items()):
        zeal = rng.uniform(0.4, 1.6)
        day = first
        while day <= last:
            if day.weekday() < 5:
                for kind, rate in PER_DAY.items():
                    if rng.random() < rate * zeal:
                        at = datetime.combine(day, time(rng.randint(8, 17), rng.randrange(60)), tz)
                        rows.append({"worker_id": worker.id, "grid_id": grid_id, "kind": kind, "at": at,
                                     "note": rng.choice(NOTES[kind]), "created_at": at + timedelta(minutes=30),
                                     "ended_at": at, "household": ""})
            day += timedelta(days=1)
    if rows:
        session.execute(insert(_ROUNDS), rows)
    return len(rows)
