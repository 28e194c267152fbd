"""Open311's domain: the keys of its clients, the services it publishes, and the requests and updates that come
and go through it. Requests are registered through the same intake as every door (locate, classify, grade,
route, duplicates); what they read back is the order as the public may see it."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from minhu.board.masking import mask
from minhu.core import clock, security
from minhu.core.cache import TTLCache
from minhu.core.db import Database
from minhu.core.errors import Conflict, InvalidInput, NotFound, field_error
from minhu.core.throttle import RateLimiter
from minhu.geo.service import point_inside
from minhu.open311 import mapping
from minhu.open311.models import (
    LIST_TYPES,
    MAX_DESCRIPTION,
    Datatype,
    Open311Attribute,
    Open311Key,
    Open311Request,
    Open311Service,
    Open311Update,
)
from minhu.open311.params import Open311Error, Page, Params, Window, bad, location, parse_instant, reporter
from minhu.orders import service as order_service
from minhu.orders import supervising
from minhu.orders.enums import Channel, OrderType
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.present import NOT_THE_MATTERS, RESIDENT_VISIBLE_REPLY
from minhu.orders.queries import PRIVATE_ACTIONS, public_steps
from minhu.orders.schemas import OrderCreate
from minhu.orders.states import ACTION_LABELS, OPEN_STATUSES, STATUS_LABELS, TRANSITION_ACTIONS, Action, Status
from minhu.org.models import Unit
from minhu.org.roles import UnitKind
from minhu.routing.models import Category

KEY_PREFIX = "o311_"
SERVICE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
ATTRIBUTE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
# A key is looked up on every call; a revoked key is refused at most this long afterwards.
KEY_CACHE_SECONDS = 30
_keys: TTLCache[tuple[str, str], tuple[int, str, int, bool] | None] = TTLCache(ttl_seconds=KEY_CACHE_SECONDS)
_calls = RateLimiter(window_seconds=60.0)


# ---- keys ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Client:
    """The Open311 client behind a request's api_key."""

    id: int
    name: str


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def add_key(session: Session, *, name: str, key: str, per_minute: int = 60) -> Open311Key:
    """Register a client's key. Raises InvalidInput for a blank name or a limit outside 1–10,000 a minute."""
    name = name.strip()
    if not name:
        raise field_error("name", "请填写客户端名称")
    if not 1 <= per_minute <= 10_000:
        raise field_error("per_minute", "每分钟请求上限须在 1 到 10000 之间")
    digest = security.token_digest(key)
    if session.scalar(select(Open311Key.id).where(Open311Key.key_digest == digest)) is not None:
        raise Conflict("该密钥已登记", code="open311_key_taken")
    row = Open311Key(name=name[:100], key_digest=digest, key_hint=key[-4:], per_minute=per_minute, active=True,
                     created_at=clock.now())
    session.add(row)
    session.flush()
    _keys.clear()
    return row


def _key(session: Session, key_id: int) -> Open311Key:
    row = session.get(Open311Key, key_id)
    if row is None:
        raise NotFound(f"Open311 密钥 {key_id} 不存在", code="open311_key_not_found")
    return row


def revoke_key(session: Session, key_id: int) -> Open311Key:
    """The key stops working (within ``KEY_CACHE_SECONDS`` in other processes); its requests stay its."""
    row = _key(session, key_id)
    row.active, row.revoked_at = False, clock.now()
    session.flush()
    _keys.clear()
    return row


def set_rate(session: Session, key_id: int, per_minute: int) -> Open311Key:
    if not 1 <= per_minute <= 10_000:
        raise field_error("per_minute", "每分钟请求上限须在 1 到 10000 之间")
    row = _key(session, key_id)
    row.per_minute = per_minute
    session.flush()
    _keys.clear()
    return row


def keys(session: Session) -> list[tuple[Open311Key, int]]:
    """Every key, newest first, with how many requests it created."""
    counts = (select(Open311Request.key_id, func.count().label("n")).group_by(Open311Request.key_id).subquery())
    rows = session.execute(select(Open311Key, func.coalesce(counts.c.n, 0))
                           .outerjoin(counts, counts.c.key_id == Open311Key.id)
                           .order_by(Open311Key.active.desc(), Open311Key.id.desc())).all()
    return [(row[0], int(row[1])) for row in rows]


