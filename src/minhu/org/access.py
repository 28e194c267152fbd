"""Signing in and out: guarded password checks, browser sessions and API tokens the server can end.

A password is tried against the login limits first (``guard``): five wrong ones lock the account, twenty from one
client lock the client, each lock longer than the last. A browser session and an API token are both rows the
server holds; logout, ``DELETE /api/v1/auth/token``, a password change and disabling an account end them at once,
however many copies of the cookie or token exist. The cleanup job deletes what has expired.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from minhu.core import clock, security
from minhu.core.cache import TTLCache
from minhu.core.db import Database, rows_changed
from minhu.core.errors import NotAuthenticated, field_error
from minhu.guard import service as guard
from minhu.org import service
from minhu.org.models import ApiToken, LoginSession, User

SESSION_HOURS = 12
# Expired and revoked rows are kept a day (for whoever investigates a lock-out), then deleted.
KEPT_AFTER_END = timedelta(days=1)

# Every API request presents its token; remembering who it names for half a minute saves a query per request.
# This process forgets at once when a token is revoked here; other processes within this many seconds.
TOKEN_CACHE_SECONDS = 30
token_users: TTLCache[tuple[str, str], User | None] = TTLCache(ttl_seconds=TOKEN_CACHE_SECONDS)


def sign_in(db: Database, *, username: str, password: str, client: str) -> User:
    """The active user with these credentials, within the login limits.

    Raises TooManyRequests while the account or the client is locked (the right password included: a guesser
    must not learn that it was right), NotAuthenticated for wrong credentials, counted against both.
    """
    account = username.strip().casefold()
    # Counted before the password is checked, so that guesses sent all at once are limited too.
    guard.reserve_all(db, (guard.LOGIN_ACCOUNT, account), (guard.LOGIN_CLIENT, client))
    with db.read() as session:
        try:
            user = service.authenticate(session, username=username.strip(), password=password)
        except NotAuthenticated:
            user = None
    if user is None:
        raise NotAuthenticated("用户名或密码错误", code="invalid_credentials")
    with db.transaction() as session:
        guard.clear(session, guard.LOGIN_ACCOUNT, account)
        guard.release(session, guard.LOGIN_CLIENT, client)
    return user


def open_session(session: Session, user: User) -> str:
    """A new browser session for ``user``; returns the secret the cookie carries."""
    secret = security.new_token()
    now = clock.now()
    session.add(LoginSession(digest=security.token_digest(secret), user_id=user.id, created_at=now,
                             expires_at=now + timedelta(hours=SESSION_HOURS)))
    session.flush()
    return secret


def session_user(session: Session, secret: str) -> User | None:
    """The active user of a live session, or None for an unknown, ended or expired one."""
    if not secret.isascii() or len(secret) > 200:
        return None
    return session.scalars(
        select(User).join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.digest == security.token_digest(secret), LoginSession.revoked_at.is_(None),
               LoginSession.expires_at > clock.now(), User.active.is_(True))).first()


def close_session(session: Session, secret: str) -> None:
    session.execute(update(LoginSession).where(LoginSession.digest == security.token_digest(secret),
                                               LoginSession.revoked_at.is_(None)).values(revoked_at=clock.now()))


def revoke_token(session: Session, token: str) -> bool:
    """End one API token; False when it was not live."""
    result = session.execute(update(ApiToken).where(ApiToken.digest == security.token_digest(token),
                                                    ApiToken.revoked_at.is_(None)).values(revoked_at=clock.now()))
    token_users.clear_now_and_after(session)
    return rows_changed(result) == 1


def end_everything(session: Session, user: User, *, except_session: str | None = None) -> None:
    """End every session and token of ``user`` (but the browser that asked, when given)."""
    now = clock.now()
    sessions = update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
    if except_session is not None:
        sessions = sessions.where(LoginSession.digest != security.token_digest(except_session))
    session.execute(sessions.values(revoked_at=now))
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    token_users.clear_now_and_after(session)


def change_password(db: Database, user: User, *, current: str, new: str, repeated: str,
                    keep_session: str | None) -> None:
    """The user's own change: the current password must be right, and a wrong one counts against the account as
    at the login (a borrowed session must not guess freely); every other session and token ends. The hashes
    are computed outside the write transaction."""
    if new != repeated:
        raise field_error("repeated", "两次输入的新密码不一致")
    if new == current:
        raise field_error("new", "新密码不能与当前密码相同")
    if len(new) < service.MIN_PASSWORD_LENGTH:
        raise field_error("new", f"密码至少 {service.MIN_PASSWORD_LENGTH} 位")
    account = user.username.casefold()
    guard.reserve_all(db, (guard.LOGIN_ACCOUNT, account))
    if not security.verify_password(user.password_hash, current):
        raise field_error("current", "当前密码不正确", code="wrong_password")
    hashed = security.hash_password(new)
    with db.transaction() as session:
        guard.clear(session, guard.LOGIN_ACCOUNT, account)
        _replace_password(session, session.get_one(User, user.id), hashed, keep_session=keep_session)


def set_password(session: Session, user: User, password: str, *, keep_session: str | None = None) -> None:
    """Set a new password (an administrator's reset, or the user's own change) and end the old sessions."""
    if len(password) < service.MIN_PASSWORD_LENGTH:
        raise field_error("new", f"密码至少 {service.MIN_PASSWORD_LENGTH} 位")
    _replace_password(session, user, security.hash_password(password), keep_session=keep_session)
    # An administrator's reset also lifts a lock on the account (the way back for a person locked out).
    guard.clear(session, guard.LOGIN_ACCOUNT, user.username.casefold())


def _replace_password(session: Session, user: User, hashed: str, *, keep_session: str | None) -> None:
    user.password_hash = hashed
    end_everything(session, user, except_session=keep_session)
    session.flush()


def unlock(session: Session, user: User) -> None:
    """Lift the account's lock after wrong passwords (an administrator's decision: ``minhu users unlock``)."""
    guard.clear(session, guard.LOGIN_ACCOUNT, user.username.casefold())


def set_active(session: Session, user: User, active: bool) -> None:
    """Enable or disable an account; disabling ends its sessions and tokens at once."""
    user.active = active
    if not active:
        end_everything(session, user)
    session.flush()


def forget_ended(session: Session) -> int:
    """Delete tokens and sessions that expired or were revoked more than a day ago; returns how many."""
    before = clock.now() - KEPT_AFTER_END
    deleted = 0
    for table in (ApiToken, LoginSession):
        deleted += rows_changed(session.execute(delete(table).where(
            or_(table.expires_at < before, table.revoked_at < before))))
    return deleted


def cleanup_job(db: Database) -> None:
    """The worker's hourly cleanup: ended sessions and tokens, and stale login and guessing counts."""
    with db.transaction() as session:
        forget_ended(session)
        guard.forget_stale(session)
