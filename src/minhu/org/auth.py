"""Who is calling: bearer tokens for the API, the session cookie for pages, CSRF for page forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from minhu.core import security
from minhu.core.cache import TTLCache
from minhu.core.errors import DomainError, Forbidden, NotAuthenticated
from minhu.org import queries
from minhu.org.models import User
from minhu.web.deps import DB

_bearer = HTTPBearer(auto_error=False, description="POST /api/v1/auth/token 取得的令牌")

SESSION_USER = "user_id"
SESSION_CSRF = "csrf"


class LoginRequired(DomainError):
    """A page needs a signed-in user; rendered as a redirect to the login page."""

    status = 401
    code = "login_required"


# Every API request presents its token; remembering who it names for half a minute saves a query
# per request. A deactivated user or an expired token is refused at most this long afterwards.
TOKEN_CACHE_SECONDS = 30
_token_users: TTLCache[tuple[str, str], User | None] = TTLCache(ttl_seconds=TOKEN_CACHE_SECONDS)


async def api_user(db: DB, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> User:
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
    cached, user = _token_users.lookup(key)
    if not cached:
        user = await run_in_threadpool(_token_users.get_or_load, key, load)
    if user is None:
        raise NotAuthenticated("令牌无效或已过期", code="invalid_token")
    return user


def optional_page_user(request: Request, db: DB) -> User | None:
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    with db.read() as session:
        return queries.find_user(session, user_id)


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