def authenticate(db: Database, key: str | None, *, required: bool = True) -> Client | None:
    """The client whose key this is, counted against its rate. Raises Open311Error 403 for a missing (when
    ``required``), unknown or revoked key, 429 past the key's rate."""
    if not key:
        if required:
            raise Open311Error(403, "缺少 api_key（api_key is required）")
        return None
    if not key.isascii() or len(key) > 200:
        raise Open311Error(403, "api_key 无效（invalid api_key）")
    digest = security.token_digest(key)

    def load() -> tuple[int, str, int, bool] | None:
        with db.read() as session:
            row = session.execute(select(Open311Key.id, Open311Key.name, Open311Key.per_minute, Open311Key.active)
                                  .where(Open311Key.key_digest == digest)).first()
        return (row.id, row.name, row.per_minute, row.active) if row is not None else None

    found = _keys.get_or_load((db.url, digest), load)
    if found is None:
        raise Open311Error(403, "api_key 无效（invalid api_key）")
    key_id, name, per_minute, active = found
    if not active:
        raise Open311Error(403, "api_key 已吊销，请联系市民服务中心管理员（this api_key has been revoked）")
    wait = _calls.take(f"{db.url}:{key_id}", per_minute)
    if wait > 0:
        seconds = max(1, round(wait))
        raise Open311Error(429, f"请求过于频繁，请 {seconds} 秒后再试（rate limit reached: retry in {seconds} s）",
                           retry_after=seconds)
    return Client(key_id, name)


# ---- services --------------------------------------------------------------------------------------------

def publish(session: Session, *, category_code: str, code: str, description: str = "", group: str = "",
            notice: str = "", order_type: OrderType = OrderType.COMPLAINT) -> Open311Service:
    """Publish a category as a service under ``code`` (or publish it again under the code it had: a code once
    given is its for good). Raises InvalidInput, Conflict for a code another category holds."""
    category = session.get(Category, category_code)
    if category is None or not category.active:
        raise field_error("category_code", "请选择在用的诉求分类")
    code = code.strip()
    if not SERVICE_CODE.fullmatch(code):
        raise field_error("code", "服务代码须为 1–40 个字母、数字、点、下划线或连字符，以字母或数字开头")
    existing = session.scalar(select(Open311Service).where(Open311Service.category_code == category_code))
    holder = session.get(Open311Service, code)
    if holder is not None and holder.category_code != category_code:
        message = f"服务代码 {code} 已用于另一分类（{holder.name}）"
        raise Conflict(message, code="service_code_taken", details=[{"field": "code", "message": message}])
    if existing is not None and existing.code != code:
        message = f"该分类已以服务代码 {existing.code} 发布，代码一经使用不再更改"
        raise Conflict(message, code="service_code_fixed", details=[{"field": "code", "message": message}])
    parent = session.get(Category, category.parent_code) if category.parent_code else None
    now = clock.now()
    service = existing or Open311Service(code=code, category_code=category_code, created_at=now, attributes=[])
    service.name = category.name
    service.description = description.strip()[:2000]
    service.group = group.strip()[:100] or (parent.name if parent is not None else category.name)
    service.keywords = list(category.keywords)[:10]
    service.notice = notice.strip()[:500]
    service.order_type = order_type
    service.published = True
    service.updated_at = now
    if existing is None:
        session.add(service)
    session.flush()
    return service


def unpublish(session: Session, code: str) -> Open311Service:
    service = _service(session, code)
    service.published, service.updated_at = False, clock.now()
    session.flush()
    return service


def _service(session: Session, code: str) -> Open311Service:
    service = session.get(Open311Service, code)
    if service is None:
        raise NotFound(f"服务 {code} 不存在", code="service_not_found")
    return service


def _values(text: str) -> list[dict[str, str]]:
    """``key=名称`` per line (or just a name, which is its own key)."""
    values = []
    for line in text.splitlines():
        if not line.strip():
            continue
        key, _, name = line.partition("=")
        key, name = key.strip(), (name.strip() or key.strip())
        values.append({"key": key[:40], "name": name[:100]})
    return values


