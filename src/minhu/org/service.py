"""Writes of the organisation: units, users, tokens."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.core import clock, security
from minhu.core.errors import Conflict, NotAuthenticated, field_error
from minhu.core.text import check_storable
from minhu.org import queries
from minhu.org.models import ApiToken, Unit, User
from minhu.org.roles import Role, UnitKind

MIN_PASSWORD_LENGTH = 8


def create_unit(session: Session, *, code: str, name: str, kind: UnitKind, parent: Unit | None = None,
                number_prefix: str | None = None) -> Unit:
    """Add a unit under ``parent``. Raises Conflict when the code is taken."""
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(f"单位编码 {code} 已存在", code="unit_code_taken", details={"code": code})
    unit = Unit(code=code, name=name, kind=kind, parent=parent, number_prefix=number_prefix)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    if number_prefix:
        queries.forget_root_prefix()
    return unit


def move_unit(session: Session, unit: Unit, parent: Unit) -> None:
    """Put ``unit`` (and everything below it) under ``parent``."""
    if parent.is_within(unit):
        raise Conflict(f"不能把单位 {unit.code} 移到自己的下级之下", code="unit_cycle")
    old, new = unit.path, f"{parent.path}{unit.id}/"
    for below in session.scalars(select(Unit).where(Unit.path.startswith(old))):
        below.path = new + below.path[len(old):]
    unit.parent = parent
    session.flush()


def create_user(session: Session, *, username: str, password: str, full_name: str, role: Role, unit: Unit,
                phone: str | None = None, email: str | None = None) -> User:
    """Add a user. Raises InvalidInput for a short password, Conflict when the username is taken."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise field_error("password", f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if role is Role.STREET_DISPATCHER and unit.kind is not UnitKind.STREET:
        raise field_error("unit", f"街道派单员须属于街道，{unit.name} 不是街道", code="invalid_unit")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在", code="username_taken", details={"username": username})
    user = User(username=username, full_name=full_name, role=role, unit=unit, phone=phone, email=email,
                password_hash=security.hash_password(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    """The active user with these credentials. Raises NotAuthenticated otherwise.

    Only reads: call it in a read session, so the deliberately slow hash holds no write lock.
    """
    try:
        check_storable(username)
    except ValueError:
        # No stored name holds a NUL or a lone surrogate; PostgreSQL would refuse the query itself.
        user = None
    else:
        user = session.scalars(select(User).where(User.username == username)).first()
    valid = security.verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.active:
        raise NotAuthenticated("用户名或密码错误", code="invalid_credentials")
    return user


def issue_token(session: Session, *, user: User, ttl_hours: int) -> tuple[str, ApiToken]:
    token = security.new_token()
    row = ApiToken(digest=security.token_digest(token), user_id=user.id,
                   expires_at=clock.now() + timedelta(hours=ttl_hours))
    session.add(row)
    session.flush()
    return token, row
