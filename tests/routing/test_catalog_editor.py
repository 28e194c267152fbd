"""The catalog editor: administrators change categories on the page or the API, and the next order is
routed by the catalog as it now stands; codes are never deleted nor reused; files go in whole or not at all."""

from __future__ import annotations

from sqlalchemy import select

from minhu.routing import catalog
from minhu.routing.models import Category
from tests.intake.test_pages import csrf_of, login

ORDER = {"type": "complaint", "channel": "hotline", "title": "无人机夜间扰民",
         "content": "楼下每晚有人放无人机，嗡嗡作响。"}


def test_a_keyword_added_on_the_page_routes_the_next_order_at_once(catalogued, world, client, token_for):
    before = client.post("/api/v1/orders", json=ORDER, headers=token_for(world.operator)).json()
    assert before["category_code"] != "020103"
    login(client, world.admin)
    page = client.get("/admin/catalog/020103")
    assert page.status_code == 200
    assert "社会生活噪音" in page.text
    saved = client.post("/admin/catalog/020103", data={
        "csrf_token": csrf_of(page.text), "name": "社会生活噪音", "grade": "B", "owner": "community",
        "limit_class": "normal", "keywords": "广场舞|楼上噪音 无人机、宠物叫"}, follow_redirects=False)
    assert saved.status_code == 303
    after = client.post("/api/v1/orders", json=ORDER, headers=token_for(world.operator)).json()
    assert (after["category_code"], after["grade"]) == ("020103", "B")
    with catalogued.read() as s:
        assert s.get(Category, "020103").keywords == ["广场舞", "楼上噪音", "无人机", "宠物叫"]


def test_the_api_changes_a_category_and_names_what_is_wrong(catalogued, world, client, token_for):
    admin = token_for(world.admin)
    changed = client.patch("/api/v1/catalog/090203", json={"grade": "B", "keywords": ["楼道堆物", "杂物堵门"]},
                           headers=admin)
    assert changed.status_code == 200
    assert (changed.json()["grade"], changed.json()["name"]) == ("B", "楼道堆物")
    missing = client.patch("/api/v1/catalog/090299", json={"grade": "B"}, headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "category_not_found"
    assert "090299" in missing.json()["error"]["message"]
    bad = client.patch("/api/v1/catalog/090203", json={"grade": "E", "keywords": ["a|b"]}, headers=admin)
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"grade", "keywords.0"}
    orphan = client.post("/api/v1/catalog", json={"parent": "0999", "name": "新分类", "grade": "B", "owner": "street",
                                                  "limit_class": "normal"}, headers=admin)
    assert orphan.status_code == 422
    assert orphan.json()["error"]["details"] == [{"field": "parent", "message": "上级分类 0999 不存在"}]
    twin = client.patch("/api/v1/catalog/090203", json={"name": "消防通道与消防设施"}, headers=admin)
    assert twin.status_code == 422
    assert "090202" in twin.json()["error"]["message"]


def test_a_new_category_takes_the_next_code_never_used(catalogued, world, client, token_for):
    admin = token_for(world.admin)
    body = {"parent": "0902", "name": "违规停放电动车", "grade": "A", "owner": "community", "limit_class": "normal",
            "keywords": ["楼道停电动车"]}
    first = client.post("/api/v1/catalog", json=body, headers=admin)
    assert first.status_code == 201
    assert first.json()["code"] == "090206"  # 0902 holds 090201–090205
    client.patch("/api/v1/catalog/090206", json={"active": False}, headers=admin)
    second = client.post("/api/v1/catalog", json={**body, "name": "阳台堆物"}, headers=admin)
    assert second.json()["code"] == "090207"  # the retired 090206 is still taken
    top = client.post("/api/v1/catalog", json={**body, "parent": None, "name": "营商服务"}, headers=admin)
    assert top.json()["code"] == "15"  # after 14, before the catch-all 99
    too_deep = client.post("/api/v1/catalog", json={**body, "parent": "090203", "name": "更细"}, headers=admin)
    assert too_deep.status_code == 422
    tree = client.get("/api/v1/catalog", headers=token_for(world.operator)).json()
    fire = next(c for c in next(n for n in tree if n["code"] == "09")["children"] if c["code"] == "0902")
    assert [c["code"] for c in fire["children"]][-1] == "090207"  # retired ones left out unless asked for


