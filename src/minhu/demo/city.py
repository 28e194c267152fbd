"""Load the demo: 武昌区 with its streets, a command centre, departments, one account per role
(password ``minhu-demo``) and sample orders at every stage of their life.

Demo accounts exist only here; a real installation adds its users with ``minhu users add``.
Everything is deterministic: the same run gives the same units, people and orders.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from minhu.board import service as board
from minhu.board.models import BoardSupport
from minhu.core import clock
from minhu.core.db import Database
from minhu.demo import chiefs as demo_chiefs
from minhu.demo import geography, knowledge, repeated, rounds, scheduling, spike, topics, year
from minhu.demo.staff import Staff, build_staff
from minhu.demo.training import catalog_examples as catalog_examples  # where tests and benches look
from minhu.geo.transfer.geojson import parse_map
from minhu.geo.transfer.people import parse_post_rows, write_posts
from minhu.geo.transfer.write import write_map
from minhu.knowledge import service as knowledge_service
from minhu.open311 import catalog as open311_catalog
from minhu.open311 import keys as open311_keys
from minhu.open311.models import Datatype
from minhu.orders import service as order_service
from minhu.orders.enums import CallbackMethod, Channel, OrderType, Resolution, Satisfaction, Urgency
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import ActionRequest, OrderCreate
from minhu.orders.states import Action, Status
from minhu.org import service as org_service
from minhu.org.models import StreetSetting, Unit, User
from minhu.org.roles import Role, UnitKind
from minhu.routing import catalog, views
from minhu.routing import service as routing
from minhu.routing.models import Grade, RoutingRule
from minhu.supervision import setup
from minhu.warning import scan as warning_scan

DEMO_PASSWORD = "minhu-demo"

CENTRE, DISTRICT, JIYUQIAO, FIRST_GRID = "420106-C", "420106", "420106001", "420106001001001"

# username, name, role, unit code
DEMO_USERS = (
    ("operator", "话务员 陈晓", Role.OPERATOR, CENTRE),
    ("dispatcher", "派单员 刘敏", Role.DISPATCHER, CENTRE),
    ("street", "街道派单员 孙丽", Role.STREET_DISPATCHER, JIYUQIAO),
    ("handler", "承办人 张伟", Role.HANDLER, JIYUQIAO),
    ("gridworker", "网格员 李娜", Role.GRIDWORKER, FIRST_GRID),
    ("leader", "区领导 王强", Role.LEADER, DISTRICT),
    ("reviewer", "回访员 赵静", Role.REVIEWER, CENTRE),
    ("admin", "系统管理员", Role.ADMIN, CENTRE),
)
HEPING, CHENGGUAN, SHIJIAN = "420106001001", "420106-D-城管", "420106-D-市监"
# The people the dispatch story needs besides one account per role: a community that asks its street to
# take an order on, two departments called onto an order (吹哨) to report (报到).
DEMO_COLLEAGUES = (
    ("shequ", "承办人 周洁", Role.HANDLER, HEPING),
    ("chengguan", "承办人 马骏", Role.HANDLER, CHENGGUAN),
    ("shijian", "承办人 何芳", Role.HANDLER, SHIJIAN),
)

NEIGHBOURHOOD_ACCOUNTS = (("wuye", "物业客服 黄磊", UnitKind.PROPERTY),
                          ("yeweihui", "业委会主任 韩梅", UnitKind.COMMITTEE))


@dataclass(frozen=True)
class SampleOrder:
    type: OrderType
    channel: Channel
    title: str
    content: str
    address: str
    name: str
    phone: str
    # How far along its life the demo takes it: a prefix of PATH below.
    steps: int
    urgency: Urgency = Urgency.NORMAL
    satisfied: bool = True


PATH = (Action.DISPATCH, Action.SIGN, Action.HANDLE, Action.REPLY, Action.APPROVE, Action.CALLBACK, Action.ARCHIVE)

SAMPLES = (
    SampleOrder(OrderType.COMPLAINT, Channel.HOTLINE, "和平大道工地夜间施工噪音扰民",
                "和平大道积玉桥段一处工地连续一周夜间施工到凌晨两点，打桩声很大，老人孩子无法休息，希望尽快处理。",
                "武昌区和平大道积玉桥地铁站附近", "王女士", "13812345678", 7),
    SampleOrder(OrderType.HELP, Channel.HOTLINE, "小区路灯损坏三天未修",
                "和平社区3栋到5栋之间的路灯坏了三天，晚上一片漆黑，老人走路摔了一跤。", "武昌区积玉桥街和平社区3栋",
                "刘先生", "13907151234", 4),
    SampleOrder(OrderType.COMPLAINT, Channel.WEB_BOARD, "餐馆油烟直排影响居民",
                "楼下新开的餐馆油烟直接排到居民楼，窗户都不敢开，请环保部门查处。", "武昌区临江大道滨江苑",
                "匿名", "13600001111", 3),
    SampleOrder(OrderType.CONSULTATION, Channel.HOTLINE, "灵活就业人员如何缴纳医保",
                "我是灵活就业人员，想咨询在武昌区如何办理城镇职工医保缴费，需要带什么材料。", "",
                "赵先生", "18627000000", 0),
    SampleOrder(OrderType.COMPLAINT, Channel.MOBILE, "预付卡健身房闭店无法退费",
                "中山路一家健身房突然关门，会员卡里还有三千多元余额，商家联系不上，要求退费。",
                "武昌区中山路", "孙女士", "13545678901", 2),
    SampleOrder(OrderType.REPORT, Channel.GRID_PATROL, "人行道占道经营",
                "巡查发现友谊大道人行道有摊贩长期占道经营，行人只能走机动车道，存在安全隐患。",
                "武昌区友谊大道徐东段", "网格员巡查", "", 1),
    SampleOrder(OrderType.HELP, Channel.HOTLINE, "小区二次供水水压不足",
                "东亭社区高层住户水压不足，12楼以上白天基本没有水，已持续一周。", "武昌区东亭社区",
                "周先生", "027-88881234", 5, satisfied=False),
    SampleOrder(OrderType.SUGGESTION, Channel.WEB_BOARD, "建议在中南路增设非机动车道",
                "中南路早晚高峰电动车与机动车混行，建议划设非机动车道并设置隔离栏。", "武昌区中南路",
                "吴先生", "13377778888", 1),
    SampleOrder(OrderType.COMPLAINT, Channel.HOTLINE, "燃气管道疑似泄漏",
                "单元楼道里有很浓的燃气味，已经打了燃气公司电话，请协调尽快处置。", "武昌区粮道街胭脂路",
                "郑女士", "15071234567", 2, urgency=Urgency.EMERGENCY),
    SampleOrder(OrderType.PRAISE, Channel.HOTLINE, "表扬积玉桥街网格员",
                "网格员李娜帮我们楼修好了漏水的公共水管，态度很好，特此表扬。", "武昌区积玉桥街和平社区",
                "钱阿姨", "13995551234", 0),
    SampleOrder(OrderType.COMPLAINT, Channel.WEB_BOARD, "学校周边早高峰拥堵",
                "每天早上七点半学校门口接送车辆乱停，交通堵塞严重，希望交警加强疏导。",
                "武昌区水果湖街", "冯先生", "18971112222", 6),
)


def _build_map(session: Session) -> dict[str, Unit]:
    """The demo city goes in through the same importer and checks as any city's own files."""
    write_map(session, parse_map(geography.demo_map()))
    return {u.code: u for u in session.scalars(select(Unit).options(undefer(Unit.geometry)))}


