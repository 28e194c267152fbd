"""A street's own item lists (catalog views): their grades replace the catalog's for orders standing in that
street, they travel as a versioned CSV, and administrators edit them in the console."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from minhu.core.db import Database
from minhu.routing import catalog
from minhu.routing import service as routing
from minhu.routing.models import CatalogView, CatalogViewItem, Grade
from tests.factories import World


@pytest.fixture
def catalogued(db: Database) -> Database:
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    routing.forget_routing()
    return db


def add_view(db: Database, world: World, *items: tuple[str, str, str, Grade], code: str = "S2-A",
             name: str = "水果湖街 A 类清单") -> None:
    """A list of ``world.other_street`` (水果湖街) with (section, item, category code, grade) items."""
    with db.transaction() as s:
        view = CatalogView(code=code, name=name, unit_id=world.other_street.id, source="街道清单")
        view.items = [CatalogViewItem(section=section, item=item, category_code=code_, grade=grade)
                      for section, item, code_, grade in items]
        s.add(view)
    routing.forget_routing()


def grade_in(db: Database, street, title: str, content: str) -> tuple[Grade, tuple[str, ...]]:
    with db.read() as s:
        routed = routing.route(s, title=title, content=content, street=street, community=None, place=street)
    return routed.grade.grade, routed.grade.reasons


# Keywords of 090203 楼道堆物 (default A) and 080101 垃圾清运 (default B) in the packaged catalog.
CLUTTER = ("楼道堆放杂物", "楼道里堆满杂物，堵塞通道。")
RUBBISH = ("垃圾清运不及时", "小区垃圾桶满了没人清运，垃圾站两天没有清运。")


def test_a_street_list_sets_the_grade_in_that_street_only_and_says_so(catalogued, world):
    add_view(catalogued, world, ("一般事件", "楼道堆物影响通行", "090203", Grade.B),
             ("简易事件", "生活垃圾清运", "080101", Grade.A))
    here_clutter = grade_in(catalogued, world.other_street, *CLUTTER)
    elsewhere_clutter = grade_in(catalogued, world.street, *CLUTTER)
    here_rubbish = grade_in(catalogued, world.other_street, *RUBBISH)
    elsewhere_rubbish = grade_in(catalogued, world.street, *RUBBISH)
    assert here_clutter == (Grade.B, ("水果湖街 A 类清单“楼道堆物影响通行”定为 B 级",))  # raised from A
    assert here_rubbish == (Grade.A, ("水果湖街 A 类清单“生活垃圾清运”定为 A 级",))  # lowered from B
    assert elsewhere_clutter == (Grade.A, ("分类“楼道堆物”默认 A 级",))
    assert elsewhere_rubbish[0] is Grade.B


def test_the_most_specific_item_wins_and_of_two_on_one_category_the_higher(catalogued, world):
    add_view(catalogued, world, ("消防安全类", "消防安全隐患", "0902", Grade.C),
             ("简易事件", "楼道堆物", "090203", Grade.A), ("一般事件", "楼道堆物（需执法）", "090203", Grade.B))
    grade, reasons = grade_in(catalogued, world.other_street, *CLUTTER)
    assert (grade, reasons[0]) == (Grade.B, "水果湖街 A 类清单“楼道堆物（需执法）”定为 B 级")


def test_the_other_grading_rules_still_raise_a_listed_grade(catalogued, world):
    add_view(catalogued, world, ("简易事件", "楼道堆物", "090203", Grade.A))
    grade, reasons = grade_in(catalogued, world.other_street, "楼道堆放杂物", "整栋楼的楼道里都堆满杂物。")
    assert grade is Grade.B
    assert reasons[0] == "水果湖街 A 类清单“楼道堆物”定为 A 级"
    assert "整栋" in reasons[1]


def test_an_inactive_list_grades_nothing(catalogued, world):
    add_view(catalogued, world, ("一般事件", "楼道堆物", "090203", Grade.B))
    with catalogued.transaction() as s:
        s.scalars(select(CatalogView)).one().active = False
        routing.forget_routing(s)
    assert grade_in(catalogued, world.other_street, *CLUTTER)[0] is Grade.A
    with catalogued.read() as s:
        assert s.scalar(select(func.count()).select_from(CatalogViewItem)) == 1
