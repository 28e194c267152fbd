"""The early-warning policy in force: the packaged file's values, overlaid by the administrator's saved ones."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.errors import InvalidInput
from minhu.org.models import User
from minhu.warning.method import Policy
from minhu.warning.models import WarningPolicy

DEFAULT_FILE = Path(__file__).parent / "data" / "policy.toml"
NAME = "default"


@cache
def packaged() -> dict[str, Any]:
    with DEFAULT_FILE.open("rb") as f:
        return tomllib.load(f)


def current(session: Session) -> Policy:
    """The policy the scan applies now."""
    row = session.get(WarningPolicy, NAME)
    return Policy.from_values({**packaged(), **(row.values if row is not None else {})})


def save(session: Session, values: dict[str, Any], *, actor: User | None) -> Policy:
    """Keep ``values`` (some or all parameters) over the packaged ones. Raises InvalidInput naming the problem."""
    row = session.get(WarningPolicy, NAME)
    merged = {**(row.values if row is not None else {}), **values}
    try:
        policy = Policy.from_values({**packaged(), **merged})
    except ValueError as exc:
        raise InvalidInput(f"预警参数无效：{exc}", code="warning_policy_invalid") from None
    if row is None:
        row = WarningPolicy(name=NAME)
        session.add(row)
    row.values = {key: policy.as_dict()[key] for key in merged}
    row.updated_by_id = actor.id if actor is not None else None
    row.updated_at = clock.now()
    session.flush()
    return policy


def reset(session: Session) -> Policy:
    """Back to the packaged values."""
    row = session.get(WarningPolicy, NAME)
    if row is not None:
        session.delete(row)
        session.flush()
    return Policy.from_values(packaged())
