"""A street's own item lists (catalog views): their grades replace the catalog's for orders standing in that
street, they travel as a versioned CSV, and administrators edit them in the console."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from minhu.cli import app
from minhu.core.db import Database
from minhu.core.errors import InvalidInput
from minhu.routing import service as routing
from minhu.routing import views
from minhu.routing.models import CatalogView, CatalogViewItem, Grade
from tests.factories import World
from tests.intake.test_pages import csrf_of, login


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


# --- the file ----------------------------------------------------------------------------------------

HEADER = "view_code,view_name,street_code,source,section,item,category_code,grade\n"
LISTS = HEADER + (
    "S2-A,水果湖街 A 类清单,S2,街道工委审定,简易事件,楼道堆物,090203,A\n"
    "S2-A,水果湖街 A 类清单,S2,街道工委审定,简易事件,“僵尸车”清理,030405,A\n"
    "S2-B,水果湖街 B 类清单,S2,街道工委审定,市容环境类,生活垃圾清运不及时,080101,B\n"
    "S2-B,水果湖街 B 类清单,S2,街道工委审定,消防安全类,楼道堆物（屡劝不改）,090203,B\n")


def test_a_lists_file_loads_and_exports_back_the_same(catalogued, world):
    with catalogued.transaction() as s:
        result = views.load_views(s, views.parse_views(s, LISTS.encode()))
    assert (result.views, result.items) == (2, 4)
    with catalogued.read() as s:
        assert views.export_views(s) == LISTS
    # Loading again replaces each listed view's items: one item dropped, none doubled.
    shorter = "\n".join(LISTS.splitlines()[:-1]) + "\n"
    with catalogued.transaction() as s:
        views.load_views(s, views.parse_views(s, shorter.encode("utf-8-sig")))
    with catalogued.read() as s:
        assert views.export_views(s) == shorter
    # The B list's clutter item is gone, so the A list decides again.
    assert grade_in(catalogued, world.other_street, *CLUTTER)[1][0] == "水果湖街 A 类清单“楼道堆物”定为 A 级"


def test_a_bad_lists_file_names_each_line_and_writes_nothing(catalogued, world):
    bad = HEADER + (
        "S2-A,水果湖街 A 类清单,S2,来源,简易事件,楼道堆物,090203,A\n"
        "S2-A,水果湖街 A 类清单,S2,来源,简易事件,楼道堆物,090203,B\n"      # 3: the same item twice
        "S2-A,水果湖街 A 类清单,S2,来源,简易事件,井盖,089999,A\n"          # 4: no such category
        "S2-A,水果湖街 A 类清单,S2,来源,简易事件,路灯,080303,E\n"          # 5: no such grade
        "S9-A,别的街 A 类清单,S9,来源,简易事件,路灯,080303,A\n"             # 6: no such street
        "D-A,部门清单,D1,来源,简易事件,路灯,080303,A\n"                    # 7: not a street
        "S2-A,水果湖街 甲类清单,S2,来源,简易事件,垃圾,080101,A\n")          # 8: the view renamed midway
    with catalogued.read() as s, pytest.raises(InvalidInput) as caught:
        views.parse_views(s, bad.encode())
    problems = {d["field"]: d["message"] for d in caught.value.details}
    assert list(problems) == [f"第 {n} 行" for n in range(3, 9)]
    assert "第 2 行" in problems["第 3 行"]
    assert problems["第 4 行"] == "分类 089999 不存在"
    assert problems["第 5 行"] == "grade：等级须为 A、B、C 或 D"
    assert problems["第 6 行"] == "街道 S9 不存在"
    assert "不是街道" in problems["第 7 行"]
    assert "与第 2 行不一致" in problems["第 8 行"]
    with catalogued.read() as s, pytest.raises(InvalidInput, match="GB18030"):
        views.parse_views(s, LISTS.encode("gb18030"))
    with catalogued.read() as s, pytest.raises(InvalidInput, match="表头"):
        views.parse_views(s, b"code,name\n")
    with catalogued.read() as s:
        assert s.scalar(select(func.count()).select_from(CatalogView)) == 0


# --- the pages -------------------------------------------------------------------------------------


def test_an_item_regraded_on_the_page_grades_the_next_order_and_dispatchers_only_read(catalogued, world, client):
    with catalogued.transaction() as s:
        views.load_views(s, views.parse_views(s, LISTS.encode()))
    login(client, world.dispatcher)
    page = client.get("/admin/catalog/views/S2-A")
    assert page.status_code == 200
    assert "交通运输 › 交通秩序与停车 › 僵尸车" in page.text
    assert 'class="row-edit"' not in page.text
    assert client.post("/admin/catalog/views/S2-A/items/1", data={"csrf_token": csrf_of(page.text)}).status_code == 403
    login(client, world.admin)
    page = client.get("/admin/catalog/views/S2-A")
    with catalogued.read() as s:
        item = s.scalars(select(CatalogViewItem).where(CatalogViewItem.item == "楼道堆物")).one()
    saved = client.post(f"/admin/catalog/views/S2-A/items/{item.id}", data={
        "csrf_token": csrf_of(page.text), "section": "简易事件", "item": "楼道堆物", "category_code": "090203",
        "grade": "C"})
    assert "已保存事项" in saved.text
    # The B list still says B for the same category, but the higher grade wins: C.
    assert grade_in(catalogued, world.other_street, *CLUTTER) == (Grade.C, ("水果湖街 A 类清单“楼道堆物”定为 C 级",))
    refused = client.post("/admin/catalog/views/S2-A/items", data={
        "csrf_token": csrf_of(page.text), "section": "简易事件", "item": "楼道堆物", "category_code": "090203",
        "grade": "A"})
    assert refused.status_code == 422
    assert "清单中已有事项“楼道堆物”" in refused.text
    login(client, world.handler)
    assert client.get("/admin/catalog/views").status_code == 403


def test_a_lists_file_uploaded_on_the_page_is_checked_whole(catalogued, world, client):
    login(client, world.admin)
    page = client.get("/admin/catalog/views")
    bad = LISTS.replace("080101,B", "080101,Z")
    refused = client.post("/admin/catalog/views/import", data={"csrf_token": csrf_of(page.text)},
                          files={"file": ("views.csv", bad.encode(), "text/csv")})
    assert refused.status_code == 422
    assert "第 4 行" in refused.text
    loaded = client.post("/admin/catalog/views/import", data={"csrf_token": csrf_of(page.text)},
                         files={"file": ("views.csv", LISTS.encode(), "text/csv")})
    assert "2 份清单，4 个事项" in loaded.text
    assert client.get("/admin/catalog/views/export").text == LISTS


# --- the command line ----------------------------------------------------------------------------------


def test_the_command_line_loads_and_exports_lists_and_refuses_a_bad_file(catalogued, world, tmp_path):
    env = {"MINHU_HOME": str(tmp_path / "home"), "MINHU_DATABASE_URL": catalogued.url, "MINHU_CONFIG": None}
    runner = CliRunner()
    source, out = tmp_path / "lists.csv", tmp_path / "out.csv"
    source.write_bytes(LISTS.encode("gb18030"))
    refused = runner.invoke(app, ["catalog", "views", "load", str(source)], env=env)
    assert refused.exit_code == 1
    assert "GB18030" in refused.output
    bad = LISTS.replace("090203,A", "090203,A+")
    source.write_text(bad, encoding="utf-8")
    refused = runner.invoke(app, ["catalog", "views", "load", str(source)], env=env)
    assert refused.exit_code == 1
    assert "第 2 行：grade：等级须为 A、B、C 或 D" in refused.output
    with catalogued.read() as s:
        assert s.scalar(select(func.count()).select_from(CatalogView)) == 0
    source.write_bytes(LISTS.encode("gb18030"))
    loaded = runner.invoke(app, ["catalog", "views", "load", str(source), "--encoding", "gb18030"], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert "2 份清单，4 个事项" in loaded.output
    exported = runner.invoke(app, ["catalog", "views", "export", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    assert out.read_text("utf-8") == LISTS
