"""Each community's QR poster: the code opens the report page with the community filled in, and a report sent
from it without a pin is placed in that community. Staff see the posters of the communities they serve."""

from __future__ import annotations

import re

import segno
from sqlalchemy import select

from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.write import import_map
from minhu.intake.qr_pages import code_svg
from minhu.orders.models import WorkOrder
from minhu.org import service as org_service
from minhu.org.models import Unit
from minhu.org.roles import Role, UnitKind
from tests.factories import PASSWORD
from tests.geo import mapdata
from tests.intake.test_pages import csrf_of, login


def test_the_poster_carries_a_code_of_the_communitys_report_page(client, db, world):
    login(client, world.admin)
    page = client.get("/qr")
    assert page.status_code == 200
    card = re.search(r'<section class="card qr-card" id="qr-S1C1">(.*?)</section>', page.text, flags=re.S)
    assert card is not None
    url = re.search(r'class="small muted mono qr-url">([^<]+)<', card.group(1)).group(1)
    assert url.endswith("/public/report?community=S1C1")
    assert "和平社区" in card.group(1)
    assert "积玉桥街" in card.group(1)
    assert str(code_svg(url)) in card.group(1), "the code drawn is the code of that address"
    assert segno.make(url, error="m").designator  # a code segno can make of it, at error level M


def test_staff_see_the_posters_of_the_communities_they_serve(client, db, world):
    with db.transaction() as s:
        street = s.get_one(Unit, world.other_street.id)
        other_community = org_service.create_unit(s, code="S2C1", name="东湖社区", kind=UnitKind.COMMUNITY,
                                                  parent=street)
        org_service.create_user(s, username="shequ2", password=PASSWORD, full_name="东湖社区 测试",
                                role=Role.HANDLER, unit=other_community)
    login(client, world.admin)
    everyone = client.get("/qr").text
    assert 'id="qr-S1C1"' in everyone
    assert 'id="qr-S2C1"' in everyone
    login(client, world.handler)  # 积玉桥街
    street_page = client.get("/qr").text
    assert 'id="qr-S1C1"' in street_page
    assert 'id="qr-S2C1"' not in street_page
    login(client, world.gridworker)  # 和平社区1网格
    assert 'id="qr-S1C1"' in client.get("/qr").text


def test_a_report_from_the_code_is_placed_in_the_community(client, db, world):
    import_map(db, parse_map(mapdata.small_city()))
    page = client.get("/public/report", params={"community": mapdata.C1})
    assert page.status_code == 200
    assert "您正在反映 <strong>和平社区</strong> 的问题" in page.text
    address = re.search(r'name="address"[^>]*value="([^"]*)"', page.text).group(1)
    assert address == "积玉桥街和平社区"

    sent = client.post("/public/report", data={
        "csrf_token": csrf_of(page.text), "idem": "qr-1", "type": "help", "title": "楼道灯不亮",
        "content": "5栋2单元楼道灯坏了。", "address": address, "citizen_phone": "13655556666"})
    assert sent.status_code == 200
    number = re.search(r'id="order-number">([A-Z0-9]+)<', sent.text).group(1)
    with db.read() as s:
        order = s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()
    assert order.community is not None
    assert order.community.name == "和平社区"


def test_an_unknown_or_wrong_code_opens_the_plain_page(client, world):
    for code in ("NOPE", "S1", "x" * 40):
        page = client.get("/public/report", params={"community": code})
        assert page.status_code == (422 if len(code) > 32 else 200)
        assert 'id="from-community"' not in page.text
