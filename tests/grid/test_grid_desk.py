"""The grid worker's phone page (网格工作台): a patrol walked with its points, household visits, a problem found
on the spot reported with photos, an A-level matter solved there registered and replied in one step; and the
property company's and owners' committee's own accounts registering what residents bring them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from minhu.core import clock
from minhu.core.db import Database
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.write import import_map
from minhu.notify.models import OutboxMessage
from minhu.orders.enums import Channel, Grade
from minhu.orders.models import Attachment, OrderEvent, WorkOrder
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.models import Unit, User
from minhu.org.roles import Role, UnitKind
from minhu.people import figures
from minhu.people.models import GridRound, GridRoundPoint, RoundKind
from minhu.people.service import PATROL_LONGEST
from minhu.routing import service as routing
from minhu.web.period import period
from tests.factories import PASSWORD, World, act
from tests.geo import mapdata
from tests.geo.mapdata import G1
from tests.intake.test_pages import csrf_of, login
from tests.intake.test_photos import phone_photo

# 小区公共设施维修 is grade A in the default catalog; 小区停车管理 (010104) is not.
A_ITEM = "010103"


@pytest.fixture
def g1_worker(db: Database, world: World, catalogued: Database) -> User:
    """A grid worker of 和平社区1网格 on a drawn map, where reports find their grid."""
    import_map(db, parse_map(mapdata.small_city()))
    with db.transaction() as s:
        grid = s.scalars(select(Unit).where(Unit.code == G1)).one()
        return org_service.create_user(s, username="g1worker", password=PASSWORD, full_name="网格员 李娜",
                                       role=Role.GRIDWORKER, unit=grid)


def _desk(client: TestClient, user: User) -> str:
    login(client, user)
    page = client.get("/grid")
    assert page.status_code == 200
    return csrf_of(page.text)


def _photo(client: TestClient, csrf: str) -> str:
    sent = client.post("/public/photos", files={"photo": ("IMG_1.jpg", phone_photo(size=(320, 240)), "image/jpeg")},
                       headers={"X-CSRF-Token": csrf, "Accept": "application/json"})
    assert sent.status_code == 201
    token: str = sent.json()["token"]
    return token


def _orders(db: Database) -> list[WorkOrder]:
    with db.read() as s:
        return list(s.scalars(select(WorkOrder).order_by(WorkOrder.id)))


def test_a_patrol_is_started_marked_on_the_way_and_ended(client, db, world) -> None:
    csrf = _desk(client, world.gridworker)
    started = client.post("/grid/patrols", data={"csrf_token": csrf})
    assert "巡查已开始" in started.text
    assert "巡查进行中" in started.text
    with db.read() as s:
        patrol = s.scalars(select(GridRound)).one()
    again = client.post("/grid/patrols", data={"csrf_token": csrf})
    assert "已有一次巡查正在进行" in again.text

    for lat, lon, note in ((30.5526, 114.3053, "3栋门口"), (30.5531, 114.3060, "")):
        marked = client.post(f"/grid/patrols/{patrol.id}/points",
                             data={"csrf_token": csrf, "latitude": str(lat), "longitude": str(lon), "note": note})
        assert "已记录位置" in marked.text
    no_position = client.post(f"/grid/patrols/{patrol.id}/points", data={"csrf_token": csrf, "latitude": ""})
    assert "未取得当前位置" in no_position.text
    ended = client.post(f"/grid/patrols/{patrol.id}/end", data={"csrf_token": csrf, "note": "沿和平大道巡查一圈"})

    assert "巡查已结束" in ended.text
    assert "记录位置 2 个" in ended.text
    assert "开始巡查" in ended.text  # a new patrol may start
    with db.read() as s:
        kept = s.get_one(GridRound, patrol.id)
        points = s.scalars(select(GridRoundPoint).order_by(GridRoundPoint.id)).all()
    assert (kept.kind, kept.grid_id, kept.note, kept.ended_at is not None) == (
        RoundKind.PATROL, world.grid.id, "沿和平大道巡查一圈", True)
    assert [(p.latitude, p.longitude, p.note) for p in points] == [(30.5526, 114.3053, "3栋门口"),
                                                                  (30.5531, 114.306, "")]
    # An ended patrol takes no more points.
    late = client.post(f"/grid/patrols/{patrol.id}/points",
                       data={"csrf_token": csrf, "latitude": "30.55", "longitude": "114.30"})
    assert "这次巡查不存在或已结束" in late.text


def test_a_patrol_left_open_ends_by_itself_at_its_last_sign_of_life(client, db, world) -> None:
    csrf = _desk(client, world.gridworker)
    client.post("/grid/patrols", data={"csrf_token": csrf})
    with db.read() as s:
        patrol = s.scalars(select(GridRound)).one()
    client.post(f"/grid/patrols/{patrol.id}/points", data={"csrf_token": csrf, "latitude": "30.55",
                                                          "longitude": "114.30"})
    with db.read() as s:
        last = s.scalars(select(GridRoundPoint.at)).one()

    with clock.frozen(last + PATROL_LONGEST + timedelta(minutes=1)):
        csrf = _desk(client, world.gridworker)  # the next morning, signed in again
        assert "巡查进行中" not in client.get("/grid").text
        started = client.post("/grid/patrols", data={"csrf_token": csrf})
        assert "巡查已开始" in started.text
    with db.read() as s:
        assert s.get_one(GridRound, patrol.id).ended_at == last
        assert len(s.scalars(select(GridRound)).all()) == 2


def test_another_workers_patrol_cannot_be_marked(client, db, world) -> None:
    with db.transaction() as s:
        other = org_service.create_user(s, username="grid2", password=PASSWORD, full_name="网格员 二",
                                        role=Role.GRIDWORKER, unit=s.merge(world.grid))
    csrf = _desk(client, world.gridworker)
    client.post("/grid/patrols", data={"csrf_token": csrf})
    with db.read() as s:
        patrol = s.scalars(select(GridRound)).one()
    client.post("/logout", data={"csrf_token": csrf})
    csrf = _desk(client, other)

    refused = client.post(f"/grid/patrols/{patrol.id}/end", data={"csrf_token": csrf, "note": "x"})

    assert "这次巡查不存在或已结束" in refused.text
    with db.read() as s:
        assert s.get_one(GridRound, patrol.id).ended_at is None


def test_a_household_visit_names_its_household(client, db, world) -> None:
    csrf = _desk(client, world.gridworker)
    empty = client.post("/grid/visits", data={"csrf_token": csrf, "household": " ", "note": "了解情况"})
    assert "请填写走访的住户" in empty.text

    done = client.post("/grid/visits", data={"csrf_token": csrf, "household": "3栋2单元401 王家",
                                             "note": "独居老人，水管漏水"})

    assert "已登记入户走访：3栋2单元401 王家" in done.text
    assert "独居老人，水管漏水" in done.text  # listed among the week's rounds
    with db.read() as s:
        visit = s.scalars(select(GridRound)).one()
    assert (visit.kind, visit.household, visit.note) == (RoundKind.VISIT, "3栋2单元401 王家", "独居老人，水管漏水")


def test_only_grid_workers_have_the_desk(client, world) -> None:
    login(client, world.handler)
    assert client.get("/grid").status_code == 403
    assert client.get("/grid/report").status_code == 403


def test_a_problem_found_is_reported_with_its_photo_and_waits_for_the_centre(client, db, g1_worker) -> None:
    login(client, g1_worker)
    csrf = csrf_of(client.get("/grid/report").text)
    token = _photo(client, csrf)
    form = {"csrf_token": csrf, "idem": "grid-found-1", "type": "report", "title": "5栋楼道堆放杂物",
            "content": "5栋2单元楼道堆满纸箱，堵住消防通道。", "photos": [token]}

    sent = client.post("/grid/report", data=form)
    again = client.post("/grid/report", data=form)  # a second tap sends the same form

    assert "问题已上报" in sent.text
    (order,) = _orders(db)
    assert again.status_code == 200
    assert (order.channel, order.status, order.created_by_id, order.grid_id) == (
        Channel.GRID_PATROL, Status.NEW, g1_worker.id, g1_worker.unit_id)
    with db.read() as s:
        kept = s.scalars(select(Attachment.filename).where(Attachment.order_id == order.id)).all()
    assert kept == ["现场照片1.jpg"]
    assert order.number in client.get("/grid").text  # among what the worker reported


def test_an_a_level_matter_solved_on_the_spot_is_registered_and_replied_in_one_step(client, db, world,
                                                                                   g1_worker) -> None:
    login(client, g1_worker)
    csrf = csrf_of(client.get("/grid/report?solved=1").text)
    before, after = _photo(client, csrf), _photo(client, csrf)

    sent = client.post("/grid/report", data={
        "csrf_token": csrf, "idem": "grid-solved-1", "type": "report", "title": "3栋单元门闭门器损坏",
        "content": "3栋1单元门的闭门器坏了，门关不上。", "citizen_name": "王阿姨", "citizen_phone": "13812345678",
        "photos": [before], "solved": "1", "category_code": A_ITEM,
        "outcome": "已联系物业当场更换闭门器，门已能正常关闭。", "after_photos": [after]})

    assert "已登记就地解决" in sent.text
    (order,) = _orders(db)
    assert (order.status, order.owner_unit_id, order.grade, order.category_code) == (
        Status.REPLIED, g1_worker.unit_id, Grade.A, A_ITEM)
    assert order.reply_text == "已联系物业当场更换闭门器，门已能正常关闭。"
    assert order.replied_at == order.responded_at == order.dispatched_at
    with db.read() as s:
        actions = s.scalars(select(OrderEvent.action).where(OrderEvent.order_id == order.id)
                            .order_by(OrderEvent.id)).all()
        names = s.scalars(select(Attachment.filename).where(Attachment.order_id == order.id)
                          .order_by(Attachment.id)).all()
    assert actions == [Action.CREATE, Action.ATTACH, Action.ATTACH, Action.SOLVE_ON_SPOT]
    assert names == ["处置前照片1.jpg", "处置后照片1.jpg"]

    # The centre reviews it as any reply; the resident is asked, and it counts for the grid.
    act(db, order.number, Action.APPROVE, world.dispatcher)
    with db.read() as s:
        texted = s.scalars(select(OutboxMessage).where(OutboxMessage.template_key == "order.rate")).all()
        assert [m.recipient for m in texted] == ["13812345678"]
        found = figures.people_figures(s, period(None, None), s.merge(world.dispatcher))
    (row,) = [r for r in found.grids if r.unit.id == g1_worker.unit_id]
    assert (row.counts.found, row.counts.a_level, row.counts.a_on_the_spot) == (1, 1, 1)


def test_only_an_a_level_matter_on_the_workers_grid_with_its_after_photo_is_solved_on_the_spot(client, db,
                                                                                             g1_worker) -> None:
    login(client, g1_worker)
    csrf = csrf_of(client.get("/grid/report?solved=1").text)
    base = {"csrf_token": csrf, "type": "report", "title": "小区停车位被占", "content": "小区里的车位被外来车辆占用。",
            "solved": "1", "outcome": "已劝离"}

    no_photo = client.post("/grid/report", data={**base, "idem": "a", "category_code": A_ITEM})
    after = _photo(client, csrf)
    not_a = client.post("/grid/report", data={**base, "idem": "b", "category_code": "010104", "after_photos": [after]})

    # In 和平社区2网格, next door: not this worker's grid.
    elsewhere = client.post("/grid/report", data={**base, "idem": "c", "category_code": A_ITEM, "after_photos": [after],
                                                  "latitude": "30.55", "longitude": "114.315"})

    assert no_photo.status_code == 422
    assert "请添加处置后的照片" in no_photo.text
    assert not_a.status_code == 422
    assert "只有 A 级简易事件可以就地解决" in not_a.text
    assert elsewhere.status_code == 422
    assert "不在您的网格内" in elsewhere.text
    assert 'value="小区停车位被占"' in elsewhere.text  # the form comes back as it was sent
    assert _orders(db) == []


def test_a_second_tap_on_a_solved_form_registers_nothing_more_and_says_so(client, db, g1_worker) -> None:
    login(client, g1_worker)
    csrf = csrf_of(client.get("/grid/report?solved=1").text)
    after = _photo(client, csrf)
    form = {"csrf_token": csrf, "idem": "twice", "type": "report", "title": "健身器材螺丝松动",
            "content": "和平社区广场的健身器材螺丝松动。", "solved": "1", "category_code": "040601",
            "outcome": "已当场拧紧螺丝。", "after_photos": [after, after]}

    first = client.post("/grid/report", data=form)
    second = client.post("/grid/report", data=form)  # its photo went with the first

    assert "已登记就地解决" in first.text
    assert "已登记就地解决" in second.text
    (order,) = _orders(db)
    with db.read() as s:
        kept = s.scalars(select(Attachment.filename).where(Attachment.order_id == order.id)).all()
    assert kept == ["处置后照片1.jpg"]  # one photo sent twice in the form is kept once


def test_a_changed_form_sent_again_is_told_and_then_registers(client, db, g1_worker) -> None:
    login(client, g1_worker)
    csrf = csrf_of(client.get("/grid/report").text)
    base = {"csrf_token": csrf, "idem": "changed", "type": "report", "content": "5栋楼道堆放纸箱杂物。"}
    client.post("/grid/report", data={**base, "title": "5栋楼道堆物"})

    changed = client.post("/grid/report", data={**base, "title": "5栋2单元楼道堆物"})
    assert changed.status_code == 409
    assert "此表单已提交过" in changed.text
    again = client.post("/grid/report", data={**base, "title": "5栋2单元楼道堆物", "idem": csrf_of_idem(changed.text)})

    assert "问题已上报" in again.text
    assert [o.title for o in _orders(db)] == ["5栋楼道堆物", "5栋2单元楼道堆物"]


def csrf_of_idem(html: str) -> str:
    found = re.search(r'name="idem" value="([^"]+)"', html)
    assert found, "the form has no key"
    return found.group(1)


def test_a_category_not_on_the_list_is_refused_not_guessed(client, db, g1_worker) -> None:
    login(client, g1_worker)
    csrf = csrf_of(client.get("/grid/report?solved=1").text)
    refused = client.post("/grid/report", data={
        "csrf_token": csrf, "idem": "unknown", "type": "report", "title": "单元门闭门器损坏", "content": "门关不上。",
        "solved": "1", "category_code": "999999", "outcome": "已修好", "after_photos": [_photo(client, csrf)]})

    assert refused.status_code == 422
    assert "请选择就地解决的 A 级事项" in refused.text
    assert _orders(db) == []


def test_a_grid_worker_cannot_register_through_another_channel(client, db, g1_worker) -> None:
    login(client, g1_worker)
    page = client.get("/orders/new")
    sent = client.post("/orders/new", data={"csrf_token": csrf_of(page.text), "idem": "ch", "type": "help",
                                            "channel": "hotline", "title": "路灯不亮", "content": "3栋路灯不亮。"})
    assert sent.status_code == 422
    assert "只能选择本单位的来源渠道" in sent.text
    assert _orders(db) == []


def test_the_a_level_choices_are_the_streets_own_list_when_it_has_one(db, world, catalogued) -> None:
    with db.read() as s:
        items = routing.a_level_items(s, world.street.id)
    assert A_ITEM in {i.code for i in items}
    assert "010104" not in {i.code for i in items}


@pytest.mark.parametrize("kind", [UnitKind.PROPERTY, UnitKind.COMMITTEE])
def test_a_property_company_or_owners_committee_registers_what_residents_bring(client, db, world: World,
                                                                             kind: UnitKind) -> None:
    with db.transaction() as s:
        unit = org_service.create_unit(s, code=f"S1C1-{kind.value}", name=f"幸福里{kind.value}", kind=kind,
                                       parent=s.merge(world.community))
        account = org_service.create_user(s, username="estate", password=PASSWORD, full_name="物业 客服",
                                          role=Role.HANDLER, unit=unit)
    login(client, account)
    page = client.get("/orders/new")
    assert page.status_code == 200
    assert "物业/业委会代报" in page.text

    sent = client.post("/orders/new", data={"csrf_token": csrf_of(page.text), "idem": "estate-1", "type": "help",
                                            "channel": "neighbourhood", "title": "5栋电梯经常停运",
                                            "content": "居民反映5栋电梯一周停了三次，老人上下楼困难。",
                                            "citizen_name": "刘先生", "citizen_phone": "13907151234"})

    assert sent.status_code == 200
    (order,) = _orders(db)
    assert (order.channel, order.status, order.created_by_id) == (Channel.NEIGHBOURHOOD, Status.NEW, account.id)
    assert order.number in client.get("/orders").text  # they follow what they registered


def test_a_departments_handler_still_registers_nothing(client, db, world) -> None:
    with db.transaction() as s:
        clerk = org_service.create_user(s, username="dept", password=PASSWORD, full_name="部门 承办",
                                        role=Role.HANDLER, unit=s.merge(world.department))
    login(client, clerk)
    assert client.get("/orders/new").status_code == 403
