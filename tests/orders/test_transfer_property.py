"""Whatever file an operator imports — any bytes as CSV, any cells in a workbook, a damaged workbook — the import
reads rows or refuses the file with a reason; and into the database, every row with something in it ends as an
order created, an order skipped or a problem on its line."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from minhu.core.db import Database
from minhu.core.errors import DomainError
from minhu.orders import transfer
from minhu.orders.enums import Channel
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import OrderCreate

COLUMNS = (*transfer.IMPORT_COLUMNS, "remark")
# What people type into such columns, right and wrong: labels, values, numbers as text, formulas, blanks.
WORDS = ("complaint", "投诉", "help", "抱怨", "hotline", "12345热线", "紧急", "urgent", "是", "否", "true", "2",
         "路灯不亮", "和平大道88号", "13812345678", "027-88881234", "30.565", "114.305", "95", "nan", "1e999", "-0",
         "=1+1", "@SUM(A1)", "  ", "\t", "")
cells_text = st.one_of(st.sampled_from(WORDS), st.text(max_size=12))
# What a workbook's cell can hold; text without the control characters Excel files cannot store.
cells = st.one_of(st.none(), cells_text.map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text)), st.integers(),
                  st.floats(), st.booleans(), st.datetimes(min_value=datetime(1900, 3, 1)))
# One file per example, written over the last one.
PER_FILE = settings(max_examples=80, deadline=timedelta(seconds=5),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def read_all(path: Path) -> list[tuple[int, dict[str, Any] | str]]:
    """Every row of a file, each dict row validated as the import does: a domain error for the whole file, a
    ValueError for a row, nothing else."""
    rows = list(transfer.read_rows(path))
    for _, raw in rows:
        if isinstance(raw, dict):
            validated = validate(raw)
            assert isinstance(validated, OrderCreate) or str(validated)
    return rows


def validate(raw: dict[str, Any]) -> OrderCreate | ValueError:
    try:
        return transfer.row_to_order(raw, default_channel=Channel.IMPORT)[1]
    except ValueError as problem:
        return problem


def outcome(path: Path) -> list[tuple[int, dict[str, Any] | str]] | DomainError:
    try:
        return read_all(path)
    except DomainError as refused:
        return refused


def assert_read_or_refused(path: Path) -> None:
    result = outcome(path)
    if isinstance(result, DomainError):
        assert result.status == 422
        assert result.message
    else:
        lines = [line for line, _ in result]
        assert lines == sorted(lines)
        assert all(line >= 2 for line in lines)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A CSV as people save it: a header of known and unknown columns, rows of any text, in UTF-8 (with or
    without BOM) or GB18030, with any line ends; or plain bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    header = draw(st.lists(st.sampled_from(COLUMNS) | st.text(max_size=6), min_size=1, max_size=8))
    rows = draw(st.lists(st.lists(cells_text, max_size=len(header) + 2), max_size=5))
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows([header, *rows])
    text = out.getvalue()
    if draw(st.booleans()):  # a hand-edited file: a stray quote, a cut line
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(['"', "\n", ",", "\x00"])) + text[cut:]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    return text.encode(encoding, errors="replace")


def workbook_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


A_WORKBOOK = workbook_bytes([["title", "content", "type", "latitude", "longitude"],
                             ["路灯不亮", "和平社区路灯三天不亮。", "complaint", 30.565, 114.305],
                             ["噪音扰民", "夜间施工。", "投诉", None, None]])


@given(data=csv_files())
@PER_FILE
def test_any_csv_file_is_read_row_by_row_or_refused_with_a_reason(tmp_path, data):
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    assert_read_or_refused(path)


@given(header=st.lists(st.sampled_from(COLUMNS) | cells, min_size=1, max_size=8),
       rows=st.lists(st.lists(cells, max_size=9), max_size=4))
@PER_FILE
def test_any_cells_in_a_workbook_are_read_row_by_row_or_refused_with_a_reason(tmp_path, header, rows):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(workbook_bytes([header, *rows]))
    assert_read_or_refused(path)


@given(damage=st.lists(st.tuples(st.integers(0, len(A_WORKBOOK) - 1), st.binary(min_size=1, max_size=8)),
                       min_size=1, max_size=4))
@PER_FILE
def test_a_damaged_workbook_is_read_up_to_the_damage_or_refused_with_a_reason(tmp_path, damage):
    raw = bytearray(A_WORKBOOK)
    for at, replacement in damage:
        raw[at:at + len(replacement)] = replacement
    path = tmp_path / "orders.xlsx"
    path.write_bytes(bytes(raw))
    assert_read_or_refused(path)


def order_count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(WorkOrder)) or 0


# Rows mostly right, as a centre's export from another system is, with any column possibly wrong or missing.
plausible_rows = st.fixed_dictionaries(
    {"type": st.sampled_from(["complaint", "投诉", "help"]) | cells_text, "title": st.just("路灯不亮") | cells_text,
     "content": st.just("和平社区路灯三天不亮。") | cells_text},
    optional=dict.fromkeys((c for c in COLUMNS if c not in ("type", "title", "content")), cells_text))


@given(rows=st.lists(plausible_rows, min_size=1, max_size=4))
@settings(max_examples=25, deadline=timedelta(seconds=10),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_every_row_with_something_in_it_ends_created_skipped_or_a_problem(db, world, tmp_path, rows):
    path = tmp_path / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    before = order_count(db)

    report = transfer.import_orders(db, path, actor=None)

    filled = [row for row in rows if any(value.strip() for value in row.values())]
    assert len(report.created) + len(report.skipped) + len(report.problems) == len(filled)
    assert order_count(db) == before + len(report.created)
    assert all(problem.reason for problem in report.problems)
