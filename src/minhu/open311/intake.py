"""What Open311 clients send: requests, registered through the same intake as every door (locate, classify,
grade, route, duplicates) once per body, and the reporter's follow-ups."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import Database
from minhu.core.errors import Conflict
from minhu.geo.service import point_inside
from minhu.open311 import mapping
from minhu.open311.keys import Client
from minhu.open311.models import (
    MAX_DESCRIPTION,
    Datatype,
    Open311Attribute,
    Open311Request,
    Open311Service,
    Open311Update,
)
from minhu.open311.params import Open311Error, Params, bad, location, parse_instant, reporter
from minhu.orders import service as order_service
from minhu.orders import supervising
from minhu.orders.enums import Channel
from minhu.orders.intake import Chosen
from minhu.orders.models import WorkOrder
from minhu.orders.schemas import OrderCreate
from minhu.orders.states import OPEN_STATUSES, Status
from minhu.org.models import Unit
from minhu.org.roles import UnitKind
from minhu.web.errors import validation_details


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
        # FixMyStreet repeats attribute[CODE] for several choices: a repeated key is a list, one value alone is not.
        if single is not None and many is None and len(single) > 1:
            single, many = None, single
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
    """The service's name, then the start of what the citizen wrote (``description`` is never blank: empty
    parameters are absent)."""
    return f"{service.name}：{description.splitlines()[0][:40]}" if description else service.name


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
    """The same body from the same client on the same day is the same request: a retry finds the first order.
    Months later the same words at the same spot are a new report (which the duplicates check may join)."""
    body = sorted((k, v) for k, v in params.items if k not in ("api_key", "jurisdiction_id", "extensions"))
    digest = hashlib.sha256(json.dumps(body, ensure_ascii=False).encode("utf-8")).hexdigest()[:40]
    return f"o311-{clock.city_now():%Y%m%d}-{digest}"


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
        category = service.category_code
        content = _content(service, who.description, lines)
    name = "".join(part for part in (who.last_name, who.first_name) if part and part != "-") or None
    try:
        data = OrderCreate(type=order_type, channel=Channel.API, title=title[:200], content=content,
                           citizen_name=name, citizen_phone=who.phone, address=address, latitude=lat,
                           longitude=lon, anonymous=name is None and who.phone is None)
    except ValidationError as exc:
        raise bad(_first_problem(exc)) from None
    token = secrets.token_urlsafe(12)
    record = {"key_id": client.id, "token": token, "service_code": code, "answers": answers,
              "media_url": who.media_url, "address_id": where.address_id, "email": who.email,
              "device_id": who.device_id, "account_id": who.account_id, "first_name": who.first_name,
              "last_name": who.last_name}
    try:
        registered = order_service.create_order_once(
            db, data, actor=None, key=_request_key(client, params), scope=f"open311:{client.id}",
            sender=f"Open311 客户端「{client.name}」", with_order=(partial(_remember, record=record),),
            chosen=Chosen(category=category))
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


# The order's fields under the names the client sent them.
_PARAMETERS = {"citizen_phone": "phone", "citizen_name": "first_name/last_name", "address": "address_string",
               "latitude": "lat", "longitude": "long", "content": "description", "title": "description"}


def _first_problem(exc: ValidationError) -> str:
    problem = validation_details(exc.errors())[0]
    return f"{_PARAMETERS.get(problem['field'], problem['field'])}：{problem['message']}"


def _remember(session: Session, order: WorkOrder, *, record: dict[str, Any]) -> None:
    session.add(Open311Request(order_id=order.id, received_at=order.created_at, **record))


def token_request(session: Session, token: str) -> dict[str, Any]:
    """Raises Open311Error 404 for an unknown token."""
    number = session.scalar(select(WorkOrder.number).join(Open311Request, Open311Request.order_id == WorkOrder.id)
                            .where(Open311Request.token == token))
    if number is None:
        raise Open311Error(404, f"token {token} 不存在（unknown token）")
    return {"service_request_id": number, "token": token}


def _post_update(db: Database, client: Client, params: Params) -> str:
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
        # A request joined to its matter (一事多办) is handled through the main order: the follow-up goes there.
        handled = session.get(WorkOrder, order.duplicate_of_id) if order.status is Status.JOINED else order
        # Once the answer stands (closed in Open311's words), the callback hears the citizen, not an urge.
        if handled is not None and handled.status in OPEN_STATUSES and mapping.BASIC[handled.status] == mapping.OPEN:
            name = "".join(p for p in (who.last_name, who.first_name) if p and p != "-") or "市民"
            joined = f"（工单 {order.number} 并入本件）" if handled is not order else ""
            event = supervising.urge(session, handled, actor=None, by=f"{name}（经 {client.name}）",
                                     note=f"市民补充{joined}：{description}", payload={"open311": True})
            session.flush()
            event_id = event.id
        update = Open311Update(order_id=order.id, key_id=client.id, client_update_id=client_update_id,
                               event_id=event_id, description=description, status=status[:40],
                               media_url=who.media_url, received_at=clock.now())
        session.add(update)
        session.flush()
        return str(update.id)


def post_update(db: Database, client: Client, params: Params) -> str:
    """A client's note on one of its requests (the reporter's follow-up): an urge (催办) to the unit handling
    it while it is open; kept on the order once it is closed. The client's update_id makes a retry a no-op, a
    racing retry included. Returns minhu's update id. Raises Open311Error 400 / 404."""
    try:
        return _post_update(db, client, params)
    except IntegrityError:
        # The same update_id raced in: the one that landed is this update.
        return _post_update(db, client, params)
