"""HTML form fields → the schemas the API validates, so that pages and API obey one set of rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError

from minhu.core.errors import InvalidInput
from minhu.web.errors import validation_details

M = TypeVar("M", bound=BaseModel)

BOOL_TRUE = frozenset({"on", "true", "1", "yes"})


def max_lengths(*models: type[BaseModel]) -> dict[str, dict[str, int]]:
    """``{"OrderCreate": {"title": 200, ...}, ...}``: each text field's ``max_length``, for the forms' ``maxlength``.

    Read from the schemas themselves, so a page never states a limit of its own that could drift from the API's.
    """
    limits: dict[str, dict[str, int]] = {}
    for model in models:
        fields: dict[str, int] = {}
        for name, info in model.model_fields.items():
            for rule in info.metadata:
                limit = getattr(rule, "max_length", None)
                if isinstance(limit, int) and _is_text(info.annotation):
                    fields[name] = limit
        limits[model.__name__] = fields
    return limits


def _is_text(annotation: Any) -> bool:
    """str, or an Annotated/optional str (not a list, whose max_length counts items)."""
    if annotation is str:
        return True
    return any(_is_text(arg) for arg in get_args(annotation)) if get_origin(annotation) is not list else False


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
