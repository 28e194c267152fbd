"""Domain errors and the one renderer that turns every failure into ``{"error": {...}}``.

422 is for malformed input only, 409 for a conflict with the current state, 404 also for what
the caller may not see (so existence does not leak).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error a client can act on: a stable code, an HTTP status, a message and details."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | dict[str, Any] | None = None,
                 code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[dict[str, Any]] | dict[str, Any] = details if details is not None else []
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def as_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}

    def detail_lines(self) -> list[str]:
        """Each offending field and what is wrong with it, one line each (for a terminal)."""
        if not isinstance(self.details, list):
            return []
        return [f"{d['field']}：{d['message']}" for d in self.details
                if isinstance(d, dict) and "field" in d and "message" in d]


class NotFound(DomainError):
    status = 404
    code = "not_found"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidInput(DomainError):
    """Malformed input; ``details`` lists ``{"field": "a.b", "message": ...}`` entries."""

    status = 422
    code = "invalid_input"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class TooManyRequests(DomainError):
    """A limit reached; ``retry_after`` is how many seconds until the next try may succeed."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, details={"retry_after": retry_after})
        self.retry_after = retry_after


def field_error(field: str, message: str, code: str = "invalid_input") -> InvalidInput:
    return InvalidInput(message, details=[{"field": field, "message": message}], code=code)
