"""JSON routes of the organisation: tokens, the current user, units."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from minhu.org import access, queries, service
from minhu.org.auth import ApiUser, bearer
from minhu.org.models import Unit, User
from minhu.org.schemas import TokenRead, TokenRequest, UnitRead, UserRead
from minhu.web.deps import DB, AppSettings, client_address
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["组织与认证"], route_class=FormRoute)


def unit_read(unit: Unit) -> UnitRead:
    return UnitRead(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind, parent_id=unit.parent_id)


def user_read(user: User) -> UserRead:
    return UserRead(id=user.id, username=user.username, full_name=user.full_name, role=user.role,
                    unit=unit_read(user.unit))


@router.post("/auth/token", response_model=TokenRead, responses=ERRORS(401, 422, 429))
def create_token(request: Request, body: TokenRequest, db: DB, settings: AppSettings) -> TokenRead:
    """Exchange a username and password for a bearer token.

    Five wrong passwords for one account (or twenty from one client) lock it for a while, longer each time:
    429 with Retry-After, the same limits as the login page."""
    user = access.sign_in(db, username=body.username, password=body.password, client=client_address(request))
    with db.transaction() as session:
        token, row = service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    return TokenRead(access_token=token, expires_at=row.expires_at)


@router.delete("/auth/token", status_code=204, responses=ERRORS(401))
def revoke_token(user: ApiUser, db: DB,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Response:
    """End the token this request presents (the API's logout); it is refused from then on."""
    assert credentials is not None  # ApiUser has already refused a request without one
    with db.transaction() as session:
        access.revoke_token(session, credentials.credentials)
    return Response(status_code=204)


@router.get("/me", response_model=UserRead, responses=ERRORS(401))
def read_me(user: ApiUser) -> UserRead:
    return user_read(user)


@router.get("/units", response_model=list[UnitRead], responses=ERRORS(401))
def list_units(user: ApiUser, db: DB) -> list[UnitRead]:
    """Every unit, in tree order (dispatch targets and their parents)."""
    with db.read() as session:
        return [unit_read(u) for u in queries.list_units(session)]