def add_attribute(session: Session, service_code: str, *, code: str, datatype: Datatype, description: str,
                  required: bool = False, variable: bool = True, datatype_description: str = "",
                  values: str = "") -> Open311Attribute:
    """A question the service asks. Raises InvalidInput, Conflict for a code the service already asks."""
    service = _service(session, service_code)
    code, description = code.strip(), description.strip()
    problems = []
    if not ATTRIBUTE_CODE.fullmatch(code):
        problems.append({"field": "code", "message": "问题代码须为 1–40 个字母、数字、点、下划线或连字符"})
    if not description:
        problems.append({"field": "description", "message": "请填写问题"})
    listed = _values(values)
    keys_ = [v["key"] for v in listed]
    if datatype in LIST_TYPES and not listed:
        problems.append({"field": "values", "message": "单选、多选题须列出选项，每行一项：代码=名称"})
    if len(set(keys_)) != len(keys_):
        problems.append({"field": "values", "message": "选项代码不能重复"})
    if problems:
        raise InvalidInput(problems[0]["message"], details=problems)
    if any(a.code == code for a in service.attributes):
        message = f"该服务已有问题代码 {code}"
        raise Conflict(message, code="attribute_code_taken", details=[{"field": "code", "message": message}])
    attribute = Open311Attribute(code=code, datatype=datatype, description=description[:500],
                                 required=required and variable, variable=variable,
                                 datatype_description=datatype_description.strip()[:200],
                                 position=max((a.position for a in service.attributes), default=0) + 1,
                                 values=listed if datatype in LIST_TYPES else [])
    service.attributes.append(attribute)
    service.updated_at = clock.now()
    session.flush()
    return attribute


def remove_attribute(session: Session, service_code: str, attribute_id: int) -> None:
    service = _service(session, service_code)
    service.attributes = [a for a in service.attributes if a.id != attribute_id]
    service.updated_at = clock.now()
    session.flush()


def services(session: Session, *, published_only: bool = True) -> list[Open311Service]:
    query = select(Open311Service).order_by(Open311Service.group, Open311Service.code)
    if published_only:
        query = query.where(Open311Service.published.is_(True))
    return list(session.scalars(query))


def service_item(service: Open311Service) -> dict[str, Any]:
    return {"service_code": service.code, "service_name": service.name, "description": service.description,
            "metadata": any(a for a in service.attributes), "type": "realtime",
            "keywords": ",".join(service.keywords), "group": service.group}


def definition(session: Session, code: str) -> dict[str, Any]:
    """A published service's definition. Raises Open311Error 404."""
    service = session.get(Open311Service, code)
    if service is None or not service.published:
        raise Open311Error(404, f"服务 {code} 不存在（unknown service_code）")
    return {"service_code": service.code, "attributes": [
        {"variable": a.variable, "code": a.code, "datatype": a.datatype.value, "required": a.required,
         "datatype_description": a.datatype_description or None, "order": a.position,
         "description": a.description, "values": [{"key": v["key"], "name": v["name"]} for v in a.values]}
        for a in service.attributes]}


def changeset(session: Session) -> datetime:
    """When what discovery and the services list say last changed."""
    latest = session.scalar(select(func.max(Open311Service.updated_at)))
    return latest or datetime(2026, 1, 1, tzinfo=clock.city_tz())


# ---- creating requests -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Created:
    number: str
    created: bool
    notice: str
    account_id: str | None
    token: str


def _answer(attribute: Open311Attribute, answers: dict[str, list[str]]) -> tuple[Any, str] | None:
    """The client's answer to one question, checked against its datatype: (value kept, words for the handler);
    None when unanswered. Raises Open311Error 400."""
    code, single, many = attribute.code, answers.get(attribute.code), answers.get(attribute.code + "[]")
    keys_ = {v["key"]: v["name"] for v in attribute.values}
    if attribute.datatype is Datatype.MULTI:
        if single is not None:
            raise bad(f"attribute[{code}] 为多选，须以 attribute[{code}][] 提交"
                      f"（attribute {code} is a multivaluelist: send attribute[{code}][]）")
        if not many:
            return None
        unknown = [v for v in many if v not in keys_]
        if unknown:
            raise bad(f"attribute[{code}][] 的取值 {unknown[0]} 不在选项之中（value not in the list）")
        chosen = list(dict.fromkeys(many))
        return chosen, "、".join(keys_[v] for v in chosen)
    if many is not None:
        raise bad(f"attribute[{code}] 只取一个值，须以 attribute[{code}] 提交（attribute {code} takes one value）")
    if not single:
        return None
    if len(single) > 1:
        raise bad(f"attribute[{code}] 只取一个值（attribute {code} takes one value）")
    value = single[0]
    if attribute.datatype is Datatype.SINGLE:
        if value not in keys_:
            raise bad(f"attribute[{code}] 的取值 {value} 不在选项之中（value not in the list）")
        return value, keys_[value]
    if attribute.datatype is Datatype.NUMBER:
        try:
            number = float(value)
        except ValueError:
            raise bad(f"attribute[{code}] 须为数字（attribute {code} must be a number）") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise bad(f"attribute[{code}] 须为数字（attribute {code} must be a number）")
        return value, value
    if attribute.datatype is Datatype.DATETIME:
        at = parse_instant(value, f"attribute[{code}]")
        return at.isoformat(), at.astimezone(clock.city_tz()).strftime("%Y-%m-%d %H:%M")
    limit = 200 if attribute.datatype is Datatype.STRING else MAX_DESCRIPTION
    if len(value) > limit:
        raise bad(f"attribute[{code}] 超过 {limit} 个字符（attribute {code} is too long）")
    return value, value