# The district departments' duty list (职责清单): which department answers for a category and those below it,
# where the catalog gives the category to a department (and 社会治安, which the catalog gives to the street's
# enforcement centre, but whose thefts, gambling, prostitution, drugs and fraud only the police may pursue).
# Categories left out (停电, 电力设施, 营商环境, 政务服务 …) have no demo department: the dispatcher chooses.
DUTY_LIST = Path(__file__).resolve().parent / "data" / "duty-list.csv"
DUTY_SOURCE = "武昌区职能部门职责清单"


def duty_list() -> list[tuple[str, str, str]]:
    """(category code, department code suffix, note) for each line of the demo's duty list."""
    with DUTY_LIST.open(encoding="utf-8", newline="") as rows:
        return [(row["category"], row["department"], row["note"]) for row in csv.DictReader(rows)]


# Rulings of the district's joint meeting on matters nobody owned (the seed's 8 classes include these).
RULINGS = (("060101", "市监", "武昌区接诉即办联席会议纪要（2025年第3期）", date(2025, 3, 12),
            "预付卡退费：市场监管局牵头，商家所在街道配合"),
           ("050104", "人社", "武昌区接诉即办联席会议纪要（2025年第4期）", date(2025, 4, 18),
            "在校学生兼职劳动争议：人社局受理调解"),
           ("050105", "人社", "武昌区接诉即办联席会议纪要（2025年第4期）", date(2025, 4, 18),
            "超龄劳动者工伤与用工纠纷：人社局牵头"))


