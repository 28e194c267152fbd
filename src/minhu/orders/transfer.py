"""Bulk import and export of work orders (CSV and Excel).

Import validates every row with the same schema as the API. A bad row is reported with its line
and reason and never blocks the good ones; each good row is created in its own transaction, so a
crash leaves whole orders only. A row with an ``external_id`` is imported at most once.

Line numbers are what the user sees: the row number in Excel, the line where the record starts
in a CSV file (a quoted value may span several lines). A column the importer does not know is
an error only in the rows that put something in it, so no value is ever dropped silently.

Export keeps text as it was stored. Citizens write that text, so a value a spreadsheet would run
as a formula is neutralised: stored as text in XLSX, prefixed with an apostrophe in CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from pydantic import ValidationError
from sqlalchemy import select

from minhu.core import clock, idempotency
from minhu.core.db import Database
from minhu.core.errors import Conflict, DomainError
from minhu.core.security import mask_phone
from minhu.core.text import decode_text_file
from minhu.orders import queries, trail
from minhu.orders import service as order_service
from minhu.orders.enums import CHANNEL_LABELS, ORDER_TYPE_LABELS, URGENCY_LABELS, Channel, OrderType, Urgency
from minhu.orders.models import WorkOrder
from minhu.orders.present import HIDDEN_NAME
from minhu.orders.queries import OrderFilters
from minhu.orders.schemas import OrderCreate
from minhu.orders.states import ACTION_LABELS, STATUS_LABELS, Action, Status
from minhu.org.models import Unit, User
from minhu.org.queries import find_root
from minhu.routing import service as routing

IMPORT_COLUMNS = ("external_id", "type", "channel", "urgency", "title", "content", "citizen_name",
                  "citizen_phone", "anonymous", "confidential", "address", "latitude", "longitude")
EXPORT_COLUMNS = ("number", "status", "status_label", "type", "type_label", "channel", "channel_label",
                  "urgency", "title", "content", "citizen_name", "citizen_phone", "address", "latitude",
                  "longitude", "owner_unit", "created_at", "finish_due_at", "replied_at", "closed_at",
                  "reply_text", "resolution", "satisfaction")

# Spreadsheets typed by people use the Chinese labels; both spellings are accepted.
_BY_LABEL: dict[str, dict[str, str]] = {
    "type": {label: key.value for key, label in ORDER_TYPE_LABELS.items()},
    "channel": {label: key.value for key, label in CHANNEL_LABELS.items()},
    "urgency": {label: key.value for key, label in URGENCY_LABELS.items()},
}
_TRUE = {"1", "true", "yes", "y", "是", "on"}
_FALSE = {"", "0", "false", "no", "n", "否", "off"}
# What Excel, WPS and LibreOffice start a formula with (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class RowProblem:
    line: int
    reason: str


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _unnamed(position: int) -> str:
    return f"第 {position} 列（无列名）"


def _header(cells: Iterable[Any]) -> list[str]:
    """Column names, trimmed and lower-cased. Raises DomainError when a name repeats."""
    names = ["" if c is None else str(c).strip().lower() for c in cells]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise DomainError(f"第 1 行：列名重复：{', '.join(repeated)}", code="duplicate_columns", status=422)
    return names


def _row(header: list[str], values: Iterable[Any]) -> dict[str, Any]:
    """Map values to column names; a value under no name gets a name saying where it is."""
    row: dict[str, Any] = {}
    for position, value in enumerate(values, start=1):
        name = header[position - 1] if position <= len(header) else ""
        row[name or _unnamed(position)] = value
    return row


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _rows_from_csv(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    content = decode_text_file(path.read_bytes(), source="CSV 文件")
    reader = csv.reader(io.StringIO(content, newline=""))
    header: list[str] | None = None
    end = 0
    while True:
        start = end + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield start, f"无法解析：{exc}"
            continue
        end = reader.line_num
        if all(_blank(v) for v in values):
            continue
        if header is None:
            header = _header(values)
            continue
        yield start, _row(header, values)


def _rows_from_xlsx(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    # A damaged file can fail anywhere in openpyxl, zipfile, zlib or the XML parser, and in read-only mode
    # rows are read lazily: whatever they raise, the file is unreadable from there on.
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # see above: any failure to open is the file's
        raise DomainError(f"无法读取 Excel 文件：{exc}", code="unreadable_file", status=422) from None
    try:
        if not workbook.worksheets:
            raise DomainError("Excel 文件没有工作表", code="unreadable_file", status=422)
        sheet = workbook.worksheets[0]
        # Some writers record wrong dimensions; without this, read-only mode would cut columns off.
        sheet.reset_dimensions()
        header: list[str] | None = None
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        line = 0
        while True:
            try:
                line, values = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # see above: the rows read so far stand, the rest is one problem
                if header is None:
                    raise DomainError(f"无法读取 Excel 文件：{exc}", code="unreadable_file", status=422) from None
                yield line + 1, f"文件自此行起已损坏，无法读取：{exc}"
                return
            if all(_blank(v) for v in values):
                continue
            if header is None:
                header = _header(values)
                continue
            yield line, _row(header, values)
    finally:
        workbook.close()


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line, raw row) pairs from a CSV (UTF-8) or XLSX file; a row that cannot be read at all comes
    as (line, reason). Raises DomainError for a file that cannot be read at all."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _rows_from_xlsx(path)
    if suffix == ".csv":
        return _rows_from_csv(path)
    raise DomainError(f"不支持的文件格式 {suffix or '（无扩展名）'}（支持 .csv 与 .xlsx）", code="unsupported_format",
                      status=422)


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name}: 应为 是/否")


def _number(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    try:
        return float(str(value).strip())
    except ValueError:
        return value


def _cell_text(value: Any) -> str | None:
    """A cell as text: None when empty; a whole number typed in Excel (a phone, an id) without '.0'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if text.strip() else None