def _answers(service: Open311Service, params: Params) -> tuple[dict[str, Any], list[str]]:
    given = params.answers()
    kept: dict[str, Any] = {}
    lines: list[str] = []
    for attribute in service.attributes:
        if not attribute.variable:
            continue
        answer = _answer(attribute, given)
        if answer is None:
            if attribute.required:
                raise bad(f"缺少必答项 attribute[{attribute.code}]：{attribute.description}"
                          f"（attribute {attribute.code} is required）")
            continue
        kept[attribute.code], words = answer
        lines.append(f"{attribute.description.rstrip('：:？?')}：{words}")
    return kept, lines


def _title(service: Open311Service, description: str | None) -> str:
    head = (description or "").strip().splitlines()[0][:40] if description and description.strip() else ""
    return f"{service.name}：{head}" if head else service.name


# Between what the citizen wrote and their answers to the service's questions, in the order's content.
ANSWERS_HEADING = "\n\n补充信息：\n"


def _content(service: Open311Service, description: str | None, lines: list[str]) -> str:
    content = description.strip() if description else f"市民反映：{service.name}"
    if lines:
        content += ANSWERS_HEADING + "\n".join(lines)
    return content


def _unit_point(session: Session, address_id: str) -> tuple[Unit, float, float]:
    """The community or grid an address_id names, and a point inside it. Raises Open311Error 400."""
    unit = session.scalar(select(Unit).where(Unit.code == address_id, Unit.active.is_(True),
                                             Unit.kind.in_((UnitKind.COMMUNITY, UnitKind.GRID))))
    if unit is None or not unit.geometry:
        raise bad(f"address_id {address_id} 未知：须为社区或网格代码（unknown address_id）")
    lon, lat = point_inside(unit.geometry, address_id)
    return unit, lon, lat


def _request_key(client: Client, params: Params) -> str:
    """The same body from the same client is the same request: a retry finds the first order."""
    body = sorted((k, v) for k, v in params.items if k not in ("api_key", "jurisdiction_id", "extensions"))
    return "o311-" + hashlib.sha256(json.dumps(body, ensure_ascii=False).encode("utf-8")).hexdigest()[:48]