# 水果湖街's own lists: A items (2 classes, 21 items) its grid workers handle, B items (18 classes) the
# street handles by internal or external call — written for the demo after the lists the street publishes.
STREET_LISTS = Path(__file__).resolve().parent / "data" / "shuiguohu-lists.csv"


def _build_routing(session: Session, units: dict[str, Unit]) -> None:
    """The default catalog, the matrix (the departments' duty list and the joint meeting's rulings), and
    水果湖街's A and B item lists."""
    catalog.load_catalog(session, catalog.read_catalog())
    views.load_views(session, views.parse_views(session, STREET_LISTS.read_bytes()))
    for code, department, note in duty_list():
        session.add(RoutingRule(category_code=code, owner_unit_id=units[f"420106-D-{department}"].id,
                                source=DUTY_SOURCE, note=note))
    for code, department, source, day, note in RULINGS:
        session.add(RoutingRule(category_code=code, owner_unit_id=units[f"420106-D-{department}"].id,
                                source=source, decided_on=day, note=note))
    session.flush()
    routing.forget_routing()


def _build_posts(session: Session) -> None:
    rows = parse_post_rows(enumerate(geography.demo_posts(), start=2))
    write_posts(session, rows)


def _build_users(session: Session, units: dict[str, Unit]) -> tuple[dict[Role, User], dict[str, User]]:
    """One account per role, and the colleagues by username."""
    def create(username: str, full_name: str, role: Role, unit_code: str) -> User:
        return org_service.create_user(session, username=username, password=DEMO_PASSWORD, full_name=full_name,
                                       role=role, unit=units[unit_code])

    users = {role: create(username, name, role, code) for username, name, role, code in DEMO_USERS}
    colleagues = {username: create(username, name, role, code) for username, name, role, code in DEMO_COLLEAGUES}
    # A property company and an owners' committee register what residents bring them (物业、业委会代报): the first
    # of each kind in 积玉桥街, else in the district.
    for username, name, kind in NEIGHBOURHOOD_ACCOUNTS:
        codes = sorted(code for code, unit in units.items() if unit.kind is kind and unit.active)
        code = next((c for c in codes if c.startswith(JIYUQIAO)), codes[0] if codes else None)
        if code is not None:
            colleagues[username] = create(username, name, Role.HANDLER, code)
    return users, colleagues


def _act(session: Session, order: WorkOrder, action: Action, actor: User, **fields: object) -> None:
    params = ActionRequest.model_validate({"expected_version": order.version, **fields})
    order_service.apply_action(session, order, action, actor=actor, params=params)


def _answerer(order: WorkOrder, staff: Staff) -> User | None:
    """The account that signs for the unit holding ``order``: its handler, or a grid's worker."""
    unit_id = order.owner_unit.id
    return staff.handlers.get(unit_id) or staff.grid_workers.get(unit_id)


