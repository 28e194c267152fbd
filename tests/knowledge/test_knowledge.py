"""The knowledge base (知识库): a clerk finds the article by the words they type — a synonym or a typo still
finds it, search syntax typed by a user is only text — on either database with the same ranking; an order is
offered only articles in force; every save keeps a version; files are imported whole or not at all; a settled
order becomes a past case the next order like it is shown, and a well-solved one a guiding case."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
from docx import Document
from sqlalchemy import select

from minhu.core.errors import Conflict, Forbidden, InvalidInput
from minhu.knowledge import queries, service
from minhu.knowledge.models import ArticleKind, ArticleState, ArticleVersion, PastCase
from minhu.knowledge.schemas import ArticleCreate, ArticleUpdate, CasePromotion
from minhu.orders.states import Action, Status
from minhu.routing import catalog
from tests.factories import make_order
from tests.intake.test_pages import csrf_of, login

NOISE = ("夜间施工噪音扰民的处理规定",
         "在噪声敏感建筑物集中区域，禁止夜间进行产生噪声的建筑施工作业。晚上十点至次日早晨六点为夜间。")
GARBAGE = ("生活垃圾分类投放指南", "居民应当按照厨余垃圾、可回收物、有害垃圾和其他垃圾分类投放。")
BENEFIT = ("低保申请条件和流程", "家庭人均收入低于最低生活保障标准的，向户籍所在地街道提出申请，社区可代为受理。")
PARKING = ("小区停车收费标准", "物业服务企业收取停车费应当公示收费标准，按照物业服务合同约定执行。")


def add(db, title: str, body: str, *, kind: ArticleKind = ArticleKind.ANSWER, actor=None, **fields) -> int:
    with db.transaction() as s:
        return service.create_article(s, ArticleCreate(kind=kind, title=title, body=body, **fields),
                                      actor=actor).id


def titles(db, text: str, **options) -> list[str]:
    with db.read() as s:
        return [f.article.title for f in queries.search_articles(s, text, **options)]


@pytest.fixture
def shelf(db):
    return {title: add(db, title, body) for title, body in (NOISE, GARBAGE, BENEFIT, PARKING)}


def test_a_clerk_finds_the_article_by_the_words_they_type_best_first(db, shelf):
    assert titles(db, "工地晚上施工太吵")[0] == NOISE[0]
    assert titles(db, "低保怎么申请")[0] == BENEFIT[0]
    assert titles(db, "物业乱收停车费")[0] == PARKING[0]
    # Each search names what answers it, and not the articles about something else.
    assert GARBAGE[0] not in titles(db, "低保怎么申请")


def test_a_synonym_or_a_typo_still_finds_the_article(db, shelf):
    assert titles(db, "噪声")[0] == NOISE[0]  # the article says 噪音 in its title; 噪声 is in the synonym list
    assert titles(db, "拉圾分类")[0] == GARBAGE[0]  # a miswriting the list knows
    assert titles(db, "垃极分类投放")[0] == GARBAGE[0]  # one it does not: the title's character pairs forgive it


@pytest.mark.parametrize("typed", ['"噪音" NEAR(施工 扰民)', "噪音*", "-噪音 OR 垃圾", "(低保", "'; DROP TABLE x; --",
                                   "噪音 AND NOT", "\\'\"", "．。，！"])
def test_search_syntax_typed_by_a_user_is_only_text(db, shelf, typed):
    found = titles(db, typed)  # never an error
    if "噪音" in typed:
        assert found[0] == NOISE[0]


def test_one_character_five_thousand_or_nothing_all_answer(db, shelf):
    assert NOISE[0] in titles(db, "噪")  # one character: the titles and texts that hold it
    assert titles(db, "低保" + "的" * 5_000)[0] == BENEFIT[0]  # a pasted page is read by its rarest words
    assert len(titles(db, "")) == 4  # nothing typed: the newest articles


def test_ranking_is_the_same_on_either_database_and_stable(db, shelf):
    """The database only finds candidates; minhu ranks them by BM25 over jieba's word rarities, so SQLite and
    PostgreSQL (this suite runs on both) give this exact order, and scores, for the same rows."""
    with db.read() as s:
        found = queries.search_articles(s, "物业收费和垃圾分类")
    assert [f.article.title for f in found][:2] == [GARBAGE[0], PARKING[0]]
    assert found[0].score > found[1].score > 0
    assert "<mark>" in str(found[0].snippet_html)


def test_an_order_is_offered_only_articles_in_force(db, world):
    today = service.today()
    current = add(db, "物业费收费标准（现行）", "物业费按合同约定收取。", kind=ArticleKind.POLICY)
    add(db, "物业费收费标准（已过期）", "物业费按旧标准收取。", kind=ArticleKind.POLICY,
        expires_on=date(today.year - 1, 1, 1))
    add(db, "物业费收费标准（明年施行）", "物业费按新标准收取。", kind=ArticleKind.POLICY,
        effective_from=date(today.year + 1, 1, 1))
    add(db, "物业费收费标准（草稿）", "物业费收费草稿。", kind=ArticleKind.POLICY, publish=False)
    replaced = add(db, "物业费收费标准（旧版）", "物业费按旧版收取。", kind=ArticleKind.POLICY)
    withdrawn = add(db, "物业费收费标准（已废止）", "物业费废止条目。", kind=ArticleKind.POLICY)
    with db.transaction() as s:
        newer = service.create_article(s, ArticleCreate(kind=ArticleKind.POLICY, title="物业费收费标准（新版）",
                                                         body="物业费按新版收取。", supersedes_id=replaced),
                                       actor=None)
        newer_id = newer.id
        service.set_state(s, withdrawn, ArticleState.WITHDRAWN, actor=world.admin)
    with db.read() as s:
        offered = {f.article.id for f in queries.suggest_for(s, title="物业费收费问题", content="物业费怎么收",
                                                            category_code=None, limit=20)}
        everything = queries.search_articles(s, "物业费收费标准", limit=20)
    assert offered == {current, newer_id}
    standings = {f.article.title: f.standing for f in everything}
    assert standings["物业费收费标准（已过期）"] == "已失效"
    assert standings["物业费收费标准（明年施行）"] == "未生效"
    assert standings["物业费收费标准（旧版）"] == "已被替代"
    assert standings["物业费收费标准（已废止）"] == "已废止"
    assert standings["物业费收费标准（草稿）"] == "草稿"


def test_an_article_serving_the_order_s_category_ranks_first(db, world):
    with db.transaction() as s:
        catalog.load_catalog(s, catalog.read_catalog())
    general = add(db, "停车问题答复口径", "停车难、停车收费问题的一般答复。")
    serving = add(db, "小区停车问题答复", "小区停车问题由物业按合同处理。", category_codes=["0101"])
    with db.read() as s:
        first = queries.suggest_for(s, title="停车问题", content="停车问题", category_code="010101")[0]
        plain = queries.suggest_for(s, title="停车问题", content="停车问题", category_code=None)
    assert first.article.id == serving
    assert general in {f.article.id for f in plain}


def test_every_save_keeps_a_version_and_only_editors_save(db, world):
    article_id = add(db, "居住证办理", "持身份证到社区办理。", actor=world.dispatcher)
    with db.transaction() as s:
        service.update_article(s, article_id, ArticleUpdate(kind=ArticleKind.ANSWER, title="居住证办理指南",
                                                            body="持身份证和租房合同到社区办理。", note="补充材料"),
                               actor=world.dispatcher)
        with pytest.raises(Forbidden):
            service.update_article(s, article_id, ArticleUpdate(kind=ArticleKind.ANSWER, title="改",
                                                                body="改"), actor=world.handler)
    with db.read() as s:
        versions = list(s.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                                  .order_by(ArticleVersion.version)))
    assert [(v.version, v.fields["title"], v.note) for v in versions] == [
        (1, "居住证办理", "新建"), (2, "居住证办理指南", "补充材料")]
    assert titles(db, "租房合同")[0] == "居住证办理指南"  # the index follows the edit


def _docx(title: str, *paragraphs: str) -> bytes:
    document = Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "事项", "责任单位"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


MARKDOWN = """---
kind: 法律法规
issuing_body: 国务院
document_number: 国务院令第 379 号
effective_from: 2003-09-01
---
# 物业管理条例（节选）