def _reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {message}" if where else message)
    return "；".join(parts)


def _choice(raw: dict[str, Any], name: str) -> str | None:
    value = _cell_text(raw.get(name))
    if value is None:
        return None
    value = value.strip()
    return _BY_LABEL[name].get(value, value)


def row_to_order(raw: dict[str, Any], *, default_channel: Channel) -> tuple[str | None, OrderCreate]:
    """Validate one row. Raises ValueError with a readable reason naming the column."""
    unknown = sorted(name for name, value in raw.items() if name not in IMPORT_COLUMNS and not _blank(value))
    if unknown:
        raise ValueError(f"未知列：{', '.join(unknown)}（可用列：{', '.join(IMPORT_COLUMNS)}）")

    def text(name: str) -> str | None:
        return _cell_text(raw.get(name))

    external_id = text("external_id")
    if external_id is not None:
        external_id = external_id.strip()
        if len(external_id) > idempotency.MAX_KEY_LENGTH or not external_id.isprintable():
            raise ValueError(f"external_id: 须为 1–{idempotency.MAX_KEY_LENGTH} 个可打印字符")

    data: dict[str, Any] = {
        "type": _choice(raw, "type"),
        "channel": _choice(raw, "channel") or default_channel.value,
        "urgency": _choice(raw, "urgency") or Urgency.NORMAL.value,
        "title": text("title") or "",
        "content": text("content") or "",
        "citizen_name": text("citizen_name"),
        "citizen_phone": text("citizen_phone"),
        "anonymous": _bool("anonymous", raw.get("anonymous")),
        "confidential": _bool("confidential", raw.get("confidential")),
        "address": text("address"),
        "latitude": _number(raw.get("latitude")),
        "longitude": _number(raw.get("longitude")),
    }
    try:
        # An empty cell is an absent field, as in a JSON body without it: the schema's default applies.
        order = OrderCreate.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        raise ValueError(_reason(exc)) from exc
    return external_id, order


def import_orders(db: Database, path: Path, *, actor: User | None,
                  default_channel: Channel = Channel.IMPORT) -> ImportReport:
    """Create an order from every good row. Raises DomainError for a file that cannot be read."""
    report = ImportReport()
    for line, raw in read_rows(path):
        if isinstance(raw, str):
            report.problems.append(RowProblem(line, raw))
            continue
        try:
            external_id, data = row_to_order(raw, default_channel=default_channel)
            registered = order_service.create_order_once(db, data, actor=actor, key=external_id, scope="import")
            order, created = registered.order, registered.created
        except ValueError as exc:
            report.problems.append(RowProblem(line, str(exc)))
            continue
        except Conflict as exc:
            if exc.code != "idempotency_key_reused":
                report.problems.append(RowProblem(line, exc.message))
                continue
            earlier = exc.details.get("resource") if isinstance(exc.details, dict) else None
            report.problems.append(RowProblem(
                line, f"external_id: {external_id} 已导入为工单 {earlier}，本行内容与当时不同，未重复导入"))
            continue
        except DomainError as exc:
            report.problems.append(RowProblem(line, exc.message))
            continue
        (report.created if created else report.skipped).append(order.number)
    return report


def _export_row(order: Any, *, contacts: bool) -> list[Any]:
    def at(value: Any) -> str:
        return value.astimezone(clock.city_tz()).isoformat() if value else ""

    name = order.citizen_name or ""
    phone = order.citizen_phone or ""
    if not contacts:
        name, phone = (HIDDEN_NAME if name else ""), (mask_phone(phone) or "")
    return [order.number, order.status.value, STATUS_LABELS[order.status], order.type.value,
            ORDER_TYPE_LABELS[OrderType(order.type)], order.channel.value, CHANNEL_LABELS[Channel(order.channel)],
            order.urgency.value, order.title, order.content, name, phone,
            order.address or "", "" if order.latitude is None else order.latitude,
            "" if order.longitude is None else order.longitude, order.owner_unit.name, at(order.created_at),
            at(order.finish_due_at), at(order.replied_at), at(order.closed_at), order.reply_text or "",
            order.resolution.value if order.resolution else "", order.satisfaction.value if order.satisfaction else ""]


# Trail entries of a contacts export, written this many orders to a transaction.
DISCLOSED_BATCH = 500


