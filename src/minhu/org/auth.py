"""Who is calling: bearer tokens for the API, the session cookie for pages, CSRF for page forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from minhu.core import security
from minhu.core.db import Database
from minhu.core.errors import DomainError, Forbidden, NotAuthenticated
from minhu.org import access, queries
from minhu.org.models import User
from minhu.web.deps import DB

bearer = HTTPBearer(auto_error=False, description="POST /api/v1/auth/token 取得的令牌")

# The cookie holds the secret of a server-side session (``access.open_session``), never the user's id.
SESSION_SECRET = "sid"
SESSION_CSRF = "csrf"


class LoginRequired(DomainError):
    """A page needs a signed-in user; rendered as a redirect to the login page."""

    status = 401
    code = "login_required"


async def api_user(db: DB, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> User:
    # async, answered from the cache on the event loop: a sync dependency costs every request a hop through
    # the thread pool; only a miss sends its query to a thread.
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("需要 Bearer 令牌（POST /api/v1/auth/token）")
    token = credentials.credentials
    if not token.isascii() or len(token) > 200:
        raise NotAuthenticated("令牌无效或已过期", code="invalid_token")
    def load() -> User | None:
        with db.read() as session:
            return queries.find_user_by_token(session, token)

    key = (db.url, security.token_digest(token))
    cached, user = access.token_users.lookup(key)
    if not cached:
        user = await run_in_threadpool(access.token_users.get_or_load, key, load)
    if user is None:
        raise NotAuthenticated("令牌无效或已过期", code="invalid_token")
    return user


def session_secret(request: Request) -> str | None:
    secret = request.session.get(SESSION_SECRET) if "session" in request.scope else None
    return secret if isinstance(secret, str) else None


def signed_in_user(request: Request, db: Database) -> User | None:
    """The user of the request's live server-side session, or None."""
    secret = session_secret(request)
    if secret is None:
        return None
    with db.read() as session:
        return access.session_user(session, secret)


def optional_page_user(request: Request, db: DB) -> User | None:
    return signed_in_user(request, db)


def page_user(user: Annotated[User | None, Depends(optional_page_user)]) -> User:
    if user is None:
        raise LoginRequired("请先登录")
    return user


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = security.new_csrf_token()
        request.session[SESSION_CSRF] = token
    return token


async def csrf_protect(request: Request) -> None:
    """Page forms carry the session's token as a field or, from htmx, as the X-CSRF-Token header."""
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not security.csrf_matches(request.session.get(SESSION_CSRF), given):
        raise Forbidden("页面已过期，请刷新后重试", code="csrf_failed")


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]
CsrfProtected = Depends(csrf_protect)
