"""The dissatisfied ledger as an Excel workbook, the rows the page shows under the same filters."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

from minhu.core import clock
from minhu.evaluation.dissatisfied import LEDGER_STATE_LABELS, LedgerRow
from minhu.orders.enums import RESOLUTION_LABELS, RULING_LABELS, SATISFACTION_LABELS
from minhu.orders.states import STATUS_LABELS
from minhu.orders.transfer import xlsx_cell

HEADER = ("工单编号", "标题", "承办单位", "分类", "登记时间", "不满意回访时间", "最近回访：解决情况",
          "最近回访：满意度", "重办次数", "台账状态", "建议审核认定", "审核认定", "认定理由", "诉求串", "工单状态",
          "分类编码")
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(value: Any) -> str:
    return value.astimezone(clock.city_tz()).strftime("%Y-%m-%d %H:%M") if value else ""


def row_values(row: LedgerRow) -> list[Any]:
    order, last = row.order, row.last_answer
    return [order.number, order.title, order.owner_unit.name, row.category_path or order.category_code or "",
            _local(order.created_at),
            _local(row.last_bad_at),
            RESOLUTION_LABELS[last.resolution] if last and last.resolution else "",
            SATISFACTION_LABELS[last.satisfaction] if last and last.satisfaction else "",
            row.rehandlings, LEDGER_STATE_LABELS[row.state], "是" if row.review_suggested else "",
            RULING_LABELS[order.ruling] if order.ruling else "", order.ruling_reason or "",
            f"#{row.thread_id}" if row.thread_id else "", STATUS_LABELS[order.status], order.category_code or ""]


def workbook_bytes(rows: Iterable[LedgerRow]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("不满意诉求台账")
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row_values(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