def create_request(db: Database, client: Client, params: Params) -> Created:
    """Register what a client POSTed to requests: through the same intake as every door, once per body (a
    retried POST returns the first request). Raises Open311Error 400 for anything the specification or the
    service's questions refuse."""
    code = params.get("service_code")
    if code is None:
        raise bad("缺少 service_code（service_code is required）")
    where = location(params)
    who = reporter(params)
    with db.read() as session:
        service = session.get(Open311Service, code)
        if service is None or not service.published:
            raise bad(f"service_code {code} 未知（unknown service_code）")
        answers, lines = _answers(service, params)
        lon, lat, address = where.long, where.lat, where.address_string
        if where.address_id is not None and lat is None:
            unit, lon, lat = _unit_point(session, where.address_id)
            address = address or unit.name
        notice, order_type, title = service.notice, service.order_type, _title(service, who.description)
        content = _content(service, who.description, lines)
    name = "".join(part for part in (who.last_name, who.first_name) if part and part != "-") or None
    try:
        data = OrderCreate(type=order_type, channel=Channel.API, title=title[:200], content=content,
                           citizen_name=name, citizen_phone=who.phone, address=address, latitude=lat,
                           longitude=lon, anonymous=name is None and who.phone is None)
    except ValueError as exc:
        raise bad(_first_problem(exc)) from None
    token = secrets.token_urlsafe(12)
    record = {"key_id": client.id, "token": token, "service_code": code, "answers": answers,
              "media_url": who.media_url, "address_id": where.address_id, "email": who.email,
              "device_id": who.device_id, "account_id": who.account_id, "first_name": who.first_name,
              "last_name": who.last_name}
    try:
        registered = order_service.create_order_once(
            db, data, actor=None, key=_request_key(client, params), scope=f"open311:{client.id}",
            sender=f"Open311 客户端「{client.name}」", with_order=(partial(_remember, record=record),))
    except Conflict as exc:  # pragma: no cover - the key is the body's digest: the same key is the same body
        raise bad(exc.message) from exc
    order = registered.order
    if not registered.created:
        with db.read() as session:
            token = session.scalar(select(Open311Request.token).where(Open311Request.order_id == order.id)) or ""
    due = order.finish_due_at
    notice = notice or (f"您的诉求已登记，工单号 {order.number}" + (
        f"，将于 {due.astimezone(clock.city_tz()):%Y-%m-%d %H:%M} 前办结" if due is not None else "") + "。")
    return Created(order.number, registered.created, notice, who.account_id, token)


