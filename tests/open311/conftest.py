"""An Open311 world: the catalog, the demo's services and questions, and a client key."""

from __future__ import annotations

import pytest

from minhu.core.db import Database
from minhu.demo.city import DEMO_OPEN311_KEY, build_open311
from minhu.routing import catalog
from tests.factories import World

KEY = DEMO_OPEN311_KEY
BASE = "/open311/v2"


@pytest.fixture
def services(db: Database, world: World) -> World:
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
        build_open311(s)
    return world
