"""HTML form fields → the schemas the API validates, so that pages and API obey one set of rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from minhu.core.errors import InvalidInput
from minhu.web.errors import validation_details

M = TypeVar("M", bound=BaseModel)

BOOL_TRUE = frozenset({"on", "true", "1", "yes"})


def int_or_none(value: str | None) -> int | str | None:
    """A form's number, or the text as given (so validation names it) — or None when left empty."""
    if value is None or value == "":
        return None
    # isdigit() admits superscripts that int() refuses, and int() reads other scripts' digits: ASCII only.
    return int(value) if value.isascii() and value.isdecimal() else value


def validated(model: type[M], data: dict[str, Any], labels: Mapping[str, str]) -> M:
    """``model`` from form ``data``. Raises InvalidInput whose message names each bad field by ``labels``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = validation_details(exc.errors())
        message = "；".join(f"{labels.get(d['field'], d['field'])}：{d['message']}" for d in details)
        raise InvalidInput(message, details=details) from exc