def _walk(session: Session, order: WorkOrder, sample: SampleOrder, users: dict[Role, User], staff: Staff,
          target: Unit, start: datetime) -> None:
    """Take a sample order ``sample.steps`` steps along its life, an hour or so apart. An order routing
    dispatched by itself skips the dispatcher and is answered by the account of the unit it went to."""
    handler = users[Role.HANDLER]
    # Signed at least: left unsigned days ago, the first sweep would send it back.
    steps = max(sample.steps, 2) if order.status is Status.DISPATCHED else sample.steps
    for i, action in enumerate(PATH[:steps]):
        with clock.frozen(start + timedelta(hours=2 * (i + 1), minutes=7 * i)):
            if action is Action.DISPATCH:
                if order.status is Status.DISPATCHED:
                    handler = _answerer(order, staff) or handler
                    continue
                _act(session, order, action, users[Role.DISPATCHER], unit_id=target.id, note="请按时限办理并答复市民")
            elif action is Action.SIGN:
                _act(session, order, action, handler)
            elif action is Action.HANDLE:
                _act(session, order, action, handler, note="已联系市民并到现场核实情况，正在协调相关单位处理。")
            elif action is Action.REPLY:
                _act(session, order, action, handler, note="经现场核查，问题已协调处理完毕，并已电话告知市民处理结果。")
            elif action is Action.APPROVE:
                _act(session, order, action, users[Role.DISPATCHER])
            elif action is Action.CALLBACK:
                _act(session, order, action, users[Role.REVIEWER], reached=True, method=CallbackMethod.PHONE,
                     resolution=Resolution.RESOLVED if sample.satisfied else Resolution.UNRESOLVED,
                     satisfaction=Satisfaction.SATISFIED if sample.satisfied else Satisfaction.UNSATISFIED,
                     note="市民表示满意" if sample.satisfied else "市民反映问题仍未解决")
            elif action is Action.ARCHIVE:
                _act(session, order, action, users[Role.REVIEWER])


def _build_orders(session: Session, users: dict[Role, User], units: dict[str, Unit], staff: Staff) -> None:
    base = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=len(SAMPLES))
    for index, sample in enumerate(SAMPLES):
        start = base + timedelta(days=index, hours=1)
        by_operator = sample.channel in (Channel.HOTLINE, Channel.GRID_PATROL)
        data = OrderCreate(type=sample.type, channel=sample.channel, urgency=sample.urgency, title=sample.title,
                           content=sample.content, address=sample.address or None,
                           citizen_name=sample.name, citizen_phone=sample.phone or None)
        with clock.frozen(start):
            order = order_service.create_order(session, data, actor=users[Role.OPERATOR] if by_operator else None)
        if not by_operator:
            with clock.frozen(start + timedelta(minutes=12)):
                _act(session, order, Action.ACCEPT, users[Role.OPERATOR])
        if sample.type is OrderType.CONSULTATION and order.status is Status.ACCEPTED:
            with clock.frozen(start + timedelta(minutes=5)):
                _act(session, order, Action.DIRECT_REPLY, users[Role.OPERATOR],
                     note="灵活就业人员可在武汉市医保服务窗口或“楚税通”办理职工医保参保缴费，携带身份证即可。")
            continue
        _walk(session, order, sample, users, staff, units[JIYUQIAO], start)
    session.flush()


# Everyday requests, spread over the district so the map has live points to show.
LIVE_TITLES = (
    (OrderType.COMPLAINT, "夜间施工噪音扰民", "工地晚上十点以后还在施工，噪音很大。"),
    (OrderType.COMPLAINT, "垃圾清运不及时", "小区垃圾站两天没有清运，气味很大。"),
    (OrderType.HELP, "路灯不亮", "楼栋之间的路灯坏了，晚上出行不安全。"),
    (OrderType.REPORT, "占道经营", "人行道上摊贩占道经营，行人只能走机动车道。"),
    (OrderType.HELP, "下水道堵塞返水", "单元下水道堵塞，污水返到一楼。"),
    (OrderType.COMPLAINT, "车辆乱停堵塞消防通道", "小区消防通道长期被私家车占用。"),
    (OrderType.REPORT, "井盖缺失", "路口井盖缺失，存在安全隐患。"),
    (OrderType.COMPLAINT, "广场舞音响声音过大", "每晚广场舞音响声音很大，影响休息。"),
    (OrderType.HELP, "楼道堆放杂物", "楼道里堆满杂物，影响通行和消防安全。"),
    (OrderType.SUGGESTION, "建议增设非机动车停放点", "地铁站出口电动车乱停，建议划设停放区。"),
)
LIVE_ORDERS = 160


