"""The administrators' Open311 page (通知与对接 → Open311): client keys (issue, revoke, rate per minute) and the
catalog categories published as services, with the questions each asks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from minhu.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from minhu.core.types import MAX_ROW_ID
from minhu.open311 import catalog, keys
from minhu.open311.models import DATATYPE_LABELS, Datatype, Open311Key, Open311Service
from minhu.orders.enums import ORDER_TYPE_LABELS, OrderType
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.org.roles import Role
from minhu.routing.categories import active_choices, category_paths
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
PAGE = "/admin/open311"
KeyId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
ServiceCode = Annotated[str, Path(max_length=40)]


def _require_admin(user: User) -> None:
    if user.role is not Role.ADMIN:
        raise Forbidden("仅管理员可管理 Open311 接口", code="open311_admin_only")


def _problems(exc: InvalidInput | Conflict) -> list[dict[str, Any]]:
    problems = exc.details if isinstance(exc.details, list) else []
    return [p for p in problems if p] or [{"message": exc.message}]


def _page(request: Request, user: User, db: DB, *, status_code: int = 200, shown: Open311Key | None = None,
          key: str = "", key_form: dict[str, Any] | None = None, key_errors: list[dict[str, Any]] | None = None,
          service_form: dict[str, Any] | None = None,
          service_errors: list[dict[str, Any]] | None = None) -> Response:
    settings = request.app.state.settings
    with db.read() as session:
        issued = keys.keys(session)
        services = catalog.services(session, published_only=False)
        paths = category_paths(session)
        published = {s.category_code for s in services}
        choices = [(code, path) for code, path in active_choices(session) if code not in published]
    return render(request, "open311/admin.html", status_code=status_code, user=user, csrf=csrf_token(request),
                  keys=issued, services=services, paths=paths, choices=choices, shown=shown, key=key,
                  key_form=key_form or {"per_minute": 60}, key_errors=key_errors or [],
                  service_form=service_form or {"order_type": OrderType.COMPLAINT.value},
                  service_errors=service_errors or [], order_types=ORDER_TYPE_LABELS,
                  base=settings.base_url.rstrip("/") + settings.open311_base, flashes=pop_flashes(request))


@router.get(PAGE)
def open311_page(request: Request, user: PageUser, db: DB) -> Response:
    _require_admin(user)
    return _page(request, user, db)


@router.post(PAGE + "/keys", dependencies=[CsrfProtected])
def add_key(request: Request, user: PageUser, db: DB, name: Annotated[str, Form(max_length=100)],
            per_minute: Annotated[str, Form(max_length=6)] = "60") -> Response:
    """Issues a key and answers with the page showing it: the one time it is shown."""
    _require_admin(user)
    form = {"name": name, "per_minute": per_minute}
    if not per_minute.strip().isdigit():
        return _page(request, user, db, status_code=422, key_form=form,
                     key_errors=[{"field": "per_minute", "message": "每分钟请求上限须为整数"}])
    key = keys.new_key()
    try:
        with db.transaction() as session:
            row = keys.add_key(session, name=name, key=key, per_minute=int(per_minute))
    except (InvalidInput, Conflict) as exc:
        return _page(request, user, db, status_code=422, key_form=form, key_errors=_problems(exc))
    return _page(request, user, db, shown=row, key=key)


@router.post(PAGE + "/keys/{key_id}/revoke", dependencies=[CsrfProtected])
def revoke_key(request: Request, key_id: KeyId, user: PageUser, db: DB) -> Response:
    _require_admin(user)
    with db.transaction() as session:
        row = keys.revoke_key(session, key_id)
    flash(request, f"「{row.name}」的密钥已吊销：此后的调用一律被拒绝")
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/keys/{key_id}/rate", dependencies=[CsrfProtected])
def set_rate(request: Request, key_id: KeyId, user: PageUser, db: DB,
             per_minute: Annotated[str, Form(max_length=6)]) -> Response:
    _require_admin(user)
    try:
        if not per_minute.strip().isdigit():
            raise InvalidInput("每分钟请求上限须为整数")
        with db.transaction() as session:
            row = keys.set_rate(session, key_id, int(per_minute))
    except InvalidInput as exc:
        flash(request, exc.message, "error")
        return RedirectResponse(PAGE, status_code=303)
    flash(request, f"「{row.name}」每分钟最多 {row.per_minute} 次请求")
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/services", dependencies=[CsrfProtected])
def publish(request: Request, user: PageUser, db: DB, category_code: Annotated[str, Form(max_length=16)],
            code: Annotated[str, Form(max_length=40)], description: Annotated[str, Form(max_length=2000)] = "",
            group: Annotated[str, Form(max_length=100)] = "", notice: Annotated[str, Form(max_length=500)] = "",
            order_type: Annotated[str, Form(max_length=20)] = OrderType.COMPLAINT.value) -> Response:
    _require_admin(user)
    form = {"category_code": category_code, "code": code, "description": description, "group": group,
            "notice": notice, "order_type": order_type}
    try:
        chosen = OrderType(order_type)
        with db.transaction() as session:
            published = catalog.publish(session, category_code=category_code, code=code, description=description,
                                        group=group, notice=notice, order_type=chosen)
    except ValueError:
        return _page(request, user, db, status_code=422, service_form=form,
                     service_errors=[{"field": "order_type", "message": "请选择诉求类型"}])
    except (InvalidInput, Conflict) as exc:
        return _page(request, user, db, status_code=422, service_form=form, service_errors=_problems(exc))
    flash(request, f"「{published.name}」已发布为服务 {published.code}")
    return RedirectResponse(PAGE + "/services/" + published.code, status_code=303)


def _service_page(request: Request, user: User, db: DB, code: str, *, status_code: int = 200,
                  form: dict[str, Any] | None = None, errors: list[dict[str, Any]] | None = None) -> Response:
    settings = request.app.state.settings
    with db.read() as session:
        found = session.get(Open311Service, code)
        if found is None:
            raise NotFound(f"服务 {code} 不存在", code="service_not_found")
        path = category_paths(session).get(found.category_code, found.category_code)
        attributes = list(found.attributes)
    return render(request, "open311/service.html", status_code=status_code, user=user, csrf=csrf_token(request),
                  service=found, path=path, attributes=attributes, datatypes=DATATYPE_LABELS,
                  form=form or {"datatype": Datatype.STRING.value, "variable": True}, errors=errors or [],
                  base=settings.base_url.rstrip("/") + settings.open311_base, flashes=pop_flashes(request))


@router.get(PAGE + "/services/{code}")
def service_page(request: Request, code: ServiceCode, user: PageUser, db: DB) -> Response:
    _require_admin(user)
    return _service_page(request, user, db, code)


@router.post(PAGE + "/services/{code}/attributes", dependencies=[CsrfProtected])
def add_attribute(request: Request, code: ServiceCode, user: PageUser, db: DB,
                  attribute_code: Annotated[str, Form(max_length=40)], datatype: Annotated[str, Form(max_length=20)],
                  description: Annotated[str, Form(max_length=500)], values: Annotated[str, Form(max_length=4000)] = "",
                  datatype_description: Annotated[str, Form(max_length=200)] = "",
                  required: Annotated[str, Form(max_length=5)] = "", variable: Annotated[str, Form(max_length=5)] = ""
                  ) -> Response:
    _require_admin(user)
    form = {"attribute_code": attribute_code, "datatype": datatype, "description": description, "options": values,
            "datatype_description": datatype_description, "required": bool(required), "variable": bool(variable)}
    try:
        kind = Datatype(datatype)
        with db.transaction() as session:
            catalog.add_attribute(session, code, code=attribute_code, datatype=kind, description=description,
                                  required=bool(required), variable=bool(variable),
                                  datatype_description=datatype_description, values=values)
    except ValueError:
        return _service_page(request, user, db, code, status_code=422, form=form,
                             errors=[{"field": "datatype", "message": "请选择题型"}])
    except (InvalidInput, Conflict) as exc:
        return _service_page(request, user, db, code, status_code=422, form=form, errors=_problems(exc))
    flash(request, f"已添加问题 {attribute_code.strip()}")
    return RedirectResponse(f"{PAGE}/services/{code}", status_code=303)


@router.post(PAGE + "/services/{code}/attributes/{attribute_id}/delete", dependencies=[CsrfProtected])
def remove_attribute(request: Request, code: ServiceCode, attribute_id: KeyId, user: PageUser, db: DB) -> Response:
    _require_admin(user)
    with db.transaction() as session:
        catalog.remove_attribute(session, code, attribute_id)
    flash(request, "问题已删除")
    return RedirectResponse(f"{PAGE}/services/{code}", status_code=303)


@router.post(PAGE + "/services/{code}/unpublish", dependencies=[CsrfProtected])
def unpublish(request: Request, code: ServiceCode, user: PageUser, db: DB) -> Response:
    _require_admin(user)
    with db.transaction() as session:
        found = catalog.unpublish(session, code)
    flash(request, f"服务 {found.code}「{found.name}」已停止发布：客户端不再看到它，已提交的诉求照常办理")
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/services/{code}/republish", dependencies=[CsrfProtected])
def republish(request: Request, code: ServiceCode, user: PageUser, db: DB) -> Response:
    _require_admin(user)
    with db.transaction() as session:
        found = session.get(Open311Service, code)
        if found is None:
            raise NotFound(f"服务 {code} 不存在", code="service_not_found")
        catalog.publish(session, category_code=found.category_code, code=found.code, description=found.description,
                        group=found.group, notice=found.notice, order_type=found.order_type)
    flash(request, f"服务 {code} 已重新发布")
    return RedirectResponse(PAGE, status_code=303)
