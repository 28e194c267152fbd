"""The demo city's knowledge base: a small honest set.

- the departments' duty list the matrix already cites (one article per department, the categories it answers
  for and why), and 水果湖街's A and B item lists (one article per list);
- standard answers written for the demo's common consultations (政策咨询), each marked as demo text: the
  amounts, addresses and phone numbers a real city fills in are left for it to fill;
- two provisions of national law a handler leans on, quoted from the law, with their article numbers;
- one answer superseded by a newer one, and one notice that has expired, so that a newcomer sees both kept
  but never suggested.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from minhu.knowledge import service
from minhu.knowledge.models import ArticleKind
from minhu.knowledge.schemas import ArticleCreate
from minhu.org.models import Unit
from minhu.routing.categories import category_paths

DEMO = "演示数据"

ANSWERS: tuple[tuple[str, list[str], str], ...] = (
    ("灵活就业人员如何缴纳医保", ["1402", "0502"],
     "灵活就业人员可以本人身份证在户籍地或居住地的社区（村）、街道社保服务窗口或“楚税通”等线上渠道办理城镇职工基本医疗保险参保登记，"
     "按年或按月缴费。缴费基数在当地上年度社会平均工资的 60%～300% 之间自选。已参加居民医保的，转为职工医保前应先停保，避免重复参保。"
     "缴费满规定年限的，退休后可享受职工医保待遇。具体缴费标准以医保部门当年公布为准。"),
    ("异地就医备案怎么办理", ["1402"],
     "长期异地居住（异地安置退休、常驻异地工作、异地长期居住）和临时外出就医的参保人，可通过国家医保服务平台 App、"
     "“国家异地就医备案”小程序或参保地医保经办窗口办理备案。备案后在就医地定点医疗机构直接结算。临时外出就医备案有效期一般不少于 6 个月。"
     "未备案发生的费用，可回参保地按规定手工报销，报销比例可能降低。"),
    ("退休人员领取养老金需要办理哪些手续", ["1401", "0502"],
     "达到法定退休年龄且累计缴费满 15 年的参保人，由用人单位（灵活就业人员本人）向社保经办机构申请办理退休手续，提交身份证、"
     "退休审批材料和银行账户信息。审批通过后次月起按月发放基本养老金。缴费不满 15 年的，可以延长缴费至满 15 年，或转入城乡居民养老保险。"),
    ("失业保险金怎么申领", ["1401"],
     "非因本人意愿中断就业、所在单位和本人已按规定缴纳失业保险费满一年、已办理失业登记并有求职要求的，可以申领失业保险金。"
     "在参保地公共就业服务机构或线上平台申领，提交身份证和解除劳动关系证明。领取期限按缴费年限确定，最长 24 个月。"),
    ("新生儿落户需要什么材料", ["1403"],
     "新生儿应在出生后一个月内由监护人向父亲或母亲户口所在地派出所申报出生登记。需要提供出生医学证明、父母双方户口簿和居民身份证、"
     "父母结婚证（非婚生育的按规定提供相关材料）。可通过公安“互联网+政务服务”平台网上预约。"),
    ("住房公积金提取条件和流程", ["1404", "0104"],
     "职工购买、建造、翻建、大修自住住房，偿还购房贷款本息，租房自住，离休、退休，完全丧失劳动能力并与单位终止劳动关系等情形，"
     "可以申请提取住房公积金。提取可在公积金中心服务网点、网上服务大厅或手机公积金 App 办理，提交身份证和对应情形的证明材料，"
     "一般 3 个工作日内到账。"),
    ("老年证（敬老卡）怎么办理", ["1408", "110201"],
     "年满 60 周岁的本市户籍老人和符合条件的常住老人，本人持身份证、近期一寸免冠照片到户籍所在社区居委会申请，也可由家属代办。"
     "社区受理后报街道审核，一般 15 个工作日内制卡。凭卡享受公园、景点、公共交通等老年优待，70 周岁以上按规定享受高龄津贴。"),
    ("低保申请条件和流程", ["110101", "1101"],
     "共同生活的家庭成员人均收入低于当地最低生活保障标准，且家庭财产状况符合规定的，可以申请最低生活保障。由申请人向户籍所在地"
     "街道（乡镇）提出书面申请，社区可代为受理。街道组织入户调查、信息核对、民主评议和公示，区民政局审批。"
     "审批期限一般不超过 30 个工作日。保障标准以民政部门当年公布为准。"),
    ("注册个体工商户需要什么材料", ["1406"],
     "经营者本人持身份证，通过“市场主体登记”网上平台或政务服务中心市场监管窗口办理，提交登记申请书和经营场所使用证明。"
     "材料齐全、符合法定形式的，当场或一个工作日内核发营业执照。从事食品经营等许可经营项目的，还应办理相应许可证。"),
    ("政务服务中心办公时间和地址", ["1407"],
     "区政务服务中心工作日上午 9:00–12:00、下午 13:30–17:00 对外办公，周六上午提供部分事项的延时服务，法定节假日休息。"
     "大部分事项可以先在网上预约，预约后到窗口不用排队。地址和咨询电话以区政府网站公布为准。"),
)

LAWS: tuple[tuple[str, str, str, date, list[str], str], ...] = (
    ("中华人民共和国噪声污染防治法（节选：夜间施工）", "全国人民代表大会常务委员会", "主席令第一〇四号", date(2022, 6, 5),
     ["0902", "0301"],
     "第四十三条 在噪声敏感建筑物集中区域，禁止夜间进行产生噪声的建筑施工作业，但抢修、抢险施工作业，因生产工艺要求或者其他特殊需要"
     "必须连续施工作业的除外。因特殊需要必须连续施工作业的，应当取得地方人民政府住房和城乡建设、生态环境主管部门或者地方人民政府"
     "指定的部门的证明，并在施工现场显著位置公示或者以其他方式公告附近居民。\n"
     "第八十八条 本法中下列用语的含义：……“夜间”，是指晚上十点至次日早晨六点之间的期间，设区的市级以上人民政府可以另行规定本行政区域"
     "夜间的起止时间，夜间时段长度为八小时。"),
    ("物业管理条例（节选：物业服务收费）", "国务院", "国务院令第 379 号（2018 年修订）", date(2003, 9, 1), ["0101"],
     "第四十条 物业服务收费应当遵循合理、公开以及费用与服务水平相适应的原则，区别不同物业的性质和特点，由业主和物业服务企业按照"
     "国务院价格主管部门会同国务院建设行政主管部门制定的物业服务收费办法，在物业服务合同中约定。\n"
     "第四十一条 业主应当根据物业服务合同的约定交纳物业服务费用。"),
)


def seed(session: Session, units: dict[str, Unit], *, duty_rows: list[tuple[str, str, str]], duty_source: str,
         street_lists: Path) -> int:
    """The demo's articles (from the duty list and street lists the demo's matrix and views are built from);
    returns how many were written."""
    paths = category_paths(session)
    created = 0
    by_department: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, department, note in duty_rows:
        by_department[department].append((code, note))
    for department, rows in by_department.items():
        unit = units[f"420106-D-{department}"]
        body = "\n".join(f"{paths.get(code, code)}（{code}）：{note}" for code, note in rows)
        service.create_article(session, ArticleCreate(
            kind=ArticleKind.DUTY, title=f"{unit.name}职责清单", body=body, source=duty_source,
            issuing_body="武昌区接诉即办工作专班", category_codes=[code for code, _ in rows],
            effective_from=date(2025, 1, 1)), actor=None, note=DEMO)
        created += 1
    lists: dict[str, list[dict[str, str]]] = defaultdict(list)
    with street_lists.open(encoding="utf-8", newline="") as rows_file:
        for row in csv.DictReader(rows_file):
            lists[row["view_name"]].append(row)
    for name, items in lists.items():
        body = "\n".join(f"{row['section']}：{row['item']}（{paths.get(row['category_code'], row['category_code'])}，"
                         f"{row['grade']} 级）" for row in items)
        service.create_article(session, ArticleCreate(
            kind=ArticleKind.DUTY, title=name, body=body, source=items[0]["source"], issuing_body="水果湖街道办事处",
            category_codes=sorted({row["category_code"] for row in items}), effective_from=date(2025, 1, 1)),
            actor=None, note=DEMO)
        created += 1
    answers = {}
    for title, codes, body in ANSWERS:
        answers[title] = service.create_article(session, ArticleCreate(
            kind=ArticleKind.ANSWER, title=title, body=body, source=f"{DEMO}：标准答复示例，金额和地址以当地公布为准",
            issuing_body="区 12345 热线知识库", category_codes=[c for c in codes if c in paths]), actor=None, note=DEMO)
        created += 1
    for title, body_name, number, since, codes, body in LAWS:
        service.create_article(session, ArticleCreate(
            kind=ArticleKind.LAW, title=title, body=body, source="国家法律法规数据库", issuing_body=body_name,
            document_number=number, effective_from=since, category_codes=[c for c in codes if c in paths]),
            actor=None, note=DEMO)
        created += 1
    old = service.create_article(session, ArticleCreate(
        kind=ArticleKind.ANSWER, title="低保申请条件和流程（2019 年版）", source=f"{DEMO}：已被新版替代",
        body="共同生活的家庭成员人均收入低于当地最低生活保障标准的，可向户籍所在地街道申请，审批期限不超过 45 个工作日。",
        category_codes=[c for c in ("110101",) if c in paths], effective_from=date(2019, 1, 1)), actor=None, note=DEMO)
    service.supersede(session, old.id, by=answers["低保申请条件和流程"], actor=None)
    service.create_article(session, ArticleCreate(
        kind=ArticleKind.POLICY, title="2025 年冬季供暖期临时救助通知", source=f"{DEMO}：已过有效期",
        body="2025 年 11 月 15 日至 2026 年 3 月 15 日供暖期内，困难家庭可向街道申请取暖临时救助。",
        issuing_body="区民政局", effective_from=date(2025, 11, 15), expires_on=date(2026, 3, 15),
        category_codes=[c for c in ("110102",) if c in paths]), actor=None, note=DEMO)
    return created + 2
