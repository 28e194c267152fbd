"""JSON routes of the organisation: tokens, the current user, units."""

from __future__ import annotations

from fastapi import APIRouter

from minhu.org import queries, service
from minhu.org.auth import ApiUser
from minhu.org.models import Unit, User
from minhu.org.schemas import TokenRead, TokenRequest, UnitRead, UserRead
from minhu.web.deps import DB, AppSettings
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["组织与认证"], route_class=FormRoute)


def unit_read(unit: Unit) -> UnitRead:
    return UnitRead(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind, parent_id=unit.parent_id)


def user_read(user: User) -> UserRead:
    return UserRead(id=user.id, username=user.username, full_name=user.full_name, role=user.role,
                    unit=unit_read(user.unit))


@router.post("/auth/token", response_model=TokenRead, responses=ERRORS(401, 422))
def create_token(body: TokenRequest, db: DB, settings: AppSettings) -> TokenRead:
    """Exchange a username and password for a bearer token."""
    with db.read() as session:
        user = service.authenticate(session, username=body.username, password=body.password)
    with db.transaction() as session:
        token, row = service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    return TokenRead(access_token=token, expires_at=row.expires_at)


@router.get("/me", response_model=UserRead, responses=ERRORS(401))
def read_me(user: ApiUser) -> UserRead:
    return user_read(user)


@router.get("/units", response_model=list[UnitRead], responses=ERRORS(401))
def list_units(user: ApiUser, db: DB) -> list[UnitRead]:
    """Every unit, in tree order (dispatch targets and their parents)."""
    with db.read() as session:
        return [unit_read(u) for u in queries.list_units(session)]