第四十一条 业主应当根据物业服务合同的约定交纳物业服务费用。
""".encode()


def test_word_and_markdown_files_become_articles_whole_or_not_at_all(db, world):
    files = [("条例.md", MARKDOWN), ("答复.docx", _docx("电动车飞线充电答复", "严禁从楼上拉线给电动车充电。"))]
    with db.transaction() as s:
        made = service.import_articles(s, files, {"kind": "answer", "source": "区热线"}, actor=world.dispatcher)
        law, answer = made
        assert (law.kind, law.title, law.issuing_body, law.effective_from) == (
            ArticleKind.LAW, "物业管理条例（节选）", "国务院", date(2003, 9, 1))
        assert answer.kind is ArticleKind.ANSWER
        assert "责任单位" in answer.body
        assert answer.source == "区热线"
    assert titles(db, "飞线充电")[0] == "电动车飞线充电答复"
    broken = [("好的.md", MARKDOWN), ("坏的.docx", b"PK\x03\x04 this is not a Word file")]
    with db.transaction() as s, pytest.raises(InvalidInput, match=r"坏的\.docx"):
        service.import_articles(s, broken, {}, actor=world.dispatcher)
    with db.transaction() as s, pytest.raises(InvalidInput, match=r"gbk\.md.*UTF-8"):
        service.import_articles(s, [("gbk.md", "# 标题\n正文".encode("gbk"))], {}, actor=world.dispatcher)
    with db.transaction() as s, pytest.raises(InvalidInput, match="只能导入"):
        service.import_articles(s, [("表.xlsx", b"x")], {}, actor=world.dispatcher)
    assert len(titles(db, "", in_force_only=False, limit=50)) == 2  # nothing of the refused imports


def test_a_settled_order_is_a_past_case_shown_for_the_next_like_it(db, world):
    settled = make_order(db, world, upto=Action.ARCHIVE, title="和平大道工地夜间施工噪音",
                         content="工地每晚施工到凌晨，电话13812345678。")
    unrelated = make_order(db, world, upto=Action.ARCHIVE, title="低保金没有按时发放", content="低保金本月未到账。")
    with db.read() as s:
        case = s.scalar(select(PastCase).where(PastCase.order_id == settled.id))
    assert case is not None
    assert "13812345678" not in case.content
    assert case.reply == "已处理完毕"
    fresh = make_order(db, world, title="晚上工地施工吵得睡不着", content="和平大道工地夜间施工噪音很大。")
    with db.read() as s:
        found = queries.similar_cases(s, s.get_one(type(fresh), fresh.id))
        own = queries.similar_cases(s, s.get_one(type(settled), settled.id))
    assert [f.number for f in found][:1] == [settled.number]
    assert unrelated.number not in [f.number for f in found]
    assert settled.number not in [f.number for f in own]  # never an order's own case


def test_a_well_solved_order_becomes_a_guiding_case_found_by_search(db, world):
    solved = make_order(db, world, upto=Action.ARCHIVE, title="小区楼道堆放杂物",
                        content="楼道堆满杂物，存在消防隐患。")
    open_order = make_order(db, world, upto=Action.HANDLE)
    with db.transaction() as s:
        order = s.get_one(type(solved), solved.id)
        with pytest.raises(Forbidden):
            service.promote_case(s, order, CasePromotion(summary="物业牵头清理，社区督促"), actor=world.handler)
        with pytest.raises(Conflict):
            service.promote_case(s, s.get_one(type(open_order), open_order.id), CasePromotion(summary="尚未办结的工单"),
                                 actor=world.dispatcher)
        case = service.promote_case(s, order, CasePromotion(summary="物业牵头清理，社区督促，消防隐患当日消除"),
                                    actor=world.dispatcher)
        assert case.kind is ArticleKind.CASE
        assert case.case_order_id == solved.id
        with pytest.raises(Conflict, match="已是指导案例"):
            service.promote_case(s, order, CasePromotion(summary="再设为指导案例一次"), actor=world.dispatcher)
    assert titles(db, "楼道杂物消防隐患")[0] == "小区楼道堆放杂物"


def test_the_knowledge_pages_search_and_the_order_page_lists_articles_and_cases(client, db, world, shelf):
    settled = make_order(db, world, upto=Action.ARCHIVE, title="工地夜间施工噪音", content="每晚施工到凌晨。")
    fresh = make_order(db, world, title="夜间施工噪音", content="工地晚上施工太吵。")
    login(client, world.operator)
    page = client.get("/knowledge", params={"q": "噪声"})
    assert page.status_code == 200
    assert NOISE[0] in page.text
    assert "<mark>" in page.text
    assert client.get("/knowledge/new").status_code == 403  # an operator reads, the centre's dispatchers keep
    section = client.get(f"/orders/{fresh.number}/knowledge").text
    assert NOISE[0] in section
    assert settled.number in section
    assert "设为指导案例" not in section
    login(client, world.dispatcher)
    form = client.get("/knowledge/new").text
    made = client.post("/knowledge", data={"csrf_token": csrf_of(form), "kind": "answer", "title": "共享单车乱停放",
                                           "body": "由运营企业清理，城管督促。", "publish": "on"},
                       follow_redirects=False)
    assert made.status_code == 303
    assert "共享单车乱停放" in client.get(made.headers["location"]).text
    refused = client.post("/knowledge", data={"csrf_token": csrf_of(form), "kind": "answer", "title": "过期",
                                              "body": "正文", "effective_from": "2027-01-02",
                                              "expires_on": "2027-01-01"})
    assert refused.status_code == 422
    assert "失效日期不能早于生效日期" in refused.text
    section = client.get(f"/orders/{settled.number}/knowledge").text
    assert "设为指导案例" in section
    promoted = client.post(f"/orders/{settled.number}/guiding-case",
                           data={"csrf_token": csrf_of(section), "summary": "夜间施工须持证明并公告"},
                           follow_redirects=False)
    assert promoted.status_code == 303
    assert re.match(r"/knowledge/\d+$", promoted.headers["location"])


def test_the_api_searches_and_refuses_what_it_does_not_know(client, db, world, shelf, token_for):
    headers = token_for(world.handler)
    found = client.get("/api/v1/knowledge/search", params={"q": "拉圾分类"}, headers=headers).json()
    assert found["items"][0]["title"] == GARBAGE[0]
    assert found["items"][0]["in_force"] is True
    refused = client.post("/api/v1/knowledge/articles", headers=headers,
                          json={"kind": "answer", "title": "t", "body": "b"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "knowledge_editor_only"
    editor = token_for(world.dispatcher)
    unknown = client.post("/api/v1/knowledge/articles", headers=editor,
                          json={"kind": "answer", "title": "t", "body": "b", "colour": "red"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "colour"
    made = client.post("/api/v1/knowledge/articles", headers=editor,
                       json={"kind": "law", "title": "条例", "body": "正文", "supersedes_id": shelf[PARKING[0]]})
    assert made.status_code == 201
    old = client.get(f"/api/v1/knowledge/articles/{shelf[PARKING[0]]}", headers=headers).json()
    assert (old["standing"], old["superseded_by_id"]) == ("已被替代", made.json()["id"])


def test_the_console_offers_the_article_for_a_consultation_typed_on_the_call(client, db, world, shelf):
    login(client, world.operator)
    page = client.get("/console").text
    live = client.post("/console/preview", data={"csrf_token": csrf_of(page), "type": "consultation",
                                                 "title": "咨询低保",
                                                 "content": "想问问低保怎么申请，需要什么条件"}).text
    knowledge = live.split('id="console-knowledge"', 1)[1]
    assert BENEFIT[0] in knowledge
    assert "用作直接答复" in knowledge
    assert "户籍所在地街道提出申请" in knowledge  # the answer the button fills in


REPLIES = "\n".join((
    "id,user,title,time,detail,reply,reply_time",
    "101,U1,反映A市某小区夜间施工噪音扰民,2019/4/25 9:32:09,工地每晚施工到凌晨，电话13812345678,"
    "已责令施工单位停止夜间施工,2019/5/6 10:00:00",
    "102,U2,投诉学校乱收费,2019/3/1 8:00:00,学校收取补课费,已责令学校退还费用,", ""))


def test_the_command_line_imports_articles_and_answered_messages_and_searches(db, run, tmp_path):
    law = tmp_path / "条例.md"
    law.write_bytes(MARKDOWN)
    made = run("knowledge", "import", str(law), "--kind", "policy")
    assert made.exit_code == 0, made.output
    assert "法律法规\t物业管理条例（节选）" in made.stdout  # the file's own kind wins over --kind
    found = run("knowledge", "search", "物业服务费用")
    assert "物业管理条例（节选）" in found.stdout
    replies = tmp_path / "replies.csv"
    replies.write_text(REPLIES, encoding="utf-8")
    first = run("knowledge", "import-cases", "--input", str(replies))
    again = run("knowledge", "import-cases", "--input", str(replies))
    assert "已导入 2 条" in first.stdout
    assert "已导入 0 条历史答复（跳过已有 2 条）" in again.stdout
    with db.read() as s:
        noise = s.scalars(select(PastCase).where(PastCase.external_id == "101")).one()
    assert "13812345678" not in noise.content
    assert noise.asked_at is not None
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title,detail,reply,time\n1,标题,内容,答复,昨天下午\n", encoding="utf-8")
    refused = run("knowledge", "import-cases", "--input", str(bad))
    assert refused.exit_code == 1
    assert "第 2 行：time 不是有效时间" in refused.output


def test_a_similar_case_of_another_street_shows_its_answer_but_not_its_order(db, world):
    theirs = make_order(db, world, upto=Action.ARCHIVE, title="水果湖街夜间施工噪音", content="工地夜间施工噪音。")
    mine = make_order(db, world, title="夜间施工噪音", content="工地夜间施工噪音扰民。")
    with db.read() as s:
        order = s.get_one(type(mine), mine.id)
        for_centre = queries.similar_cases(s, order, viewer=world.dispatcher)
        for_other_street = queries.similar_cases(s, order, viewer=world.other_handler)
    assert [f.number for f in for_centre] == [theirs.number]
    assert [(f.number, f.case.reply) for f in for_other_street] == [(None, "已处理完毕")]


def test_a_pasted_run_of_digits_or_a_hash_neither_breaks_search_nor_the_archive(db, world, shelf):
    """jieba keeps a run of letters and digits whole; PostgreSQL refuses a word of over 2,047 bytes."""
    run = "a1" * 1500
    add(db, "哈希值说明", f"文件校验值 {run} 以此为准。")
    assert titles(db, "x" * 3000) == []
    assert titles(db, f"校验值 {run}")[0] == "哈希值说明"
    settled = make_order(db, world, upto=Action.ARCHIVE, content=f"工地夜间施工，编号 {'9' * 3000}。")
    with db.read() as s:
        assert s.scalar(select(PastCase.id).where(PastCase.order_id == settled.id)) is not None


def test_a_past_case_masks_the_citizen_s_name_and_keeps_confidential_orders_out(db, world):
    named = make_order(db, world, upto=Action.ARCHIVE, citizen_name="王小红", title="王小红反映楼下烧烤油烟",
                       content="我是王小红，楼下烧烤店油烟很大。")
    secret = make_order(db, world, upto=Action.ARCHIVE, confidential=True, title="举报楼下赌博")
    with db.read() as s:
        case = s.scalars(select(PastCase).where(PastCase.order_id == named.id)).one()
        hidden = s.scalar(select(PastCase.id).where(PastCase.order_id == secret.id))
    assert "王小红" not in case.title + case.content
    assert "王**" in case.title
    assert hidden is None
    with db.transaction() as s:
        order = s.get_one(type(named), named.id)
        with pytest.raises(Conflict, match="保密"):
            service.promote_case(s, s.get_one(type(secret), secret.id), CasePromotion(summary="保密工单不能公开"),
                                 actor=world.dispatcher)
        made = service.promote_case(s, order, CasePromotion(summary="油烟净化器限期安装"), actor=world.dispatcher)
        assert "王小红" not in made.title + made.body


def test_a_reopened_order_is_no_past_case_any_more(db, world):
    settled = make_order(db, world, upto=Action.CALLBACK)
    with db.transaction() as s:
        order = s.get_one(type(settled), settled.id)
        order.status = Status.HANDLING  # as a reopening leaves it
        service.remember_order(s, order)
    with db.read() as s:
        assert s.scalar(select(PastCase.id).where(PastCase.order_id == settled.id)) is None


def test_a_broken_word_file_and_a_draft_that_would_supersede_are_refused(db, world):
    good = io.BytesIO(_docx("标题", "正文"))
    broken = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            target.writestr(item, b"<w:document><broken" if item.filename == "word/document.xml"
                            else source.read(item.filename))
    with db.transaction() as s, pytest.raises(InvalidInput, match=r"坏的\.docx：不是有效的 Word"):
        service.import_articles(s, [("坏的.docx", broken.getvalue())], {}, actor=world.dispatcher)
    old = add(db, *GARBAGE)
    with db.transaction() as s, pytest.raises(InvalidInput, match="草稿不能替代"):
        service.create_article(s, ArticleCreate(kind=ArticleKind.ANSWER, title="新版", body="新版正文",
                                                publish=False, supersedes_id=old), actor=world.dispatcher)
    assert titles(db, "垃圾分类")[0] == GARBAGE[0]  # still in force
