"""Login and logout pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from minhu.core.errors import NotAuthenticated
from minhu.org import service
from minhu.org.auth import SESSION_USER, CsrfProtected, OptionalPageUser, csrf_token
from minhu.web.deps import DB
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
        with db.read() as session:
            user = service.authenticate(session, username=username.strip(), password=password)
    except NotAuthenticated as exc:
        return render(request, "org/login.html", status_code=401, csrf=csrf_token(request),
                      next=_safe_next(next), error=exc.message, username=username)
    request.session.clear()
    request.session[SESSION_USER] = user.id
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[CsrfProtected])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