def _first_problem(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            where = ".".join(str(p) for p in found[0].get("loc", ()))
            field = {"citizen_phone": "phone", "citizen_name": "first_name/last_name", "address": "address_string",
                     "latitude": "lat", "longitude": "long", "content": "description", "title": "description"
                     }.get(where, where)
            message = str(found[0].get("msg", "")).removeprefix("Value error, ")
            return f"{field}：{message}" if field else message
    return str(exc)


def _remember(session: Session, order: WorkOrder, *, record: dict[str, Any]) -> None:
    session.add(Open311Request(order_id=order.id, received_at=order.created_at, **record))


def token_request(session: Session, token: str) -> dict[str, Any]:
    """Raises Open311Error 404 for an unknown token."""
    number = session.scalar(select(WorkOrder.number).join(Open311Request, Open311Request.order_id == WorkOrder.id)
                            .where(Open311Request.token == token))
    if number is None:
        raise Open311Error(404, f"token {token} 不存在（unknown token）")
    return {"service_request_id": number, "token": token}


# ---- reading requests ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    ids: list[str]
    service_codes: list[str]
    window: Window
    statuses: list[str]
    page: Page
    extensions: bool


_MAIN = aliased(WorkOrder)
# The order whose steps an update reports: the request itself, or the main order it joined.
_STEPPING = aliased(WorkOrder)


def _public_text(text: str | None) -> str | None:
    return mask(text).text if text else None


def _status_notes(order: WorkOrder, main: WorkOrder | None) -> str | None:
    """What the city answered, once the citizen may read it (masked like the public board); why a request
    ended without handling."""
    if order.status is Status.JOINED and main is not None:
        answer = main.reply_text if main.status in RESIDENT_VISIBLE_REPLY else None
        return "已与同一事项的其他诉求合并办理" + (f"。{_public_text(answer)}" if answer else "")
    if order.status is Status.VOIDED:
        return "该诉求不予办理（已作废）"
    if order.status in RESIDENT_VISIBLE_REPLY:
        return _public_text(order.reply_text)
    return None


def request_item(order: WorkOrder, main: WorkOrder | None, record: Open311Request, service: Open311Service,
                 owner: str, events: list[OrderEvent] | None = None) -> dict[str, Any]:
    """One request as the specification reads it: never the reporter's name, phone, email or device."""
    effective = main if order.status is Status.JOINED and main is not None else order
    item: dict[str, Any] = {
        "service_request_id": order.number,
        "status": mapping.basic_status(effective.status),
        "status_notes": _status_notes(order, main),
        "service_name": service.name, "service_code": service.code,
        "description": _public_text(order.content.split(ANSWERS_HEADING)[0]),
        "agency_responsible": owner,
        "service_notice": service.notice or None,
        "requested_datetime": order.created_at,
        "updated_datetime": max(order.updated_at, main.updated_at) if main is not None else order.updated_at,
        "expected_datetime": effective.finish_due_at,
        "address": _public_text(order.address),
        "address_id": record.address_id,
        "zipcode": None,
        "lat": round(order.latitude, 6) if order.latitude is not None else None,
        "long": round(order.longitude, 6) if order.longitude is not None else None,
        "media_url": record.media_url,
    }
    if events is not None:
        item["extended_attributes"] = {
            "status_extended": mapping.extended_status(order.status, effective.resolution)
            if order.status is Status.JOINED else mapping.extended_status(effective.status, effective.resolution),
            "status_label": STATUS_LABELS[effective.status],
            "channel": order.channel.value, "grade": order.grade.value if order.grade else None,
            "owner": owner, "category": order.category_code,
            "photos": [record.media_url] if record.media_url else [],
            "notes": [_note(e) for e in events],
        }
    return item


def _note(event: OrderEvent) -> dict[str, Any]:
    return {"update_id": str(event.id), "datetime": event.at, "status": mapping.EXTENDED[event.to_status],
            "description": _step_words(event)}


def _step_words(event: OrderEvent) -> str:
    label = ACTION_LABELS[event.action]
    unit = event.payload.get("unit_name") if isinstance(event.payload, dict) else None
    words = f"{label}：{unit}" if unit else label
    return words


def _select() -> Any:
    return (select(WorkOrder, _MAIN, Open311Request, Open311Service, Unit.name)
            .join(Open311Request, Open311Request.order_id == WorkOrder.id)
            .join(Open311Service, Open311Service.code == Open311Request.service_code)
            .join(Unit, Unit.id == WorkOrder.owner_unit_id)
            .outerjoin(_MAIN, and_(WorkOrder.status == Status.JOINED, _MAIN.id == WorkOrder.duplicate_of_id))
            .where(WorkOrder.confidential.is_(False)))


def _items(session: Session, rows: list[Any], *, extensions: bool) -> list[dict[str, Any]]:
    items = []
    for order, main, record, service, owner_name in rows:
        owner = owner_name
        if main is not None:
            owner = session.scalar(select(Unit.name).where(Unit.id == main.owner_unit_id)) or owner_name
        events = public_steps(session, order) if extensions else None
        items.append(request_item(order, main, record, service, owner, events))
    return items


def find_requests(session: Session, filters: Filters) -> list[dict[str, Any]]:
    """GET requests: by ids (which override every other filter), else by service, time and status, newest
    first."""
    query = _select()
    if filters.ids:
        query = query.where(WorkOrder.number.in_(filters.ids))
    else:
        if filters.service_codes:
            query = query.where(Open311Request.service_code.in_(filters.service_codes))
        query = query.where(WorkOrder.created_at >= filters.window.start, WorkOrder.created_at <= filters.window.end)
        if filters.statuses:
            wanted = mapping.statuses_of(filters.statuses)
            query = query.where(or_(and_(WorkOrder.status != Status.JOINED, WorkOrder.status.in_(wanted)),
                                    and_(WorkOrder.status == Status.JOINED, _MAIN.status.in_(wanted))))
    query = query.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
    query = query.limit(filters.page.limit).offset(filters.page.offset)
    return _items(session, list(session.execute(query).all()), extensions=filters.extensions)


def find_request(session: Session, number: str, *, extensions: bool) -> dict[str, Any]:
    """Raises Open311Error 404 for a number no Open311 request has."""
    row = session.execute(_select().where(WorkOrder.number == number)).first()
    if row is None:
        raise Open311Error(404, f"service_request_id {number} 不存在（unknown service_request_id）")
    return _items(session, [row], extensions=extensions)[0]


# ---- updates ---------------------------------------------------------------------------------------------

# The steps an update reports: the moves a resident follows (urges and notes leave the status as it is).
_MOVES = tuple(a for a in (*TRANSITION_ACTIONS, Action.CREATE) if a not in PRIVATE_ACTIONS)
# Of a main order's steps, those its joined requests follow until the answer reaches them (their own 随主件答复):
# not the main order's registration, voiding or joining, nor its approval, which that answer stands for.
_MATTERS_MOVES = tuple(a for a in _MOVES if a not in NOT_THE_MATTERS and a is not Action.APPROVE)
_FOLLOWING = aliased(OrderEvent)


def updates(session: Session, client: Client, window: Window) -> list[dict[str, Any]]:
    """servicerequestupdates: what happened to the client's requests in ``window``, one item per public step
    (the moves a resident follows), oldest first. A request joined to its matter's main order (一事多办) goes on
    with the main order's steps since it was made, as its reporter's tracking page does."""
    columns = (OrderEvent, WorkOrder.id, WorkOrder.number, _STEPPING.resolution, _STEPPING.reply_text, _STEPPING.status)
    own = (select(*columns).join(WorkOrder, WorkOrder.id == OrderEvent.order_id)
           .join(_STEPPING, _STEPPING.id == WorkOrder.id)
           .where(OrderEvent.action.in_(_MOVES)))
    answered_at = (select(func.min(_FOLLOWING.at)).where(_FOLLOWING.order_id == WorkOrder.id,
                                                         _FOLLOWING.action == Action.FOLLOW).scalar_subquery())
    of_matter = (select(*columns).join(_STEPPING, _STEPPING.id == OrderEvent.order_id)
                 .join(WorkOrder, WorkOrder.duplicate_of_id == _STEPPING.id)
                 .where(OrderEvent.action.in_(_MATTERS_MOVES), OrderEvent.at > WorkOrder.created_at,
                        or_(answered_at.is_(None), OrderEvent.at < answered_at)))
    found: list[tuple[datetime, int, dict[str, Any]]] = []
    for query, joined in ((own, False), (of_matter, True)):
        rows = session.execute(query.join(Open311Request, Open311Request.order_id == WorkOrder.id)
                               .where(Open311Request.key_id == client.id, OrderEvent.at >= window.start,
                                      OrderEvent.at <= window.end, OrderEvent.to_status.is_not(None))).all()
        for event, order_id, number, resolution, reply_text, status in rows:
            closed = mapping.BASIC[event.to_status] == mapping.CLOSED
            answer = reply_text if closed and event.to_status in RESIDENT_VISIBLE_REPLY else None
            latest = closed and status is event.to_status
            found.append((event.at, event.id, {
                "update_id": f"{event.id}-{order_id}" if joined else str(event.id), "service_request_id": number,
                "status": mapping.extended_status(event.to_status, resolution if latest else None),
                "updated_datetime": event.at,
                "description": _public_text(answer) if answer else _step_words(event),
                "media_url": None}))
    return [item for _at, _id, item in sorted(found, key=lambda step: step[:2])]


def post_update(db: Database, client: Client, params: Params) -> str:
    """A client's note on one of its requests (the reporter's follow-up): an urge (催办) to the unit handling
    it while it is open; kept on the order once it is closed. The client's update_id makes a retry a no-op.
    Returns minhu's update id. Raises Open311Error 400 / 404."""
    number = params.get("service_request_id")
    if number is None:
        raise bad("缺少 service_request_id（service_request_id is required）")
    description = params.text("description", limit=MAX_DESCRIPTION)
    if description is None:
        raise bad("缺少 description（description is required）")
    client_update_id = params.text("update_id", limit=100) or params.text("service_request_update_id", limit=100)
    who = reporter(params)
    status = (params.text("status", limit=40) or "").lower()
    with db.transaction() as session:
        order = session.scalar(select(WorkOrder).join(Open311Request, Open311Request.order_id == WorkOrder.id)
                               .where(WorkOrder.number == number, Open311Request.key_id == client.id))
        if order is None:
            raise Open311Error(404, f"service_request_id {number} 不存在（unknown service_request_id）")
        if client_update_id is not None:
            seen = session.scalar(select(Open311Update.id).where(Open311Update.key_id == client.id,
                                                                 Open311Update.client_update_id == client_update_id))
            if seen is not None:
                return str(seen)
        event_id = None
        if order.status in OPEN_STATUSES:
            name = "".join(p for p in (who.last_name, who.first_name) if p and p != "-") or "市民"
            event = supervising.urge(session, order, actor=None, by=f"{name}（经 {client.name}）",
                                     note=f"市民补充：{description}", payload={"open311": True})
            session.flush()
            event_id = event.id
        update = Open311Update(order_id=order.id, key_id=client.id, client_update_id=client_update_id,
                               event_id=event_id, description=description, status=status[:40],
                               media_url=who.media_url, received_at=clock.now())
        session.add(update)
        session.flush()
        return str(update.id)
