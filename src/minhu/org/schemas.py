"""Pydantic shapes of the organisation API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from minhu.core.schemas import InputModel
from minhu.core.text import RequiredText
from minhu.org.roles import Role, UnitKind


class TokenRequest(InputModel):
    username: Annotated[RequiredText, Field(max_length=64)]
    password: Annotated[RequiredText, Field(max_length=200)]


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class UnitRead(BaseModel):
    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None


class UserRead(BaseModel):
    id: int
    username: str
    full_name: str
    role: Role
    unit: UnitRead
