"""Weeks of orders planted straight into the table, by community, category and week, for the early-warning tests."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

from minhu.core import clock
from minhu.core.db import Database
from minhu.warning import scan
from tests.factories import TEST_START, World, insert_archived

# The week every test scans: the suite's clock starts on its Monday; scans run on its Thursday evening.
WEEK = TEST_START.date()
THURSDAY = TEST_START + timedelta(days=3, hours=12)
BACKGROUND = "080101"  # 占道经营: the city's steady trickle, so every week has data
DRAINS = "080304"  # 排水与渍水 → cell 0803
HEATING = "010205"  # 供暖 → cell 0102
_numbers = itertools.count(1)


def week_of(offset: int) -> date:
    """The Monday ``offset`` weeks before the scanned week (0: the scanned week)."""
    return WEEK - timedelta(weeks=offset)


def plant(db: Database, world: World, *, week: date, category: str, n: int, community: Any = None,
          **fields: Any) -> list[int]:
    """``n`` orders of ``category`` in ``community`` (the world's), spread over Monday to Wednesday of ``week``."""
    community = community or world.community
    ids = []
    with db.transaction() as s:
        for i in range(n):
            created = datetime.combine(week + timedelta(days=i % 3), time(9 + i % 8), clock.city_tz())
            ids.append(insert_archived(s, number=f"WT{next(_numbers):010d}", owner_unit_id=world.street.id,
                                       closed_at=created + timedelta(days=3), created_at=created,
                                       community_id=community.id, street_id=world.street.id, category_code=category,
                                       title=f"测试诉求{i}", **fields))
    return ids


def plant_background(db: Database, world: World, weeks: range, *, per_week: int = 2) -> None:
    for offset in weeks:
        plant(db, world, week=week_of(offset), category=BACKGROUND, n=per_week)


def run_scan(db: Database, **options: Any) -> scan.ScanResult:
    with clock.frozen(THURSDAY), db.transaction() as s:
        return scan.scan(s, **options)
