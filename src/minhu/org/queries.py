"""Reads of the organisation."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from minhu.core import clock, security
from minhu.core.cache import TTLCache
from minhu.org.models import ApiToken, StreetSetting, Unit, User
from minhu.org.roles import UnitKind


def unit_ids_below(unit: Unit) -> Select[int]:
    """A subquery of the ids of ``unit`` and every unit below it."""
    return select(Unit.id).where(Unit.path.startswith(unit.path))


def find_unit_by_code(session: Session, code: str) -> Unit | None:
    if "\x00" in code:  # no code holds one, and PostgreSQL refuses it in a query
        return None
    return session.scalars(select(Unit).where(Unit.code == code)).first()


def list_units(session: Session) -> Sequence[Unit]:
    return session.scalars(select(Unit).order_by(Unit.path)).all()


def root_prefix(session: Session) -> str | None:
    """The order-number prefix of the topmost unit that declares one."""
    return session.scalar(select(Unit.number_prefix).where(Unit.number_prefix.is_not(None))
                          .order_by(Unit.path.asc()).limit(1))


# Prefixes change perhaps once in a city's life; a minute of staleness (in other processes: this one
# forgets on every unit change) saves a query per order.
_ROOT_PREFIXES: TTLCache[str, str | None] = TTLCache(ttl_seconds=60)


def cached_root_prefix(session: Session) -> str | None:
    return _ROOT_PREFIXES.get_or_load(str(session.get_bind().engine.url), lambda: root_prefix(session))


def forget_root_prefix() -> None:
    _ROOT_PREFIXES.clear()


def find_user_by_token(session: Session, token: str) -> User | None:
    row = session.scalars(select(ApiToken).where(ApiToken.digest == security.token_digest(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= clock.now() or not row.user.active:
        return None
    return row.user


def find_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def find_centre(session: Session) -> Unit | None:
    """The topmost command centre: where orders wait before dispatch and return after a 退单."""
    return session.scalars(select(Unit).where(Unit.kind == UnitKind.CENTRE.value, Unit.active.is_(True))
                           .order_by(Unit.path).limit(1)).first()


def find_root(session: Session) -> Unit | None:
    """The top of the tree: the district (or city) this installation serves."""
    return session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.path).limit(1)).first()


def street_above(session: Session, unit: Unit | None) -> Unit | None:
    """The street the unit is, or lies under (a community, a grid, a property company of it); None above the
    streets or off them. One look-up along the unit's path."""
    if unit is None:
        return None
    ids = [int(part) for part in unit.path.strip("/").split("/") if part] or [unit.id]
    return session.scalars(select(Unit).where(Unit.id.in_(ids), Unit.kind == UnitKind.STREET.value)
                           .order_by(Unit.path.desc()).limit(1)).first()


def find_user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def street_setting(session: Session, street_id: int) -> StreetSetting:
    """The street's settings, or the defaults (an unsaved row) for a street that never changed them."""
    found = session.get(StreetSetting, street_id)
    return found if found is not None else StreetSetting(street_id=street_id, sub_centre=False,
                                                         review_inner_replies=True, a_level_straight=False)
