"""Login and logout pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from minhu.core.errors import InvalidInput, NotAuthenticated, TooManyRequests
from minhu.org import access
from minhu.org.auth import SESSION_SECRET, CsrfProtected, OptionalPageUser, PageUser, csrf_token, session_secret
from minhu.web.deps import DB, client_address
from minhu.web.flash import flash
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)


def _safe_next(target: str | None) -> str:
    # Only local paths: a login link must not bounce a user to another site.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/orders"


@router.get("/login")
def login_form(request: Request, user: OptionalPageUser, next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "org/login.html", csrf=csrf_token(request), next=_safe_next(next), error=None)


@router.post("/login", dependencies=[CsrfProtected])
def login(request: Request, db: DB, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/orders") -> Response:
    try:
        user = access.sign_in(db, username=username, password=password, client=client_address(request))
    except (NotAuthenticated, TooManyRequests) as exc:
        response = render(request, "org/login.html", status_code=exc.status, csrf=csrf_token(request),
                          next=_safe_next(next), error=exc.message, username=username)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    previous = session_secret(request)
    with db.transaction() as session:
        if previous is not None:  # signing in again ends the session this browser had
            access.close_session(session, previous)
        secret = access.open_session(session, user)
    request.session.clear()
    request.session[SESSION_SECRET] = secret
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[CsrfProtected])
def logout(request: Request, db: DB) -> Response:
    secret = session_secret(request)
    if secret is not None:
        with db.transaction() as session:
            access.close_session(session, secret)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account/password")
def password_form(request: Request, user: PageUser) -> Response:
    return render(request, "org/password.html", user=user, csrf=csrf_token(request), errors={})


@router.post("/account/password", dependencies=[CsrfProtected])
def change_password(request: Request, user: PageUser, db: DB, current: Annotated[str, Form(max_length=200)],
                    new: Annotated[str, Form(max_length=200)],
                    repeated: Annotated[str, Form(max_length=200)]) -> Response:
    try:
        access.change_password(db, user, current=current, new=new, repeated=repeated,
                               keep_session=session_secret(request))
    except (InvalidInput, TooManyRequests) as exc:
        errors = ({d["field"]: d["message"] for d in exc.details if isinstance(d, dict)}
                  if isinstance(exc.details, list) else {"current": exc.message})
        return render(request, "org/password.html", status_code=exc.status, user=user, csrf=csrf_token(request),
                      errors=errors)
    flash(request, "密码已修改；其他浏览器和 API 令牌的登录已全部退出")
    return RedirectResponse("/orders", status_code=303)
