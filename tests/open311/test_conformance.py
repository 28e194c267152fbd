"""GeoReport v2, section by section, in both formats: discovery, services and their definitions, creating a
request, tokens, reading requests, and the errors — each as a client written against the specification reads
it (XML through a real parser, element by element)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from minhu.app import create_app
from minhu.config import Settings
from minhu.core import clock
from minhu.open311.models import Open311Request
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status
from tests.open311.conftest import BASE, KEY
from tests.open311.wire import FORMATS, created_id, error_of, instant, post_request, read, text

SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")


def orders(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(WorkOrder)) or 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_its_formats_and_how_to_get_a_key(client, services, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    found = read(response, fmt, root="discovery")
    instant(found["changeset"])
    assert found["contact"]
    assert "api_key" in found["key_service"]
    [endpoint] = found["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list_the_published_categories_with_every_field(client, services, fmt):
    listed = read(client.get(f"{BASE}/services.{fmt}"), fmt, root="services", item="service")
    by_code = {s["service_code"]: s for s in listed}
    assert {"streetlight", "manhole", "garbage", "construction-noise"} <= set(by_code)
    for service in listed:
        assert set(service) == set(SERVICE_FIELDS)
        assert isinstance(service["service_code"], str)
        assert text(service["type"]) == "realtime"
    lamp = by_code["streetlight"]
    assert lamp["service_name"] == "市政路灯"
    assert lamp["group"] == "市政设施"
    assert text(lamp["metadata"]) == "true"
    assert text(by_code["garbage"]["metadata"]) == "false"
    assert "路灯不亮" in lamp["keywords"].split(",")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_lists_its_questions_in_order_with_their_values(client, services, fmt):
    found = read(client.get(f"{BASE}/services/manhole.{fmt}"), fmt, root="service_definition")
    assert found["service_code"] == "manhole"
    [situation] = found["attributes"]
    assert {k: text(v) for k, v in situation.items() if k != "values"} == {
        "variable": "true", "code": "situation", "datatype": "multivaluelist", "required": "true",
        "datatype_description": None, "order": "1", "description": "井盖的情况"}
    assert [(v["key"], v["name"]) for v in situation["values"]][:2] == [("missing", "缺失"), ("broken", "破损")]
    noise = read(client.get(f"{BASE}/services/construction-noise.{fmt}"), fmt)
    assert [(a["code"], a["datatype"]) for a in noise["attributes"]] == [("heard_at", "datetime"),
                                                                        ("nights", "number")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_posted_request_is_an_order_in_the_operators_lists_and_a_retry_is_the_same_request(
        client, services, db, token_for, fmt):
    response = post_request(client, fmt, **{"first_name": "小明", "last_name": "王", "email": "wang@example.cn",
                                            "phone": "13812345678", "attribute[pole_number]": "WC-0451"})
    assert response.status_code == 201
    [item] = read(response, fmt, root="service_requests", item="request")
    number = item["service_request_id"]
    assert isinstance(number, str)
    assert item["service_notice"] == "路灯故障一般在 3 个工作日内修复。"
    assert item["account_id"] is None

    again = post_request(client, fmt, **{"first_name": "小明", "last_name": "王", "email": "wang@example.cn",
                                         "phone": "13812345678", "attribute[pole_number]": "WC-0451"})
    assert again.status_code == 200
    assert created_id(again, fmt) == number
    assert orders(db) == 1

    headers = token_for(services.dispatcher)
    listed = client.get("/api/v1/orders", headers=headers).json()
    assert number in [o["number"] for o in listed["items"]], listed
    order = client.get(f"/api/v1/orders/{number}", headers=headers).json()
    assert order["status"] == Status.NEW.value
    assert order["citizen_name"] == "王小明"
    assert order["category_code"] == "080303", "the service the citizen chose is the order's category"
    assert "路灯出了什么问题：整夜不亮" in order["content"]
    assert "WC-0451" in order["content"]
    with db.read() as s:
        record = s.scalars(select(Open311Request)).one()
    assert record.answers == {"fault": "dark", "pole_number": "WC-0451"}
    assert record.email == "wang@example.cn"


def test_answers_of_every_datatype_are_kept_as_the_client_sent_them(client, services, db):
    number = created_id(post_request(client, service_code="construction-noise", **{
        "attribute[fault]": None, "attribute[heard_at]": "2026-12-01T23:40:00+08:00", "attribute[nights]": "3",
        "description": "工地每天夜里施工到凌晨"}))
    created_id(post_request(client, service_code="manhole", **{
        "attribute[fault]": None, "attribute[situation][]": ["missing", "noise"], "description": "井盖不见了"}))
    with db.read() as s:
        answers = {r.service_code: r.answers for r in s.scalars(select(Open311Request))}
        content = s.scalar(select(WorkOrder.content).where(WorkOrder.number == number))
    assert answers["manhole"] == {"situation": ["missing", "noise"]}
    assert answers["construction-noise"]["nights"] == "3"
    assert "最近一次听到噪音的时间：2026-12-01 23:40" in content


@pytest.mark.parametrize("fmt", FORMATS)
def test_tokens_lead_to_the_request(client, services, fmt):
    response = post_request(client, fmt, extensions="true")
    [item] = read(response, fmt, item="request")
    [plain] = read(post_request(client, fmt), fmt, item="request")
    assert plain == {"service_request_id": item["service_request_id"], "service_notice": item["service_notice"],
                     "account_id": None}, "asking for the token is the same request"
    found = read(client.get(f"{BASE}/tokens/{item['token']}.{fmt}"), fmt, root="service_requests", item="request")
    assert found == [{"service_request_id": item["service_request_id"], "token": item["token"]}]
    missing = client.get(f"{BASE}/tokens/no-such-token.{fmt}")
    assert missing.status_code == 404
    assert "token" in error_of(missing, fmt)["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_reads_back_every_field_and_no_personal_data(client, services, fmt):
    number = created_id(post_request(
        client, first_name="小明", last_name="王", email="wang@example.cn", phone="13812345678", device_id="device-77",
        media_url="https://img.example.cn/lamp.jpg", description="路灯不亮，有事打我电话13812345678",
        address_string="积玉桥街和平大道88号"))
    response = client.get(f"{BASE}/requests/{number}.{fmt}")
    [item] = read(response, fmt, root="service_requests", item="request")
    assert tuple(item) == REQUEST_FIELDS
    assert item["service_request_id"] == number
    assert item["status"] == "open"
    assert item["service_code"] == "streetlight"
    assert item["service_name"] == "市政路灯"
    assert item["description"] == "路灯不亮，有事打我电话138****5678"
    assert item["agency_responsible"] == "区12345指挥中心"
    assert instant(item["requested_datetime"]) <= instant(item["updated_datetime"])
    assert instant(item["expected_datetime"]) > instant(item["requested_datetime"])
    assert float(item["lat"]) == pytest.approx(30.5526)
    assert float(item["long"]) == pytest.approx(114.3053)
    assert item["media_url"] == "https://img.example.cn/lamp.jpg"
    for secret in ("王小明", "小明", "wang@example.cn", "13812345678", "device-77"):
        assert secret not in response.text
    assert client.get(f"{BASE}/requests/WC99999999999999.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_filter_by_id_service_status_and_dates(client, services, db, fmt):
    lamp = created_id(post_request(client))
    manhole = created_id(post_request(client, service_code="manhole", **{
        "attribute[fault]": None, "attribute[situation][]": "missing", "description": "井盖丢了"}))

    def ids(query: str) -> list[str]:
        response = client.get(f"{BASE}/requests.{fmt}?{query}")
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in read(response, fmt, root="service_requests", item="request")]

    assert ids("") == [manhole, lamp]  # newest first
    assert ids("service_code=manhole") == [manhole]
    # service_request_id overrides every other filter
    assert ids(f"service_request_id={lamp},{manhole}&service_code=manhole&status=closed") == [manhole, lamp]
    assert ids("status=closed") == []
    assert ids("status=open,closed") == [manhole, lamp]
    future = (clock.now() + timedelta(days=1)).date().isoformat()
    assert ids(f"start_date={future}") == []
    # empty parameters are absent
    assert ids("service_code=&status=&start_date=&end_date=") == [manhole, lamp]
    assert ids("page=2&page_size=1") == [lamp]


@pytest.mark.parametrize(("path", "fields", "status", "says"), [
    ("requests", {"service_code": "nope"}, 400, "service_code"),
    ("requests", {"service_code": None}, 400, "service_code"),
    ("requests", {"lat": None, "long": None}, 400, "address_string"),
    ("requests", {"long": None}, 400, "lat"),
    ("requests", {"lat": "91"}, 400, "lat"),
    ("requests", {"attribute[fault]": "purple"}, 400, "fault"),
    ("requests", {"attribute[fault]": None}, 400, "fault"),
    ("requests", {"service_code": "manhole", "attribute[situation]": "missing"}, 400, "attribute[situation][]"),
    ("requests", {"description": "路" * 4001}, 400, "description"),
    ("requests", {"api_key": "wrong-key"}, 403, "api_key"),
    ("requests", {"api_key": None}, 403, "api_key"),
    ("requests", {"phone": "12345"}, 400, "phone"),
    ("requests", {"email": "not-an-address"}, 400, "email"),
    ("requests", {"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ("requests", {"address_id": "NO-SUCH-UNIT", "lat": None, "long": None}, 400, "address_id"),
])
def test_a_refused_request_gets_the_specifications_error_and_creates_nothing(client, services, db, path, fields,
                                                                             status, says):
    for fmt in FORMATS:
        response = post_request(client, fmt, **fields)
        assert response.status_code == status, response.text
        assert says in error_of(response, fmt)["description"]
    assert orders(db) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_bodies_paths_and_queries_the_specification_does_not_know_are_refused_in_its_words(client, services, db,
                                                                                           fmt):
    as_json = client.post(f"{BASE}/requests.{fmt}", json={"api_key": KEY, "service_code": "streetlight"})
    assert as_json.status_code == 400
    assert "form" in error_of(as_json, fmt)["description"]
    span = client.get(f"{BASE}/requests.{fmt}?start_date=2026-01-01&end_date=2026-06-01")
    assert span.status_code == 400
    assert "90" in error_of(span, fmt)["description"]
    backwards = client.get(f"{BASE}/requests.{fmt}?start_date=2026-06-01&end_date=2026-05-01")
    assert backwards.status_code == 400
    assert client.get(f"{BASE}/requests.{fmt}?start_date=yesterday").status_code == 400
    assert client.get(f"{BASE}/requests.{fmt}?status=pending").status_code == 400
    assert client.get(f"{BASE}/requests.{fmt}?page_size=5000").status_code == 400
    assert client.get(f"{BASE}/nothing.{fmt}").status_code == 404
    assert client.post(f"{BASE}/services.{fmt}").status_code == 400
    assert orders(db) == 0


def test_an_unknown_format_suffix_is_refused_in_xml(client, services):
    for path in ("services.csv", "services", "discovery.html"):
        response = client.get(f"{BASE}/{path}")
        assert response.status_code == 404
        assert "xml" in error_of(response, "xml")["description"]


def test_with_several_jurisdictions_each_call_names_a_known_one(db, services, tmp_path):
    settings = Settings(home=tmp_path / "home", database_url=db.url, secret_key="test-secret",
                        open311_jurisdictions=["wuchang.wuhan.gov.cn", "wuhan.gov.cn"], open311_base="/georeport/v2")
    with TestClient(create_app(settings, db=db)) as client:
        missing = client.get("/georeport/v2/services.json")
        assert missing.status_code == 400
        assert "jurisdiction_id" in error_of(missing, "json")["description"]
        unknown = client.get("/georeport/v2/services.xml?jurisdiction_id=beijing.gov.cn")
        assert unknown.status_code == 404
        assert "jurisdiction_id" in error_of(unknown, "xml")["description"]
        known = client.get("/georeport/v2/services.json?jurisdiction_id=wuhan.gov.cn")
        assert known.status_code == 200
        assert "streetlight" in [service["service_code"] for service in known.json()]
        posted = client.post("/georeport/v2/requests.json", data={
            "jurisdiction_id": "wuchang.wuhan.gov.cn", "api_key": KEY, "service_code": "garbage",
            "address_string": "积玉桥街和平大道", "description": "垃圾桶满了三天没人清运"})
        assert posted.status_code == 201, posted.text
        assert client.get("/open311/v2/services.json").status_code == 404


def test_a_single_jurisdiction_is_optional_but_checked(db, services, tmp_path):
    settings = Settings(home=tmp_path / "home", database_url=db.url, secret_key="test-secret",
                        open311_jurisdictions=["wuhan.gov.cn"])
    with TestClient(create_app(settings, db=db)) as client:
        assert client.get(f"{BASE}/services.json").status_code == 200
        assert client.get(f"{BASE}/services.json?jurisdiction_id=wuhan.gov.cn").status_code == 200
        assert client.get(f"{BASE}/services.json?jurisdiction_id=other").status_code == 404


def test_utf8_arrives_intact_escaped_or_raw_and_anything_else_is_refused(client, services, db):
    raw = "api_key=demo-open311-key&service_code=garbage&address_string=积玉桥街和平大道&description=垃圾三天没人清运"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    number = created_id(client.post(f"{BASE}/requests.json", content=raw.encode("utf-8"), headers=headers))
    [item] = client.get(f"{BASE}/requests/{number}.json").json()
    assert item["description"] == "垃圾三天没人清运"
    assert item["address"] == "积玉桥街和平大道"
    latin = client.post(f"{BASE}/requests.json", content="description=caf\xe9".encode("latin-1"), headers=headers)
    assert latin.status_code == 400
    assert "UTF-8" in error_of(latin, "json")["description"]
    escaped = client.post(f"{BASE}/requests.json", content=b"description=%E9%E9", headers=headers)
    assert escaped.status_code == 400
    assert orders(db) == 1


@pytest.mark.parametrize(("method", "path", "fields"), [
    ("GET", "tokens/%00.xml", {}),
    ("GET", "requests/%00.json", {}),
    ("GET", "services/%01.xml", {}),
    ("GET", "requests.xml?service_request_id=%00", {}),
    ("GET", "requests.json?end_date=0001-01-02", {}),
    ("GET", "requests.json?start_date=9999-12-30", {}),
    ("GET", "requests.xml?start_date=0001-01-01T00:00:00%2B14:00", {}),
    ("GET", "requests.json?page=%C2%B2", {}),
    ("POST", "requests.xml", {"device_id": "\x00"}),
    ("POST", "requests.json", {"description": "路灯\x0b不亮"}),
    ("POST", "requests.json", {"extensions": "maybe"}),
    ("POST", "requests.xml", {"service_code": "construction-noise", "attribute[fault]": None,
                              "attribute[heard_at]": "0001-01-01T00:00:00+14:00"}),
    ("POST", "servicerequestupdates.json", {"service_request_id": "WC1", "description": "\x00"}),
])
def test_malformed_input_is_refused_well_formed_and_never_makes_an_order(client, services, db, method, path,
                                                                         fields):
    fmt = "json" if ".json" in path else "xml"
    if method == "GET":
        response = client.get(f"{BASE}/{path}")
    elif path.startswith("requests"):
        response = post_request(client, fmt, **fields)
    else:
        response = client.post(f"{BASE}/{path}", data={"api_key": KEY, **fields})
    assert response.status_code in (400, 404), response.text
    assert error_of(response, fmt)["description"]
    assert orders(db) == 0


def test_multipart_bodies_are_utf8_and_fixmystreets_repeated_choices_are_a_list(client, services, db):
    fields = {"api_key": KEY, "service_code": "manhole", "lat": "30.5526", "long": "114.3053",
              "description": "井盖丢了，晚上很危险"}
    parts = [(name, (None, value.encode("utf-8"))) for name, value in fields.items()]
    parts += [("attribute[situation]", (None, b"missing")), ("attribute[situation]", (None, b"noise"))]
    number = created_id(client.post(f"{BASE}/requests.json", files=parts))
    [item] = client.get(f"{BASE}/requests/{number}.json").json()
    assert item["description"] == "井盖丢了，晚上很危险"
    with db.read() as s:
        assert s.scalars(select(Open311Request.answers)).one() == {"situation": ["missing", "noise"]}
    gbk = [*parts[:4], ("description", (None, "井盖破了".encode("gbk")))]
    refused = client.post(f"{BASE}/requests.json", files=gbk)
    assert refused.status_code == 400
    assert "UTF-8" in error_of(refused, "json")["description"]
    assert orders(db) == 1


def test_the_window_ends_where_end_date_says(client, services):
    number = created_id(post_request(client))
    before = (clock.now() - timedelta(days=1)).date().isoformat()
    after = (clock.now() + timedelta(days=2)).date().isoformat()
    assert client.get(f"{BASE}/requests.json?end_date={before}").json() == []
    found = client.get(f"{BASE}/requests.json?end_date={after}").json()
    assert [r["service_request_id"] for r in found] == [number]
