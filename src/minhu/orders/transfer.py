"""Bulk import and export of work orders (CSV and Excel).

Import validates every row with the same schema as the API. A bad row is reported with its line
and reason and never blocks the good ones; each good row is created in its own transaction, so a
crash leaves whole orders only. A row with an ``external_id`` is imported at most once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from pydantic import ValidationError

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import DomainError
from minhu.orders import queries
from minhu.orders import service as order_service
from minhu.orders.enums import CHANNEL_LABELS, ORDER_TYPE_LABELS, URGENCY_LABELS, Channel, OrderType, Urgency
from minhu.orders.queries import OrderFilters
from minhu.orders.schemas import OrderCreate
from minhu.orders.states import STATUS_LABELS
from minhu.org.models import User
from minhu.web.errors import validation_details

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


@dataclass
class RowProblem:
    line: int
    reason: str


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _rows_from_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield reader.line_num, {k.strip(): v for k, v in row.items() if k is not None}


def _rows_from_xlsx(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    for line, values in enumerate(rows, start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        yield line, {h: v for h, v in zip(header, values, strict=False) if h}
    workbook.close()


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, raw row) pairs from a CSV (UTF-8) or XLSX file."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _rows_from_xlsx(path)
    if suffix == ".csv":
        return _rows_from_csv(path)
    raise DomainError(f"不支持的文件格式 {suffix}（支持 .csv 与 .xlsx）", code="unsupported_format", status=422)


def _bool(name: str, value: Any) -> bool:
    text = str(value).strip().lower() if value is not None else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name}: 应为 是/否")


def _number(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(str(value).strip())
    except ValueError:
        return value


def row_to_order(raw: dict[str, Any], *, default_channel: Channel) -> tuple[str | None, OrderCreate]:
    """Validate one row. Raises ValueError with a readable reason."""
    unknown = set(raw) - set(IMPORT_COLUMNS)
    if unknown:
        raise ValueError(f"未知列：{', '.join(sorted(unknown))}")

    def text(name: str) -> str | None:
        value = raw.get(name)
        if value is None:
            return None
        value = str(value)
        return value if value.strip() else None

    data: dict[str, Any] = {
        "type": _BY_LABEL["type"].get(text("type") or "", text("type")),
        "channel": _BY_LABEL["channel"].get(text("channel") or "", text("channel")) or default_channel.value,
        "urgency": _BY_LABEL["urgency"].get(text("urgency") or "", text("urgency")) or Urgency.NORMAL.value,
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
        order = OrderCreate.model_validate(data)
    except ValidationError as exc:
        raise ValueError("；".join(f"{d['field']}: {d['message']}" for d in validation_details(exc.errors()))) \
            from exc
    return text("external_id"), order


def import_orders(db: Database, path: Path, *, actor: User | None,
                  default_channel: Channel = Channel.IMPORT) -> ImportReport:
    report = ImportReport()
    for line, raw in read_rows(path):
        try:
            external_id, data = row_to_order(raw, default_channel=default_channel)
            number, created = order_service.create_order_once(db, data, actor=actor, key=external_id,
                                                              scope="import")
        except (ValueError, DomainError) as exc:
            report.problems.append(RowProblem(line, exc.message if isinstance(exc, DomainError) else str(exc)))
            continue
        (report.created if created else report.skipped).append(number)
    return report


def _export_row(order: Any) -> list[Any]:
    def at(value: Any) -> str:
        return value.astimezone(clock.city_tz()).isoformat() if value else ""

    return [order.number, order.status.value, STATUS_LABELS[order.status], order.type.value,
            ORDER_TYPE_LABELS[OrderType(order.type)], order.channel.value, CHANNEL_LABELS[Channel(order.channel)],
            order.urgency.value, order.title, order.content, order.citizen_name or "", order.citizen_phone or "",
            order.address or "", "" if order.latitude is None else order.latitude,
            "" if order.longitude is None else order.longitude, order.owner_unit.name, at(order.created_at),
            at(order.finish_due_at), at(order.replied_at), at(order.closed_at), order.reply_text or "",
            order.resolution.value if order.resolution else "", order.satisfaction.value if order.satisfaction else ""]


def export_rows(db: Database, *, viewer: User | None, filters: OrderFilters) -> Iterable[list[Any]]:
    with db.read() as session:
        for order in queries.iter_orders(session, viewer=viewer, filters=filters):
            yield _export_row(order)


def write_export(rows: Iterable[list[Any]], path: Path | None, fmt: str) -> bytes | None:
    """Write CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX to ``path``; CSV to bytes when no path."""
    if fmt == "xlsx":
        if path is None:
            raise DomainError("Excel 导出需要指定 --output 文件", code="output_required", status=422)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("工单")
        sheet.append(list(EXPORT_COLUMNS))
        for row in rows:
            sheet.append(row)
        workbook.save(path)
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if path is None:
        return data
    path.write_bytes(data)
    return None
