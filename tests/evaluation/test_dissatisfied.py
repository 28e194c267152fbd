"""The dissatisfied ledger (不满意诉求台账): what it lists, its filters, its export, and re-handling (重办) with a
second callback."""

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from minhu.core import clock
from minhu.evaluation import callbacks
from minhu.orders.states import Action, Status
from minhu.routing import catalog
from tests.evaluation.builders import called_back, rehandle
from tests.evaluation.test_rating_links import token_of
from tests.factories import act, make_order
from tests.intake.test_pages import login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _ledger_rows(html: str) -> dict[str, str]:
    """number → ledger state, as the ledger table shows them."""
    table = html.split('id="ledger"')[1]
    return dict(re.findall(r'<tr data-number="(\w+)" data-state="(\w+)">', table))


def test_rehandling_keeps_both_callbacks_and_the_order_comes_back_to_the_callback_queue(client, db, world):
    order = called_back(db, world, title="楼道灯不亮")
    rehandle(db, world, order.number)
    with db.read() as s:
        waiting = callbacks.queue(s, world.reviewer, clock.now())
    assert [row.order.number for row in waiting.rows] == [order.number]  # the second reply waits for its callback
    second = act(db, order.number, Action.CALLBACK, world.reviewer, reached=True, resolution="resolved",
                 satisfaction="satisfied")
    assert second.status is Status.CALLED_BACK

    login(client, world.reviewer)
    page = client.get(f"/orders/{order.number}").text
    history = page.split('id="callback-history"')[1].split("</table>")[0]
    assert "已重办 1 次" in page
    assert history.count('data-kind="callback"') == 2
    assert history.index("第 1 次回访") < history.index("重办") < history.index("第 2 次回访")
    first_row, second_row = history.split("第 2 次回访")
    assert "未解决 · 不满意" in first_row
    assert "已解决 · 满意" in second_row


def test_the_ledger_lists_dissatisfied_orders_by_state(client, db, world):
    waiting = called_back(db, world, title="噪音未解决")
    rehandled = called_back(db, world, title="垃圾未清运")
    rehandle(db, world, rehandled.number, resolution="resolved", satisfaction="satisfied")
    ruled = called_back(db, world, title="要求拆除合法建筑")
    act(db, ruled.number, Action.RULE, world.reviewer, ruling="unreasonable", unreasonable_kind="beyond_reason",
        note="超出合理诉求范围")
    lukewarm = called_back(db, world, resolution="partly", satisfaction="basically", title="部分解决")
    pleased = called_back(db, world, resolution="resolved", satisfaction="satisfied", title="已满意")

    login(client, world.reviewer)
    rows = _ledger_rows(client.get("/dissatisfied").text)
    assert rows == {waiting.number: "waiting", rehandled.number: "rehandled", ruled.number: "ruled"}
    assert _ledger_rows(client.get("/dissatisfied?state=waiting").text) == {waiting.number: "waiting"}
    assert set(_ledger_rows(client.get("/dissatisfied?state=rehandled").text)) == {rehandled.number}
    assert set(_ledger_rows(client.get("/dissatisfied?state=ruled").text)) == {ruled.number}
    wide = _ledger_rows(client.get("/dissatisfied?wide=1").text)
    assert lukewarm.number in wide
    assert pleased.number not in wide


def test_the_ledger_filters_by_period_and_unit(client, db, world):
    with clock.frozen(datetime(2026, 10, 10, 10, 0, tzinfo=SHANGHAI)):
        october = called_back(db, world, title="十月的不满意")
    with clock.frozen(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)):
        november = called_back(db, world, title="十一月的不满意")
        other = make_order(db, world, title="另一街道的不满意")
        act(db, other.number, Action.DISPATCH, world.dispatcher, unit_id=world.other_street.id)
        act(db, other.number, Action.SIGN, world.other_handler)
        act(db, other.number, Action.REPLY, world.other_handler, note="已处理")
        act(db, other.number, Action.APPROVE, world.dispatcher)
        act(db, other.number, Action.CALLBACK, world.reviewer, reached=True, resolution="unresolved",
            satisfaction="unsatisfied")
    login(client, world.reviewer)
    with clock.frozen(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)):
        november_only = _ledger_rows(client.get("/dissatisfied?from=2026-11-01&to=2026-11-30").text)
        street_only = _ledger_rows(client.get(f"/dissatisfied?from=2026-10-01&unit={world.street.code}").text)
        bad_date = client.get("/dissatisfied?from=2026-13-01")
    assert set(november_only) == {november.number, other.number}
    assert set(street_only) == {october.number, november.number}
    assert bad_date.status_code == 422

    login(client, world.other_handler)  # a unit sees its own orders only
    with clock.frozen(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)):
        assert set(_ledger_rows(client.get("/dissatisfied").text)) == {other.number}
    login(client, world.operator)
    assert client.get("/dissatisfied").status_code == 403