def test_retiring_keeps_old_orders_and_codes_and_routes_new_orders_elsewhere(catalogued, world, client,
                                                                             token_for, db):
    clutter = {**ORDER, "title": "楼道堆放杂物", "content": "楼道里堆满杂物，堵塞通道。"}
    old = client.post("/api/v1/orders", json=clutter, headers=token_for(world.operator)).json()
    assert old["category_code"] == "090203"
    login(client, world.admin)
    page = client.get("/admin/catalog/0902")
    retired = client.post("/admin/catalog/0902/retire", data={"csrf_token": csrf_of(page.text)})
    assert "已停用 6 个分类" in retired.text
    assert "090203" in retired.text
    new = client.post("/api/v1/orders", json=clutter, headers=token_for(world.operator)).json()
    assert not (new["category_code"] or "").startswith("0902")
    again = client.get(f"/api/v1/orders/{old['number']}", headers=token_for(world.dispatcher)).json()
    assert again["category_code"] == "090203"
    assert "楼道堆物" in client.get(f"/orders/{old['number']}").text  # the routing note still reads
    kept = client.get("/api/v1/catalog/090203", headers=token_for(world.operator)).json()
    assert (kept["name"], kept["active"]) == ("楼道堆物", False)
    assert "\n090203," not in client.get("/admin/catalog/export").text
    # Restoring the child alone is refused while its parent is retired; with the parent, it comes back.
    refused = client.post("/admin/catalog/090203/restore", data={"csrf_token": csrf_of(page.text)})
    assert "请先恢复上级" in refused.text
    client.post("/admin/catalog/0902/restore", data={"csrf_token": csrf_of(page.text), "with_children": "true"})
    with db.read() as s:
        assert all(c.active for c in s.scalars(select(Category).where(Category.code.startswith("0902"))))


def test_export_is_the_command_lines_file_and_a_bad_import_writes_nothing(catalogued, world, client):
    login(client, world.admin)
    exported = client.get("/admin/catalog/export")
    assert exported.headers["content-type"].startswith("text/csv")
    with catalogued.read() as s:
        assert exported.text == catalog.export_catalog(s)
    lines = exported.text.splitlines()
    lines[3] = lines[3].replace("物业收费", "物业收费标准")  # a good change on line 4 …
    lines[6] = lines[6].replace(",B,", ",X,", 1)  # … and a bad grade on line 7
    page = client.get("/admin/catalog")
    refused = client.post("/admin/catalog/import", data={"csrf_token": csrf_of(page.text)},
                          files={"file": ("catalog.csv", "\n".join(lines).encode(), "text/csv")})
    assert refused.status_code == 422
    assert "第 7 行" in refused.text
    assert "未载入任何内容" in refused.text
    with catalogued.read() as s:
        assert s.get(Category, "010101").name == "物业收费"
    lines[6] = exported.text.splitlines()[6]
    loaded = client.post("/admin/catalog/import", data={"csrf_token": csrf_of(page.text)},
                         files={"file": ("catalog.csv", "\n".join(lines).encode(), "text/csv")})
    assert "分类目录已导入" in loaded.text
    with catalogued.read() as s:
        assert s.get(Category, "010101").name == "物业收费标准"


def test_only_administrators_edit_the_catalog(catalogued, world, client, token_for):
    for person in (world.dispatcher, world.operator, world.handler):
        assert client.patch("/api/v1/catalog/090203", json={"grade": "B"},
                            headers=token_for(person)).status_code == 403
        created = client.post("/api/v1/catalog", json={"name": "x", "grade": "B", "owner": "street",
                                                       "limit_class": "normal"}, headers=token_for(person))
        assert created.status_code == 403
    assert client.get("/api/v1/catalog/090203", headers=token_for(world.handler)).status_code == 200
    login(client, world.dispatcher)
    assert client.get("/admin/catalog").status_code == 403
    assert client.get("/admin/catalog/090203").status_code == 403
    assert client.get("/admin/catalog/export").status_code == 403
    assert 'href="/admin/catalog"' not in client.get("/orders").text


def test_a_file_that_is_no_catalog_is_refused_not_choked_on(catalogued, world, client, token_for):
    admin = token_for(world.admin)
    header = "code,parent,name,grade,owner,limit_class,keywords\n"
    for raw, words in ((b"\x89PNG\r\n\x1a\n\x00\x00", "UTF-8"),
                       (header.encode() + "01,,城乡建设,C,department,normal,a\x00b\n".encode(), "NUL"),
                       (header.encode() + b'01,,"x\r', "第 2 行"),
                       (header.encode() + "01,,城乡建设,C,department,normal,房屋,物业\n".encode(), "第 2 行")):
        refused = client.post("/api/v1/catalog/import", files={"file": ("c.csv", raw, "text/csv")}, headers=admin)
        assert refused.status_code == 422, raw
        assert words in refused.text, raw
    assert client.get("/api/v1/catalog/0101", headers=admin).json()["name"] == "物业管理"
