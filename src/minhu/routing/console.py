"""What the console's pages of routing share: how a page is rendered, a form read, a refusal shown and a
change written and acknowledged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from minhu.core.db import Database
from minhu.core.errors import InvalidInput
from minhu.org.auth import csrf_token
from minhu.org.models import User
from minhu.routing import permissions
from minhu.routing.models import GRADE_LABELS, GRADES, LIMIT_CLASS_LABELS, OWNER_KIND_LABELS
from minhu.web.flash import flash, pop_flashes
from minhu.web.render import render

T = TypeVar("T")

LABELS = {"OWNER_KIND_LABELS": OWNER_KIND_LABELS, "LIMIT_CLASS_LABELS": LIMIT_CLASS_LABELS,
          "grade_options": [(g.value, GRADE_LABELS[g]) for g in GRADES],
          "owner_options": [(k.value, label) for k, label in OWNER_KIND_LABELS.items()],
          "limit_options": [(k.value, label) for k, label in LIMIT_CLASS_LABELS.items()]}


def page(request: Request, template: str, user: User, status_code: int = 200, **context: Any) -> Response:
    return render(request, template, status_code=status_code, user=user, csrf=csrf_token(request),
                  flashes=pop_flashes(request), may_edit=permissions.may_edit(user), **LABELS, **context)


async def form_of(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def trouble(exc: InvalidInput) -> dict[str, Any]:
    """What a re-rendered form shows: the message, the fields at fault, and a file's bad lines."""
    details = exc.details if isinstance(exc.details, list) else []
    return {"message": exc.message, "errors": {d["field"]: d["message"] for d in details if "field" in d},
            "lines": [d for d in details if str(d.get("field", "")).startswith("第 ")]}


def write(db: Database, change: Callable[[Session], T]) -> T:
    """One write transaction around ``change(session)``: committed before the response goes."""
    with db.transaction() as session:
        return change(session)


def done(request: Request, url: str, message: str) -> Response:
    """Back to ``url``, which shows ``message``."""
    flash(request, message)
    return RedirectResponse(url, status_code=303)
