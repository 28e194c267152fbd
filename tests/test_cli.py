"""The ``minhu`` command as an administrator runs it, against the test database."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from openpyxl import load_workbook
from sqlalchemy import func, select

from minhu.core import clock, migrate
from minhu.core.db import Database
from minhu.core.errors import NotAuthenticated
from minhu.demo import city, spike
from minhu.demo import repeated as demo_repeated
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import Role
from minhu.routing.models import CatalogView, RoutingDecision
from tests.conftest import Run
from tests.factories import World, make_order
from tests.geo import mapdata

DEMO_USERNAMES = ("operator", "dispatcher", "handler", "gridworker", "leader", "reviewer", "admin")
HEADER = "external_id,type,channel,title,content,citizen_phone"


def flat(text: str) -> str:
    """Output without line breaks and box drawing, so a wrapped message still reads as one line."""
    return "".join(ch for ch in text if not ch.isspace() and not 0x2500 <= ord(ch) <= 0x257F)


def count(db: Database, model: type[WorkOrder] | type[User] | type[Unit]) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def can_sign_in(db: Database, username: str, password: str) -> bool:
    with db.read() as s:
        try:
            org_service.authenticate(s, username=username, password=password)
        except NotAuthenticated:
            return False
        return True


# --- db and demo -------------------------------------------------------------------------------


def test_db_upgrade_can_run_again_and_again(run: Run, db: Database) -> None:
    head = ScriptDirectory.from_config(migrate.alembic_config(db.url)).get_current_head()
    assert head is not None

    first = run("db", "upgrade")
    second = run("db", "upgrade")

    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    assert head in first.stdout
    assert first.stdout == second.stdout
    assert migrate.current(db) == head


def test_demo_load_creates_one_account_per_role_and_sample_orders(run: Run, db: Database, tmp_path: Path) -> None:
    # Without the labelled messages the classifier learns from the catalog's keywords: quick, and still a model.
    result = run("demo", "load", "--data", str(tmp_path / "absent.csv"))

    assert result.exit_code == 0, result.output
    # The classifier is trained first, so the demo's orders are routed by it, not by keywords alone.
    assert result.stdout.index("正在训练分类模型") < result.stdout.index("演示数据已载入")
    assert "minhu-demo" in result.stdout
    with db.read() as s:
        versions = set(s.scalars(select(RoutingDecision.model_version)))
    assert None not in versions
    assert len(versions) == 1  # one model, trained before the first order
    assert "已有分类模型" in run("demo", "train").stdout
    for username in DEMO_USERNAMES:
        assert can_sign_in(db, username, city.DEMO_PASSWORD), username
    assert not can_sign_in(db, "operator", "wrong-password")
    with db.read() as s:
        roles = {u.username: u.role for u in s.scalars(select(User))}
        orders = s.scalars(select(WorkOrder)).all()
        statuses = Counter(o.status for o in orders)
        on_a_grid = sum(o.grid_id is not None for o in orders)
        grids = s.scalar(select(func.count()).select_from(Unit).where(Unit.kind == "grid")) or 0
        jiyuqiao = s.scalars(select(Unit).where(Unit.code == city.JIYUQIAO)).one()
        jiyuqiao_grids = s.scalar(select(func.count()).select_from(Unit).where(
            Unit.kind == "grid", Unit.path.startswith(jiyuqiao.path)))
    assert {name: roles[name] for name in DEMO_USERNAMES} == {name: Role(name) for name in DEMO_USERNAMES}
    assert roles["street"] is Role.STREET_DISPATCHER  # 积玉桥街's sub-centre
    samples = {sample.title for sample in city.SAMPLES}
    year = sum(o.status is Status.ARCHIVED and o.title not in samples for o in orders)
    repeated = len(demo_repeated.NIGHT_WORKS) + len(demo_repeated.OUTAGE)  # the hot-issue list's two matters
    assert sum(statuses.values()) - year == (len(city.SAMPLES) + city.LIVE_ORDERS + city.STORY_ORDERS + repeated
                                             + city.STREET_STORY_ORDERS
                                             + len(spike.REPORTS) + 1)  # + East Lake's pollution report (四长)
    assert year > 2000  # the demo's year of archived orders
    # The map: 武昌区's grids, 积玉桥街 with the seed's 81; live orders and located samples stand on grids.
    assert grids > 1000
    assert jiyuqiao_grids == 81
    assert on_a_grid >= city.LIVE_ORDERS
    # Orders at different stages of their life, from just accepted to archived.
    assert {Status.ARCHIVED, Status.DISPATCHED, Status.HANDLING} <= set(statuses)
    # The dispatch story: returns waiting for a ruling, pending escalations, one order with the city.
    assert statuses[Status.RETURNED] >= 2
    assert statuses[Status.ESCALATED] == 1
    # 水果湖街's own lists: A (2 classes, 21 items) and B (18 classes), every item on a category of the catalog.
    with db.read() as s:
        lists = {v.code: (v.unit.name if v.unit else None, {i.section for i in v.items}, v.items)
                 for v in s.scalars(select(CatalogView))}
    assert {street for street, _, _ in lists.values()} == {"水果湖街"}
    assert (len(lists["SGH-A"][1]), len(lists["SGH-A"][2])) == (2, 21)
    assert len(lists["SGH-B"][1]) >= 18
    assert len(lists["SGH-B"][2]) >= 80


@pytest.mark.one_engine  # what the command decides; loading the demo on each engine is the test above
def test_demo_load_if_empty_skips_a_loaded_city_and_without_it_says_why_it_stops(run: Run, db: Database) -> None:
    assert run("demo", "load", "--if-empty", "--no-train").exit_code == 0
    before = (count(db, Unit), count(db, User), count(db, WorkOrder))

    again = run("demo", "load", "--if-empty")
    assert again.exit_code == 0, again.output
    assert "跳过" in again.stdout
    assert (count(db, Unit), count(db, User), count(db, WorkOrder)) == before

    over = run("demo", "load", "--no-train")
    assert over.exit_code == 1
    assert "已存在" in over.stderr
    assert "--if-empty" in over.stderr
    assert "Traceback" not in over.output
    assert (count(db, Unit), count(db, User), count(db, WorkOrder)) == before


# --- users -------------------------------------------------------------------------------------


def test_users_add_creates_a_user_who_can_sign_in(run: Run, db: Database, world: World) -> None:
    result = run("users", "add", "zhangsan", "--role", "handler", "--unit", "S1", "--name", "张三",
                 input="长城-Great-Wall-8\n长城-Great-Wall-8\n")

    assert result.exit_code == 0, result.output
    assert "已添加用户 zhangsan" in result.stdout
    assert can_sign_in(db, "zhangsan", "长城-Great-Wall-8")
    with db.read() as s:
        user = s.scalars(select(User).where(User.username == "zhangsan")).one()
        assert (user.full_name, user.role, user.unit_id) == ("张三", Role.HANDLER, world.street.id)


def test_users_add_refuses_an_unknown_role_before_asking_for_a_password(run: Run, db: Database,
                                                                       world: World) -> None:
    before = count(db, User)

    result = run("users", "add", "zhangsan", "--role", "mayor", "--unit", "S1", "--name", "张三", input="")

    assert result.exit_code != 0
    assert "未知角色mayor" in flat(result.stderr)
    assert "Password" not in result.output
    assert count(db, User) == before


def test_users_add_refuses_an_unknown_unit(run: Run, db: Database, world: World) -> None:
    before = count(db, User)

    result = run("users", "add", "zhangsan", "--role", "handler", "--unit", "NOPE", "--name", "张三",
                 input="a-long-password\na-long-password\n")

    assert result.exit_code != 0
    assert "单位编码NOPE不存在" in flat(result.stderr)
    assert count(db, User) == before


@pytest.mark.parametrize(("username", "password", "message"), [
    ("op", "a-long-password", "用户名op已存在"),
    ("newcomer", "short", "密码至少8位"),
])
def test_users_add_explains_a_taken_name_or_a_short_password(run: Run, db: Database, world: World, username: str,
                                                             password: str, message: str) -> None:
    before = count(db, User)

    result = run("users", "add", username, "--role", "operator", "--unit", "C", "--name", "某人",
                 input=f"{password}\n{password}\n")

    assert result.exit_code == 1
    assert message in flat(result.stderr)
    assert "Traceback" not in result.output
    assert count(db, User) == before


# --- import ------------------------------------------------------------------------------------


def test_import_lists_bad_rows_on_stderr_and_exits_1(run: Run, db: Database, world: World,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([
        HEADER,
        "A1,complaint,hotline,噪音扰民,夜间施工。,13812345678",
        "A2,help,hotline,路灯不亮,三天未修。,12345",
        "A3,投诉,12345热线,,缺标题,",
        "A4,help,hotline,井盖缺失,人行道井盖丢失。,",
    ]) + "\n", encoding="utf-8")

    result = run("import", "orders", str(path), "--as", "op")

    assert result.exit_code == 1
    problems = result.stderr.splitlines()
    assert len(problems) == 2
    assert problems[0].startswith("第 3 行：citizen_phone")
    assert problems[1].startswith("第 4 行：title")
    assert "导入 2 条" in result.stdout
    assert "出错 2 条" in result.stdout
    with db.read() as s:
        statuses = {o.title: o.status for o in s.scalars(select(WorkOrder))}
    assert statuses == {"噪音扰民": Status.ACCEPTED, "井盖缺失": Status.ACCEPTED}  # registered by an operator


def test_import_of_a_good_file_exits_0_and_a_second_run_skips_what_exists(run: Run, db: Database, world: World,
                                                                          tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "\nB1,complaint,hotline,噪音扰民,夜间施工。,13812345678\n"
                    "B2,help,web_board,路灯不亮,三天未修。,\n", encoding="utf-8-sig")

    first = run("import", "orders", str(path))
    second = run("import", "orders", str(path))

    assert first.exit_code == 0, first.output
    assert first.stderr == ""
    assert "导入 2 条" in first.stdout
    assert second.exit_code == 0, second.output
    assert "导入 0 条，已存在跳过 2 条" in second.stdout
    assert count(db, WorkOrder) == 2


def test_import_refuses_a_file_it_cannot_read_without_a_traceback(run: Run, db: Database, world: World,
                                                                  tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + "\nC1,complaint,hotline,噪音扰民,夜间施工。,\n").encode("gbk"))
    text = tmp_path / "orders.txt"
    text.write_text(HEADER + "\n", encoding="utf-8")

    for path, message in ((gbk, "UTF-8"), (text, ".txt")):
        result = run("import", "orders", str(path))
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert "Traceback" not in result.output
    assert count(db, WorkOrder) == 0


def test_import_as_an_unknown_user_is_refused(run: Run, db: Database, world: World, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "\nD1,complaint,hotline,噪音扰民,夜间施工。,\n", encoding="utf-8")

    result = run("import", "orders", str(path), "--as", "nobody")

    assert result.exit_code == 2
    assert "用户nobody不存在" in flat(result.stderr)
    assert count(db, WorkOrder) == 0


# --- export ------------------------------------------------------------------------------------


def test_export_xlsx_without_an_output_file_is_refused(run: Run, db: Database, world: World,
                                                       tmp_path: Path) -> None:
    make_order(db, world)

    result = run("export", "orders", "--format", "xlsx")

    assert result.exit_code == 2
    assert "--output" in result.stderr
    assert result.stdout == ""


def test_export_csv_to_stdout_has_a_bom_and_follows_the_city_calendar(run: Run, db: Database,
                                                                      world: World) -> None:
    # 2 March in Wuhan runs from 1 March 16:00 to 2 March 16:00 UTC.
    with clock.frozen(datetime(2026, 3, 1, 15, 30, tzinfo=UTC)):
        make_order(db, world, title="一日深夜")
    with clock.frozen(datetime(2026, 3, 1, 17, 0, tzinfo=UTC)):
        make_order(db, world, title="二日凌晨")
    with clock.frozen(datetime(2026, 3, 2, 16, 30, tzinfo=UTC)):
        make_order(db, world, title="三日凌晨", type="help")

    day = run("export", "orders", "--from", "2026-03-02", "--to", "2026-03-03")
    complaints = run("export", "orders", "--type", "complaint", "--status", "accepted")

    assert day.exit_code == 0, day.output
    assert day.stdout_bytes.startswith(b"\xef\xbb\xbfnumber,status,")
    rows = list(csv.DictReader(io.StringIO(day.stdout_bytes.decode("utf-8-sig"), newline="")))
    assert [r["title"] for r in rows] == ["二日凌晨"]
    assert "已导出 1 条" in day.stderr
    assert complaints.exit_code == 0, complaints.output
    rows = list(csv.DictReader(io.StringIO(complaints.stdout_bytes.decode("utf-8-sig"), newline="")))
    assert [r["title"] for r in rows] == ["一日深夜", "二日凌晨"]


def test_export_xlsx_to_a_file_has_every_order(run: Run, db: Database, world: World, tmp_path: Path) -> None:
    first = make_order(db, world, title="第一单")
    second = make_order(db, world, title="第二单")
    path = tmp_path / "orders.xlsx"

    result = run("export", "orders", "--format", "xlsx", "--output", str(path))

    assert result.exit_code == 0, result.output
    assert f"已导出 2 条工单到 {path}" in result.stdout
    rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert [(r[0], r[8]) for r in rows[1:]] == [(first.number, "第一单"), (second.number, "第二单")]


def test_an_export_masks_citizens_unless_asked_and_then_every_disclosed_order_says_so(run: Run, db: Database,
                                                                                       world: World) -> None:
    order = make_order(db, world, title="带电话的诉求", citizen_name="李先生")

    masked = run("export", "orders")
    with_contacts = run("export", "orders", "--with-contacts")

    def rows(result: Any) -> list[dict[str, str]]:
        assert result.exit_code == 0, result.output
        return list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"), newline="")))

    [plain] = rows(masked)
    assert (plain["citizen_name"], plain["citizen_phone"]) == ("（匿名）", "138****5678")
    [full] = rows(with_contacts)
    assert (full["citizen_name"], full["citizen_phone"]) == ("李先生", "13812345678")
    with db.read() as session:
        disclosed = session.scalars(select(OrderEvent.note).where(OrderEvent.order_id == order.id,
                                                                  OrderEvent.action == Action.VIEW_PHONE)).all()
    assert disclosed == ["导出工单（含诉求人姓名、电话）"]  # one for the export with contacts, none for the masked


# --- units -------------------------------------------------------------------------------------


def test_units_add_builds_the_tree_a_fresh_installation_needs(run: Run, db: Database, world: World) -> None:
    result = run("units", "add", "S1-C9", "--name", "新建社区", "--kind", "community", "--parent", "S1")

    assert result.exit_code == 0, result.output
    assert "已添加社区 S1-C9 新建社区" in result.stdout
    with db.read() as s:
        unit = s.scalars(select(Unit).where(Unit.code == "S1-C9")).one()
        assert unit.parent_id == world.street.id
        assert unit.is_within(world.street)
    listing = run("units", "list")
    lines = listing.stdout.splitlines()
    street_line = next(i for i, line in enumerate(lines) if line.strip().startswith("S1\t"))
    child_line = next(line for line in lines if "S1-C9" in line)
    assert len(child_line) - len(child_line.lstrip()) > len(lines[street_line]) - len(lines[street_line].lstrip())


def test_units_add_refuses_a_taken_code_and_an_unknown_parent(run: Run, db: Database, world: World) -> None:
    before = count(db, Unit)

    taken = run("units", "add", "S1", "--name", "重复", "--kind", "street", "--parent", "D1")
    orphan = run("units", "add", "X1", "--name", "孤儿", "--kind", "community", "--parent", "NOPE")
    wrong_kind = run("units", "add", "X2", "--name", "某", "--kind", "province")

    assert taken.exit_code == 1
    assert "已存在" in flat(taken.stderr)
    assert orphan.exit_code != 0
    assert "单位编码NOPE不存在" in flat(orphan.stderr)
    assert wrong_kind.exit_code != 0
    assert "未知单位类型" in flat(wrong_kind.stderr)
    assert count(db, Unit) == before


# --- map ---------------------------------------------------------------------------------------


def write_city(folder: Path, *, extra_people: str = "") -> tuple[Path, Path]:
    """The hand-drawn test city and its people as files, as a city would hand them over."""
    city_file, people = folder / "city.geojson", folder / "people.csv"
    city_file.write_text(json.dumps(mapdata.small_city(), ensure_ascii=False), encoding="utf-8")
    people.write_text(mapdata.POSTS_CSV + extra_people, encoding="utf-8")
    return city_file, people


def test_map_import_then_export_round_trips_and_a_bad_file_writes_nothing(run: Run, db: Database, world: World,
                                                                          tmp_path: Path) -> None:
    good, people = write_city(tmp_path)

    imported = run("map", "import", str(good), "--people", str(people))
    assert imported.exit_code == 0, imported.output
    assert "新增单位 9" in imported.stdout and "责任人 6" in imported.stdout  # noqa: PT018

    out = tmp_path / "out.geojson"
    exported = run("map", "export", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    exported_codes = {f["properties"].get("code") for f in json.loads(out.read_text(encoding="utf-8"))["features"]}
    assert {f["properties"].get("code") for f in mapdata.small_city()["features"]} <= exported_codes

    broken = mapdata.small_city()
    broken["features"][6]["geometry"]["coordinates"][0][1] = ["114.31", "30.54"]
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    before = count(db, Unit)
    refused = run("map", "import", str(bad))
    assert refused.exit_code == 1
    assert "应为数字" in flat(refused.stderr)
    assert "Traceback" not in refused.output
    assert count(db, Unit) == before


def test_map_import_with_a_bad_people_file_writes_neither(run: Run, db: Database, world: World,
                                                          tmp_path: Path) -> None:
    good, people = write_city(tmp_path, extra_people="grid_worker,钱多,138,nobody,420199001001001,,2025-01-01,\n")
    before = count(db, Unit)

    result = run("map", "import", str(good), "--people", str(people))

    assert result.exit_code == 1
    assert "第8行：账号nobody不存在" in flat(result.stderr)
    assert count(db, Unit) == before
