"""The bulletin's files: an Excel workbook (a summary sheet and a sheet per ranking) and a PDF (WeasyPrint).

Both render the document ``bulletin.build`` made. In the workbook rates are numbers with a percent format (a
reader can sort and sum them), not text; the PDF is the packaged print template with its SVG charts, set in the
CJK font the stylesheet names (``fonts-noto-cjk``; without it every Chinese character would print as a box).
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from minhu.core import clock
from minhu.evaluation import bulletin, bulletin_charts
from minhu.evaluation.bulletin import Document, fmt
from minhu.evaluation.policies import RatePolicy
from minhu.evaluation.rankings import RANKED_KINDS, Ranking
from minhu.web.render import make_templates

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
PERCENT = "0.00%"
SCORE = "0.00"
COUNT = "#,##0"
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
BOTTOM_FILL = PatternFill("solid", fgColor="FDECEC")
BOLD = Font(bold=True)


def _fraction(value: float | None) -> float | None:
    """A percentage (98.5) as the fraction a percent-formatted cell holds (0.985)."""
    return None if value is None else round(value / 100, 6)


def _header(sheet: Worksheet, row: int, titles: list[str]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = sheet.cell(row=row, column=column, value=title)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _summary_sheet(sheet: Worksheet, b: Document) -> None:
    s = b["summary"]
    sheet.title = "概况"
    sheet["A1"] = b["title"]
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = f"考核口径：{b['policy']['name']}（{b['policy']['ref']}）；权重：{b['policy']['weights']}"
    _header(sheet, 4, ["指标", "本期", f"上月（{s['previous']['label']}）", "较上月",
                       f"去年同期（{s['last_year']['label']}）", "较去年同期"])
    rows: list[tuple[str, float | int | None, float | int | None, float | int | None, float | int | None,
                     float | int | None, str]] = [
        ("计入考核工单（件）", s["current"]["counted"], s["previous"]["counted"],
         # No difference against a period with nothing counted (before the records began, say).
         s["current"]["counted"] - s["previous"]["counted"] if s["previous"]["counted"] else None,
         s["last_year"]["counted"],
         s["current"]["counted"] - s["last_year"]["counted"] if s["last_year"]["counted"] else None, COUNT)]
    for rate in b["policy"]["rates"]:
        key = rate["key"]
        rows.append((rate["label"], _fraction(s["current"]["rates"][key]), _fraction(s["previous"]["rates"][key]),
                     _fraction(s["on_previous"]["rates"][key]), _fraction(s["last_year"]["rates"][key]),
                     _fraction(s["on_last_year"]["rates"][key]), PERCENT))
    rows.append(("综合得分", s["current"]["score"], s["previous"]["score"], s["on_previous"]["score"],
                 s["last_year"]["score"], s["on_last_year"]["score"], SCORE))
    for offset, (label, *values, number_format) in enumerate(rows):
        sheet.cell(row=5 + offset, column=1, value=label)
        for column, value in enumerate(values, start=2):
            cell = sheet.cell(row=5 + offset, column=column, value=value)
            cell.number_format = number_format
    line = 6 + len(rows)
    sheet.cell(row=line, column=1, value="近期走势").font = BOLD
    rate_titles = [rate["label"] for rate in b["policy"]["rates"]]
    _header(sheet, line + 1, ["统计期", *rate_titles, "综合得分", "工单（件）"])
    for offset, point in enumerate(b["trend"], start=line + 2):
        sheet.cell(row=offset, column=1, value=point["label"])
        for column, rate in enumerate(b["policy"]["rates"], start=2):
            sheet.cell(row=offset, column=column, value=_fraction(point["rates"][rate["key"]])).number_format = PERCENT
        sheet.cell(row=offset, column=2 + len(rate_titles), value=point["score"]).number_format = SCORE
        sheet.cell(row=offset, column=3 + len(rate_titles), value=point["counted"]).number_format = COUNT
    line += 3 + len(b["trend"])
    for title, paragraphs in (("情况说明", b["remarks"]),
                              ("红榜", [f"{g['label']}：{'、'.join(g['units'])}" for g in b["red_list"]]),
                              ("末位汇报", [b["bottom_text"]]),
                              ("每月一题", [f"{t['title']}（牵头：{t['owner']}，{t['state']}）："
                                          f"本期 {t['in_period']} 件，上期 {t['before']} 件"
                                          for t in b.get("topics", [])])):
        sheet.cell(row=line, column=1, value=title).font = BOLD
        for offset, text in enumerate(paragraphs, start=1):
            sheet.cell(row=line + offset, column=1, value=text)
        line += len(paragraphs) + 2
    _widths(sheet, [22, 14, 20, 12, 20, 12])


def _ranking_sheet(sheet: Worksheet, b: Document, table: Document) -> None:
    rates = b["policy"]["rates"]
    titles = ["排名", "单位", "上级单位", "综合得分", "较上月", "较去年同期", "上月排名", "去年同期排名",
              *(rate["label"] for rate in rates), "计入考核工单（件）"]
    if table["reports"]:
        titles += ["吹哨次数", "按时报到", "报到率"]
    titles.append("备注")
    _header(sheet, 1, titles)
    for line, row in enumerate(table["rows"], start=2):
        f = row["figures"]
        values: list[tuple[str | float | int | None, str | None]] = [
            (row["rank"], None), (row["unit"]["name"], None), (row["unit"]["parent"], None), (f["score"], SCORE),
            (fmt.move(row["change"]), None), (fmt.move(row["change_on_last_year"]), None),
            (row["previous_rank"], None), (row["last_year_rank"], None),
            *((_fraction(f["rates"][rate["key"]]), PERCENT) for rate in rates), (f["counted"], COUNT)]
        if table["reports"]:
            values += [(f["calls"], COUNT), (f["reported_in_time"], COUNT), (_fraction(f["report_rate"]), PERCENT)]
        values.append(("末位" if row["bottom"] else "" if row["rank"] is not None else "不排名", None))
        for column, (value, number_format) in enumerate(values, start=1):
            cell = sheet.cell(row=line, column=column, value=value)
            if number_format:
                cell.number_format = number_format
            if row["bottom"]:
                cell.fill = BOTTOM_FILL
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{max(len(table['rows']) + 1, 1)}"
    _widths(sheet, [6, 20, 14, 10, 9, 11, 9, 12, *(11 for _ in rates), 12,
                    *((10, 10, 10) if table["reports"] else ()), 10])


def xlsx(b: Document) -> bytes:
    """The workbook: 概况 (totals, trend, remarks, red list, end-rank paragraph), then one sheet per ranking."""
    book = Workbook()
    _summary_sheet(book.active, b)  # type: ignore[arg-type]
    for table in b["rankings"]:
        _ranking_sheet(book.create_sheet(f"{table['label']}排名"), b, table)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ranking_xlsx(policy: RatePolicy, ranking: Ranking) -> bytes:
    """One ranking of any period as a workbook of one sheet, laid out as the bulletin's ranking sheets."""
    book = Workbook()
    sheet: Worksheet = book.active  # type: ignore[assignment]
    sheet.title = f"{RANKED_KINDS[ranking.kind]}排名"
    _ranking_sheet(sheet, {"policy": bulletin.policy_document(policy)}, bulletin.ranking_table(policy, ranking))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def print_html(b: Document, *, templates_dir: Path | None = None) -> str:
    """The bulletin as the standalone HTML page the PDF is made from (a city's override templates first)."""
    env = make_templates(templates_dir, {}).env
    return env.get_template("evaluation/bulletin_print.html").render(
        b=b, fmt=fmt, charts={"trend": bulletin_charts.trend_svg(b), "scores": bulletin_charts.street_scores_svg(b)},
        generated_at=clock.city_now().strftime("%Y-%m-%d %H:%M"))


def pdf(b: Document, *, templates_dir: Path | None = None) -> bytes:
    """The bulletin as an A4 PDF. Imported here: WeasyPrint loads Pango when imported, which only this needs."""
    from weasyprint import HTML

    document: bytes = HTML(string=print_html(b, templates_dir=templates_dir)).write_pdf()
    return document