def _build_live_orders(session: Session, users: dict[Role, User], units: dict[str, Unit], staff: Staff) -> None:
    """Open orders at points across the district, taken over the last twenty hours: those routing was sure
    of dispatched themselves and are mostly signed by their unit's account; of the rest, 积玉桥街's own are
    dispatched and mostly signed by its handler, and the others wait in the dispatcher's queue. (An order
    left unsigned past its limit would be sent back by the first sweep, so only the newest stay unsigned.)"""
    rng = random.Random(20261123)
    grids = sorted((u for u in units.values() if u.kind is UnitKind.GRID and u.geometry), key=lambda u: u.code)
    now = clock.now().replace(second=0, microsecond=0)
    base = now - timedelta(hours=20)
    for index in range(LIVE_ORDERS):
        grid = rng.choice(grids)
        assert grid.geometry is not None
        lon, lat = geography.point_in(grid.geometry, rng)
        kind, title, content = rng.choice(LIVE_TITLES)
        channel = rng.choice((Channel.HOTLINE, Channel.HOTLINE, Channel.WEB_BOARD, Channel.GRID_PATROL))
        data = OrderCreate(type=kind, channel=channel, title=title, content=content, latitude=lat, longitude=lon,
                           citizen_phone=None if channel is Channel.GRID_PATROL else f"139{rng.randrange(10**8):08d}")
        start = base + timedelta(minutes=index * 20 * 60 // LIVE_ORDERS)
        with clock.frozen(start):
            order = order_service.create_order(session, data, actor=users[Role.OPERATOR])
        street = order.street
        steps = rng.choice((0, 1, 2, 2, 3))
        handler: User | None = users[Role.HANDLER]
        if order.status is Status.JOINED:
            continue  # a second report of a matter nearby (一事多办): it follows the first
        if order.status is Status.DISPATCHED:
            handler, steps = _answerer(order, staff), max(steps, 1)
        elif steps == 0 or street is None or street.code != JIYUQIAO:
            continue  # the dispatcher's queue keeps the other streets' orders
        else:
            with clock.frozen(start + timedelta(minutes=20)):
                _act(session, order, Action.DISPATCH, users[Role.DISPATCHER], unit_id=street.id)
        if steps == 1 and start < now - timedelta(hours=3):
            steps = 2  # left unsigned only when just dispatched
        if handler is None:
            continue
        with clock.frozen(start + timedelta(minutes=50)):
            if steps >= 2:
                _act(session, order, Action.SIGN, handler)
            if steps >= 3:
                _act(session, order, Action.HANDLE, handler, note="已联系市民，正在协调处理。")
    session.flush()


STORY_ORDERS = 6
STREET_STORY_ORDERS = 4  # the street sub-centre's, one at each step of its queue


def _story_order(session: Session, users: dict[Role, User], title: str, content: str, address: str,
                 at: datetime, grade: Grade = Grade.B, phone: str = "13871230000") -> WorkOrder:
    """An order left on the web board and accepted, graded as the story needs: the story dispatches it by
    hand, whatever a trained classifier would have done with it."""
    data = OrderCreate(type=OrderType.COMPLAINT, channel=Channel.WEB_BOARD, title=title, content=content,
                       address=address, citizen_phone=phone)
    with clock.frozen(at):
        order = order_service.create_order(session, data, actor=None)
        _act(session, order, Action.ACCEPT, users[Role.OPERATOR])
        order.grade = grade
        session.flush()
    return order


def _steps(session: Session, order: WorkOrder, at: datetime, *steps: tuple[Action, User, dict[str, object]]) -> None:
    """Take ``steps`` on ``order``, twenty minutes apart from ``at``."""
    for i, (action, actor, fields) in enumerate(steps):
        with clock.frozen(at + timedelta(minutes=20 * (i + 1))):
            _act(session, order, action, actor, **fields)


def _build_dispatch_story(session: Session, users: dict[Role, User], colleagues: dict[str, User],
                          units: dict[str, Unit]) -> None:
    """Returns, joint handling, escalations and an order sent to the city, so the dispatcher's queue, the
    order pages and the units' figures have real cases to show."""
    dispatcher, handler = users[Role.DISPATCHER], users[Role.HANDLER]
    street, community = units[JIYUQIAO], units[HEPING]
    chengguan, shijian = units[CHENGGUAN], units[SHIJIAN]
    start = clock.now().replace(second=0, microsecond=0) - timedelta(days=3)

    # 退单: two orders the street returns, waiting for the dispatcher's ruling.
    for hours, title, content, address, reason, note in (
            (0, "健身房预付卡无法退费", "积玉桥一家健身房关门，预付卡余额两千元商家拒不退还。", "武昌区和平大道积玉桥",
             "not_ours", "预付卡退费属市场监管职责，街道无执法权"),
            (2, "江滩步道护栏松动", "江滩步道一段护栏松动，小孩靠近很危险。", "武昌区临江大道",
             "outside", "该段江滩由江滩管理部门管养，不在街道职责范围")):
        at = start + timedelta(hours=hours)
        order = _story_order(session, users, title, content, address, at)
        _steps(session, order, at, (Action.DISPATCH, dispatcher, {"unit_id": street.id}),
               (Action.SIGN, handler, {}), (Action.RETURN, handler, {"return_reason": reason, "note": note}))

    # 吹哨报到: the street calls two departments; one reports in time, the other has not come.
    at = start + timedelta(hours=4)
    order = _story_order(session, users, "餐馆油烟直排并占道经营", "临江社区一排餐馆油烟直排，还在人行道上摆桌经营。",
                         "武昌区积玉桥临江社区", at)
    _steps(session, order, at, (Action.DISPATCH, dispatcher, {"unit_id": street.id}), (Action.SIGN, handler, {}),
           (Action.WHISTLE, handler, {"unit_ids": [chengguan.id, shijian.id], "note": "请城管、市监到场联合整治"}),
           (Action.REPORT, colleagues["chengguan"], {"note": "已到场，责令撤除占道桌椅"}))

    # 升级: the community asks its street to take on an order (pending for the street's handler) …
    at = start + timedelta(hours=6)
    order = _story_order(session, users, "楼道堆放杂物堵塞消防通道", "3栋楼道堆满旧家具，多次劝说无效，堵塞消防通道。",
                         "武昌区积玉桥和平社区3栋", at, Grade.A)
    _steps(session, order, at, (Action.DISPATCH, dispatcher, {"unit_id": community.id}),
           (Action.SIGN, colleagues["shequ"], {}),
           (Action.ESCALATE, colleagues["shequ"], {"grade": "B", "note": "住户拒不清理，需街道执法力量"}))
    # … the street asks the centre for C twice: refused once, then waiting again.
    at = start + timedelta(hours=8)
    order = _story_order(session, users, "老旧小区二次供水改造", "积玉桥小区二次供水设施老化，高层长期水压不足。",
                         "武昌区积玉桥小区", at)
    _steps(session, order, at, (Action.DISPATCH, dispatcher, {"unit_id": street.id}), (Action.SIGN, handler, {}),
           (Action.ESCALATE, handler, {"grade": "C", "note": "需住建、水务部门立项改造"}),
           (Action.REFUSE_ESCALATION, dispatcher, {"note": "请街道先会同物业排查泵房"}),
           (Action.ESCALATE, handler, {"grade": "C", "note": "已排查，泵房设备需整体更换，街道无力承担"}))

    # 上报市级: a matter across two districts, sent to the city.
    at = start + timedelta(hours=10)
    order = _story_order(session, users, "跨区公交线路调整", "建议调整公交线路，方便积玉桥居民去青山区就医。",
                         "武昌区和平大道", at)
    _steps(session, order, at, (Action.ESCALATE_CITY, dispatcher, {"note": "涉及跨区公交线网调整，报市指挥中心"}))
    session.flush()


_Step = tuple[Action, User, dict[str, object]]


def _build_street_story(session: Session, users: dict[Role, User], colleagues: dict[str, User],
                        units: dict[str, Unit]) -> None:
    """积玉桥街's sub-centre (街道分中心) at work: the district sends the street orders and its dispatcher
    dispatches them inside. One order has gone the whole way — sent to the street, dispatched to 和平社区,
    replied, reviewed by the street and by the centre; others wait at each step of the street's queue."""
    dispatcher, street_dispatcher, shequ = users[Role.DISPATCHER], users[Role.STREET_DISPATCHER], colleagues["shequ"]
    street, community = units[JIYUQIAO], units[HEPING]
    start = clock.now().replace(second=0, microsecond=0) - timedelta(days=2)
    to_street: _Step = (Action.DISPATCH, dispatcher, {"unit_id": street.id})
    inside: _Step = (Action.INNER_DISPATCH, street_dispatcher, {"unit_id": community.id, "note": "请社区当天到场核实"})
    replied: tuple[_Step, _Step] = ((Action.SIGN, shequ, {}),
                                    (Action.REPLY, shequ, {"note": "已联系物业更换损坏部件，居民已可正常使用。"}))
    at = start
    order = _story_order(session, users, "广场健身器材松动",
                         "文化广场两台健身器材螺丝松脱，老人锻炼时器材摇晃。", "武昌区积玉桥文化广场", at,
                         phone="13971230001")
    _steps(session, order, at, to_street, inside, *replied, (Action.STREET_APPROVE, street_dispatcher, {}),
           (Action.APPROVE, dispatcher, {}))
    at = start + timedelta(hours=3)
    order = _story_order(session, users, "单元门禁失灵一周", "五号楼单元门禁失灵一周，外来人员随意进出，住户担心安全。",
                         "武昌区积玉桥和平社区5栋", at, phone="13971230002")
    _steps(session, order, at, to_street, inside, *replied)
    at = start + timedelta(hours=6)
    order = _story_order(session, users, "小区门口窨井盖缺失", "积玉桥小区东门口一个窨井盖不见了，晚上路过很危险。",
                         "武昌区积玉桥小区", at, phone="13971230003")
    _steps(session, order, at, to_street, (Action.INNER_DISPATCH, street_dispatcher, {"unit_id": community.id}),
           (Action.RETURN, shequ, {"return_reason": "not_ours",
                                   "note": "窨井盖属市政设施，社区无维修力量，请街道另派"}))
    at = start + timedelta(hours=9)
    order = _story_order(session, users, "街心公园步道照明故障", "街心公园步道一排灯晚上不亮，散步看不清路。",
                         "武昌区积玉桥街心公园", at, phone="13971230004")
    _steps(session, order, at, to_street)
    session.flush()


def _open_sub_centre(session: Session, street: Unit, by: User) -> None:
    """From now on 积玉桥街's A and B orders go to the street, which dispatches them inside."""
    session.add(StreetSetting(street_id=street.id, sub_centre=True, review_inner_replies=True, a_level_straight=False,
                              updated_by_id=by.id))
    session.flush()
    routing.forget_routing()


def _build_board(session: Session, users: dict[Role, User]) -> None:
    """The message board: the board and mobile requests their citizens made public — published with a few
    supports, the newest two waiting in the moderation queue."""
    public = list(session.scalars(select(WorkOrder).where(
        WorkOrder.channel.in_([Channel.WEB_BOARD.value, Channel.MOBILE.value]),
        WorkOrder.duplicate_of_id.is_(None)).order_by(WorkOrder.created_at, WorkOrder.id).limit(12)))
    rng = random.Random(12345)
    for order in public:
        board.submit(session, order)
    session.flush()
    for order in public[:-2]:
        with clock.frozen(order.created_at + timedelta(hours=1)):
            post = board.publish(session, order.id, actor=users[Role.DISPATCHER])
        post.supports = rng.randint(1, 30)
        session.add_all(BoardSupport(order_id=order.id, supporter=f"demo-{order.id}-{index}", at=order.created_at)
                        for index in range(post.supports))
    session.flush()


# The demo's Open311 client key: published in the README so anyone can try the endpoints on the demo city.
DEMO_OPEN311_KEY = "demo-open311-key"
# (service code, category, notice, questions: (code, datatype, question, required, "key=name" lines)).
DEMO_SERVICES: tuple[tuple[str, str, str, tuple[tuple[str, Datatype, str, bool, str], ...]], ...] = (
    ("streetlight", "080303", "路灯故障一般在 3 个工作日内修复。", (
        ("fault", Datatype.SINGLE, "路灯出了什么问题？", True,
         "dark=整夜不亮\nflicker=忽明忽暗\ndaylight=白天常亮\ndamaged=灯杆或灯罩损坏"),
        ("pole_number", Datatype.STRING, "路灯杆上的编号（如有）", False, ""))),
    ("manhole", "080302", "井盖缺失、破损属于安全隐患，将立即安排处置。", (
        ("situation", Datatype.MULTI, "井盖的情况", True,
         "missing=缺失\nbroken=破损\nsunken=沉陷或凸起\nnoise=车辆碾压异响"),)),
    ("road-damage", "080301", "", ()),
    ("drainage", "080304", "", ()),
    ("garbage", "080101", "", ()),
    ("street-vending", "080102", "", ()),
    ("construction-noise", "020101", "夜间施工噪音将由街道综合执法中心到场核查。", (
        ("heard_at", Datatype.DATETIME, "最近一次听到噪音的时间", False, ""),
        ("nights", Datatype.NUMBER, "已经持续了几个晚上？", False, ""))),
    ("illegal-parking", "030401", "", ()),
    ("tree-pruning", "080401", "", ()),
)


def build_open311(session: Session) -> None:
    """Open311: the demo client's key and the common street problems published as services, a few with the
    questions a crew needs answered."""
    open311_keys.add_key(session, name="演示客户端（城市随手拍）", key=DEMO_OPEN311_KEY, per_minute=120)
    for code, category, notice, questions in DEMO_SERVICES:
        open311_catalog.publish(session, category_code=category, code=code, notice=notice)
        for attribute, datatype, question, required, values in questions:
            open311_catalog.add_attribute(session, code, code=attribute, datatype=datatype, description=question,
                                  required=required, values=values)


def has_data(db: Database) -> bool:
    """Whether the database already holds units (a loaded demo or a city's own map)."""
    with db.read() as session:
        return session.scalar(select(Unit.id).limit(1)) is not None


def load(db: Database, *, if_empty: bool = False) -> bool:
    """Load the demo; returns False (and changes nothing) when units exist and ``if_empty`` is set.

    Raises Conflict when the demo's unit codes or usernames are already taken.
    """
    with db.transaction() as session:
        if if_empty and session.scalar(select(Unit.id).limit(1)) is not None:
            return False
        setup.seed_calendar(session)
        setup.load_policy_file(session)
        units = _build_map(session)
        _build_routing(session, units)
        users, colleagues = _build_users(session, units)
        _build_posts(session)
        # Every unit's people first: an order routing dispatches by itself is signed by its unit's handler.
        staff = build_staff(session, units, [*users.values(), *colleagues.values()], grid_street=JIYUQIAO,
                            password=DEMO_PASSWORD)
        # The chiefs' duty lists before any order: every order located from here on names its chiefs.
        demo_chiefs.seed(session, units, users[Role.ADMIN], password=DEMO_PASSWORD)
        _build_orders(session, users, units, staff)
        _build_live_orders(session, users, units, staff)
        _build_dispatch_story(session, users, colleagues, units)
        _build_street_story(session, users, colleagues, units)
        demo_chiefs.build_pollution_report(session, units, users[Role.OPERATOR], clock.now())
        _build_board(session, users)
        repeated.build_repeated(session, units, operator=users[Role.OPERATOR], dispatcher=users[Role.DISPATCHER])
        build_open311(session)
        first, last = year.build_year(session, units, users, staff)
        rounds.build_rounds(session, staff, first=first, last=last)
        knowledge.seed(session, units, duty_rows=duty_list(), duty_source=DUTY_SOURCE, street_lists=STREET_LISTS)
        knowledge_service.remember_settled_orders(session)
        topics.seed(session, units, users[Role.LEADER])
        # A planted break-out at the end of the year: the scan the worker runs hourly raises it at once.
        spike.build_spike(session, users, units[HEPING], units)
        warning_scan.scan(session)
        scheduling.seed(session, street=units[JIYUQIAO], department=units[SHIJIAN], leader=users[Role.LEADER],
                        handler=users[Role.HANDLER])
        # Last, so the year's orders were routed as the street had them: before its sub-centre opened.
        _open_sub_centre(session, units[JIYUQIAO], users[Role.STREET_DISPATCHER])
    return True
