"""The monthly bulletin's content, read off a small district whose figures are worked out by hand
(tests/evaluation/bulletin_city.py), its workbook, the monthly job, the CLI, the pages and the API."""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from minhu.core import clock
from minhu.core.db import Database
from minhu.evaluation import bulletin, bulletin_archive, bulletin_files, policies, rates
from minhu.evaluation.models import BulletinRecord
from tests.evaluation.bulletin_city import BulletinCity, make_bulletin_city
from tests.intake.test_pages import csrf_of, login

OCTOBER = rates.month(2026, 10)
TITLE = "武昌区接诉即办工作月度通报（2026年10月）"


@pytest.fixture
def city(db: Database) -> BulletinCity:
    return make_bulletin_city(db)


@pytest.fixture
def document(db: Database, city: BulletinCity) -> bulletin.Document:
    with db.read() as session:
        return bulletin.build(session, policies.resolve(session, None), OCTOBER)


def _table(document: bulletin.Document, kind: str) -> bulletin.Document:
    return next(t for t in document["rankings"] if t["kind"] == kind)


def _bulletin_count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(BulletinRecord)) or 0)


def test_the_bulletin_ranks_the_streets_with_their_moves_and_names_who_reports(document):
    assert document["title"] == TITLE
    assert document["policy"]["weights"] == "响应率 10% · 办结率 40% · 满意率 50%"
    streets = _table(document, "street")
    assert [(r["rank"], r["unit"]["name"], r["figures"]["score"]) for r in streets["rows"]] == [
        (1, "积玉桥街", 100.0), (2, "中华路街", 90.0), (3, "水果湖街", 75.0), (4, "首义路街", 60.0)]
    assert [r["change"] for r in streets["rows"]] == [1, 2, -2, -1]
    assert [r["unit"]["name"] for r in streets["rows"] if r["bottom"]] == ["水果湖街", "首义路街"]
    # 中华路街 answered every call late: its response rate is nil, the others full.
    assert [r["figures"]["rates"]["response"] for r in streets["rows"]] == [100.0, 0.0, 100.0, 100.0]
    assert document["bottom_text"] == "请以下单位在月度点评会上作汇报：水果湖街（街道）、首义路街（街道）。"
    # Third, but end-ranked among four: 水果湖街 is not also on the red list.
    assert document["red_list"][0] == {"label": "街道", "units": ["积玉桥街", "中华路街"]}
    # Two ranked departments, one ranked community: no more than the red list's three places, nobody praised.
    assert [r["rank"] for r in _table(document, "department")["rows"]] == [1, 2]
    assert _table(document, "department")["best"] == _table(document, "community")["best"] == []
    assert [entry["label"] for entry in document["red_list"]] == ["街道"]
    remarks = "".join(document["remarks"])
    assert "中华路街排名上升最多，由上月第4名升至第2名" in remarks
    assert "水果湖街排名下降最多，由上月第1名降至第3名" in remarks


def test_the_bulletin_compares_the_district_with_last_month_and_last_year(document):
    summary = document["summary"]
    assert summary["current"]["counted"] == 6 + 6 + 6 + 5 + 6 + 5
    assert summary["previous"]["counted"] == 6 + 6 + 6 + 5 + 5 + 5
    assert summary["last_year"]["counted"] == 5
    # 23 of 34 orders answered in time; 29 of 34 finished in time; 31 of 34 satisfied.
    assert summary["current"]["rates"] == {"response": 67.65, "resolution": 85.29, "satisfaction": 91.18}
    assert summary["on_last_year"]["rates"]["satisfaction"] == pytest.approx(91.18 - 80.0)
    assert next(p["key"] for p in document["trend"]) == "2025-11"
    assert document["trend"][-1]["key"] == "2026-10"
    assert len(document["trend"]) == 12
    assert document["trend"][-2]["counted"] == 33
    assert document["remarks"][0].startswith("2026年10月，全区计入考核的工单共34件，综合得分86.47分")


def test_departments_show_their_report_rate_and_quiet_kinds_are_left_out(document):
    departments = _table(document, "department")
    assert departments["reports"] is True
    assert [(r["unit"]["name"], r["figures"]["report_rate"]) for r in departments["rows"]] == [
        ("区城管执法局", 100.0), ("区水务局", None)]
    assert [t["kind"] for t in document["rankings"]] == ["street", "department", "community"]


def test_numbers_are_written_the_chinese_way():
    assert bulletin.fmt.pct(98.5) == "98.50%"
    assert bulletin.fmt.count(12345) == "12,345"
    assert bulletin.fmt.move(2) == "↑2"
    assert bulletin.fmt.move(-1) == "↓1"
    assert bulletin.fmt.move(None) == "—"
    assert bulletin.fmt.points(-0.5) == "下降0.50个百分点"


def test_the_workbook_holds_a_summary_and_a_sheet_per_ranking(document):
    book = load_workbook(io.BytesIO(bulletin_files.xlsx(document)))
    assert book.sheetnames == ["概况", "街道排名", "职能部门排名", "社区排名"]
    assert book["概况"]["A1"].value == TITLE
    sheet = book["街道排名"]
    header = [cell.value for cell in sheet[1]]
    assert header[:6] == ["排名", "单位", "上级单位", "综合得分", "较上月", "较去年同期"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        (1, "积玉桥街", 100.0, "↑1"), (2, "中华路街", 90.0, "↑2"), (3, "水果湖街", 75.0, "↓2"),
        (4, "首义路街", 60.0, "↓1")]
    response = header.index("响应率") + 1
    assert sheet.cell(row=3, column=response).value == 0.0
    assert sheet.cell(row=2, column=response).value == 1.0
    assert sheet.cell(row=2, column=response).number_format == "0.00%"
    assert rows[2][-1] == "末位"
    assert "报到率" in [cell.value for cell in book["职能部门排名"][1]]
    assert sheet.column_dimensions["B"].width >= 16