def export_rows(db: Database, *, viewer: User | None, filters: OrderFilters,
                contacts: bool = False) -> Iterable[list[Any]]:
    """The export's rows. Citizens' names and phones are masked unless ``contacts``; then each order whose contact
    went out gets a trail entry (查看完整电话) once the rows are written, so a bulk disclosure is on every record."""
    disclosed: list[int] = []
    with db.read() as session:
        for order in queries.iter_orders(session, viewer=viewer, filters=filters):
            if contacts and (order.citizen_phone or order.citizen_name):
                disclosed.append(order.id)
            yield _export_row(order, contacts=contacts)
    for start in range(0, len(disclosed), DISCLOSED_BATCH):
        with db.transaction() as session:
            for order in session.scalars(select(WorkOrder).where(
                    WorkOrder.id.in_(disclosed[start:start + DISCLOSED_BATCH]))):
                trail.append_event(session, order, Action.VIEW_PHONE, actor=viewer, from_status=order.status,
                                   note="导出工单（含诉求人姓名、电话）", payload={"export": "orders"},
                                   anonymous_name="命令行导出")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Cell:
    """A cell of a write-only sheet that keeps text as text (exports of what citizens wrote)."""
    if not isinstance(value, str):
        return WriteOnlyCell(sheet, value)
    # XML cannot hold most control characters: show them as their Unicode control pictures (U+2400…).
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), value))
    cell.data_type = "s"  # never a formula or an error code, whatever the text starts with
    return cell


def write_export(rows: Iterable[list[Any]], path: Path | None, fmt: str) -> bytes | None:
    """Write CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX to ``path``; CSV to bytes when no path.

    Raises DomainError for XLSX without a path.
    """
    if fmt == "xlsx":
        if path is None:
            raise DomainError("Excel 导出需要指定 --output 文件", code="output_required", status=422)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("工单")
        sheet.append(list(EXPORT_COLUMNS))
        for row in rows:
            sheet.append([xlsx_cell(sheet, value) for value in row])
        workbook.save(path)
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if path is None:
        return data
    path.write_bytes(data)
    return None



# The hand-over of D-grade orders to the city's system (outside minhu): one JSON document, versioned.
CITY_FORMAT = "minhu.city-escalation/1"


def _unit_ref(unit: Unit | None) -> dict[str, str] | None:
    return {"code": unit.code, "name": unit.name} if unit is not None else None


def city_package(db: Database, *, exported_by: User | None) -> dict[str, Any]:
    """Every order waiting on the city (上报市级), with what the city needs to act: the request and the
    citizen, where it stands, its category and grade, why the district could not solve it, its trail and
    its files (named and fingerprinted; the files travel separately).

    Personal data leaves the district with it, so each order whose citizen's name or phone is in the package
    gets a trail entry naming who exported it. A citizen who asked for confidentiality (请为我的身份保密) is
    exported without name or phone: the city asks the district's centre, which may see them."""
    def at(value: Any) -> str | None:
        return value.astimezone(clock.city_tz()).isoformat() if value else None

    orders = []
    disclosed: list[WorkOrder] = []
    with db.transaction() as session:
        root = find_root(session)
        for order in queries.iter_orders(session, viewer=None, filters=OrderFilters(statuses=[Status.ESCALATED])):
            events = queries.events_of(session, order)
            sent = next((e for e in reversed(events) if e.action is Action.ESCALATE_CITY), None)
            name, phone = (None, None) if order.confidential else (order.citizen_name, order.citizen_phone)
            if name or phone:
                disclosed.append(order)
            orders.append({
                "number": order.number, "title": order.title, "content": order.content,
                "type": order.type.value, "channel": order.channel.value, "urgency": order.urgency.value,
                "citizen": {"name": name, "phone": phone, "anonymous": order.anonymous,
                            "confidential": order.confidential},
                "address": order.address, "latitude": order.latitude, "longitude": order.longitude,
                "street": _unit_ref(order.street), "community": _unit_ref(order.community),
                "grid": _unit_ref(order.grid),
                "category": {"code": order.category_code, "path": routing.category_path(session, order.category_code)},
                "grade": order.grade.value if order.grade else None,
                "created_at": at(order.created_at), "escalated_at": at(sent.at if sent else None),
                "escalated_by": sent.actor_name if sent else None, "reason": sent.note if sent else "",
                "requests": [{"unit": e.requested_unit.name, "from_grade": e.from_grade, "to_grade": e.to_grade,
                              "reason": e.reason, "at": at(e.requested_at)} for e in order.escalations],
                "trail": [{"at": at(e.at), "action": ACTION_LABELS[e.action], "actor": e.actor_name,
                           "unit": e.actor_unit_name, "note": e.note}
                          for e in events if e.action is not Action.VIEW_PHONE],
                "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size,
                                 "sha256": a.sha256} for a in order.attachments],
            })
        for order in disclosed:
            trail.append_event(session, order, Action.VIEW_PHONE, actor=exported_by, from_status=order.status,
                               note="导出上报市级材料（含诉求人姓名、电话）", payload={"export": "city"},
                               anonymous_name="命令行导出")
    return {"format": CITY_FORMAT, "from": _unit_ref(root), "exported_at": at(clock.now()), "orders": orders}