def test_the_export_is_the_filtered_ledger(client, db, world):
    waiting = called_back(db, world, title="=SUM(A1) 噪音未解决")
    rehandled = called_back(db, world, title="垃圾未清运")
    rehandle(db, world, rehandled.number, resolution="resolved", satisfaction="satisfied")
    login(client, world.dispatcher)
    response = client.get("/dissatisfied/export?state=waiting")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("工单编号", "标题", "承办单位")
    # The title that looks like a formula comes back as the text it is.
    assert [(r[0], r[1], r[2], r[9]) for r in rows[1:]] == [
        (waiting.number, "=SUM(A1) 噪音未解决", "积玉桥街", "待重办")]

    everything = load_workbook(io.BytesIO(client.get("/dissatisfied/export").content)).active
    by_number = {r[0]: r for r in everything.iter_rows(min_row=2, values_only=True)}
    assert set(by_number) == {waiting.number, rehandled.number}
    assert by_number[rehandled.number][8] == 1  # re-handled once
    assert by_number[rehandled.number][9] == "已重办"
    assert by_number[rehandled.number][7] == "满意"  # the latest callback's answer


def test_two_rehandlings_suggest_a_review_ruling(client, db, world):
    order = called_back(db, world, title="反复不满意")
    rehandle(db, world, order.number, resolution="unresolved", satisfaction="unsatisfied")
    rehandle(db, world, order.number, resolution="unresolved", satisfaction="unsatisfied")
    login(client, world.reviewer)
    ledger = client.get("/dissatisfied").text.split('id="ledger"')[1]
    row = ledger.split(f'data-number="{order.number}"')[1].split("</tr>")[0]
    assert "建议审核认定" in row
    assert "<td>2 " in row
    assert "建议审核认定" in client.get(f"/orders/{order.number}").text


def test_an_online_rating_of_dissatisfied_puts_the_order_in_the_ledger_and_its_export(client, db, world):
    order = make_order(db, world, upto=Action.APPROVE, title="网上直评不满意")
    token = token_of(db, order)
    thanks = client.post(f"/r/{token}", data={"resolution": "partly", "satisfaction": "unsatisfied",
                                              "comment": "只修了一半"})
    assert thanks.status_code == 200

    login(client, world.reviewer)
    assert _ledger_rows(client.get("/dissatisfied").text) == {order.number: "waiting"}
    sheet = load_workbook(io.BytesIO(client.get("/dissatisfied/export").content)).active
    [row] = list(sheet.iter_rows(min_row=2, values_only=True))
    assert (row[0], row[6], row[7]) == (order.number, "部分解决", "不满意")
    history = client.get(f"/orders/{order.number}").text.split('id="callback-history"')[1].split("</table>")[0]
    assert "第 1 次回访" in history
    assert "部分解决 · 不满意" in history
    assert "网上直评" in history


def test_an_order_archived_without_rehandling_is_not_waiting_for_one(client, db, world):
    waiting = called_back(db, world, title="仍可重办")
    archived = called_back(db, world, title="不满意但已归档")
    act(db, archived.number, Action.ARCHIVE, world.reviewer)
    login(client, world.reviewer)
    assert _ledger_rows(client.get("/dissatisfied").text) == {waiting.number: "waiting",
                                                               archived.number: "archived"}
    assert _ledger_rows(client.get("/dissatisfied?state=waiting").text) == {waiting.number: "waiting"}
    assert _ledger_rows(client.get("/dissatisfied?state=archived").text) == {archived.number: "archived"}
    page = client.get("/dissatisfied").text
    row = page.split(f'data-number="{archived.number}"')[1].split("</tr>")[0]
    assert "已归档未重办" in row
    assert "待重办" not in row
    sheet = load_workbook(io.BytesIO(client.get("/dissatisfied/export?state=archived").content)).active
    assert [(r[0], r[9]) for r in sheet.iter_rows(min_row=2, values_only=True)] == [(archived.number, "已归档未重办")]


def test_the_ledger_names_the_category_and_keeps_its_code_on_hover(client, db, world):
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    order = make_order(db, world, title="占道经营")
    act(db, order.number, Action.DISPATCH, world.dispatcher, unit_id=world.street.id, category_code="010101")
    act(db, order.number, Action.SIGN, world.handler)
    act(db, order.number, Action.REPLY, world.handler, note="已处理")
    act(db, order.number, Action.APPROVE, world.dispatcher)
    act(db, order.number, Action.CALLBACK, world.reviewer, reached=True, resolution="unresolved",
        satisfaction="unsatisfied")
    login(client, world.reviewer)
    row = client.get("/dissatisfied").text.split(f'data-number="{order.number}"')[1].split("</tr>")[0]
    assert '<span title="010101 · 城乡建设 › 物业管理 › 物业收费">物业收费</span>' in row
    sheet = load_workbook(io.BytesIO(client.get("/dissatisfied/export").content)).active
    [exported] = list(sheet.iter_rows(min_row=2, values_only=True))
    assert (exported[3], exported[-1]) == ("城乡建设 › 物业管理 › 物业收费", "010101")