def test_the_monthly_job_generates_last_months_bulletin_once(db, city):
    job = bulletin_archive.monthly_job()
    with clock.frozen(datetime(2026, 11, 2, 1, 0, tzinfo=clock.city_tz())):
        job(db)
        job(db)
    with db.read() as session:
        record = bulletin_archive.get(session, "2026-10", None, files=True)
        assert (record.policy_ref, record.generated_by, record.title) == ("shuiguohu@1", "定时任务", TITLE)
        assert record.pdf.startswith(b"%PDF-")
        assert record.xlsx.startswith(b"PK")
    assert _bulletin_count(db) == 1


def test_the_monthly_job_leaves_a_missing_bulletin_alone_late_in_the_month(db, city):
    with clock.frozen(datetime(2026, 11, 20, 9, 0, tzinfo=clock.city_tz())):
        bulletin_archive.monthly_job()(db)
    assert _bulletin_count(db) == 0


def test_the_cli_makes_a_bulletin_for_a_month_and_policy(run, db, city, tmp_path):
    target = tmp_path / "october.pdf"
    result = run("bulletin", "make", "--period", "2026-10", "--policy", "beijing", "--pdf", str(target))
    assert result.exit_code == 0, result.output
    assert "已生成并归档" in result.output
    assert target.read_bytes().startswith(b"%PDF-")
    with db.read() as session:
        assert bulletin_archive.get(session, "2026-10", "beijing").generated_by == "命令行"
    refused = run("bulletin", "make", "--period", "2026-10", "--policy", "nowhere")
    assert refused.exit_code == 1
    assert "没有考核口径 nowhere" in refused.output


def test_a_dispatcher_generates_a_bulletin_and_downloads_its_files_with_chinese_names(client, city, db):
    login(client, city.world.dispatcher)
    page = client.get("/bulletins/2026-10")
    assert page.status_code == 200
    assert TITLE in page.text
    assert "预览（尚未归档）" in page.text
    assert "请以下单位在月度点评会上作汇报" in page.text
    assert "<svg" in page.text
    assert client.get("/bulletins/2026-10.pdf").status_code == 404

    listing = client.get("/bulletins")
    response = client.post("/bulletins", data={"csrf_token": csrf_of(listing.text), "period": "2026-10",
                                               "policy": "shuiguohu"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/bulletins/2026-10?policy=shuiguohu@1"
    assert "已归档" in client.get(response.headers["location"]).text
    assert TITLE in client.get("/bulletins").text

    pdf = client.get("/bulletins/2026-10.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="bulletin-2026-10.pdf"')
    assert f"filename*=UTF-8''{quote(TITLE + '.pdf', safe='')}" in disposition
    workbook = client.get("/bulletins/2026-10.xlsx?policy=shuiguohu@1")
    assert load_workbook(io.BytesIO(workbook.content)).sheetnames[0] == "概况"


@pytest.mark.parametrize("role", ["handler", "leader"])
def test_handlers_and_leaders_read_bulletins_but_may_not_generate_or_replace_them(client, city, db, role):
    bulletin_archive.generate(db, period=OCTOBER, policy_ref=None, by="adm")
    login(client, getattr(city.world, role))
    listing = client.get("/bulletins")
    assert listing.status_code == 200
    assert TITLE in listing.text
    assert "生成通报" not in listing.text
    assert "重新生成" not in client.get("/bulletins/2026-10").text
    refused = client.post("/bulletins", data={"csrf_token": csrf_of(client.get("/orders").text),
                                              "period": "2026-10"})
    assert refused.status_code == 403
    with db.read() as session:
        assert bulletin_archive.get(session, "2026-10", None).generated_by == "adm"


def test_the_api_lists_bulletins_and_gives_a_months_figures(client, city, db, token_for):
    headers = token_for(city.world.handler)
    live = client.get("/api/v1/bulletins/2026-10", headers=headers)
    assert live.status_code == 200
    assert live.json()["archived"] is False
    assert live.json()["bulletin"]["rankings"][0]["rows"][0]["unit"]["name"] == "积玉桥街"
    assert client.get("/api/v1/bulletins", headers=headers).json() == {"bulletins": []}

    bulletin_archive.generate(db, period=OCTOBER, policy_ref=None, by="adm")
    listed = client.get("/api/v1/bulletins", headers=headers).json()["bulletins"]
    assert [(b["period"], b["policy"], b["pdf_url"]) for b in listed] == [
        ("2026-10", "shuiguohu@1", "/bulletins/2026-10.pdf?policy=shuiguohu@1")]
    archived = client.get("/api/v1/bulletins/2026-10", headers=headers).json()
    assert archived["archived"] is True
    assert archived["bulletin"]["title"] == TITLE


@pytest.mark.parametrize(("path", "status", "code", "field"), [
    ("/api/v1/bulletins/2026-13", 422, "invalid_input", "period"),
    ("/api/v1/bulletins/2026-Q3", 422, "invalid_input", "period"),
    ("/api/v1/bulletins/2026-10?policy=nowhere", 422, "unknown_rate_policy", "policy"),
])
def test_the_api_says_what_is_wrong_with_a_request(client, city, token_for, path, status, code, field):
    response = client.get(path, headers=token_for(city.world.handler))
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["details"][0]["field"] == field
