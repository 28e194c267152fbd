"""The services Open311 publishes: catalog categories under codes that never change, with the questions
(attributes) each asks, and how they read in services and service definitions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import Conflict, InvalidInput, NotFound, field_error
from minhu.open311.models import LIST_TYPES, Datatype, Open311Attribute, Open311Service
from minhu.open311.params import Open311Error
from minhu.orders.enums import OrderType
from minhu.routing.models import Category

SERVICE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
ATTRIBUTE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")


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
