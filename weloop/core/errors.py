"""Errors with stable codes: one type for every layer, rendered the same by the API and console.

A subclass names its ``code`` (dotted, stable: clients branch on it), an HTTP ``status`` and a
default ``message`` written for people. ``extra`` carries machine-readable details.
"""

from __future__ import annotations

from typing import Any, ClassVar


class WeloopError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    message: ClassVar[str] = "The request could not be processed."

    def __init__(self, message: str | None = None, *, extra: dict[str, Any] | None = None) -> None:
        self.detail = message or self.message
        self.extra: dict[str, Any] = extra or {}
        super().__init__(self.detail)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.detail, "extra": self.extra}


class NotFound(WeloopError):
    code = "not_found"
    status = 404
    message = "Not found."


class PermissionDenied(WeloopError):
    code = "permission_denied"
    status = 403
    message = "You are not allowed to do this."


class ValidationFailed(WeloopError):
    code = "validation_failed"
    status = 400
    message = "Some fields are not valid."

    @classmethod
    def for_fields(cls, errors: dict[str, list[str]]) -> ValidationFailed:
        first = next(iter(errors.values()), ["invalid"])[0]
        return cls(first, extra={"fields": errors})


class Conflict(WeloopError):
    code = "conflict"
    status = 409
    message = "The request conflicts with the current state."


class InvalidTransition(WeloopError):
    code = "state.invalid_transition"
    status = 409
    message = "This change of status is not allowed."


class ConcurrentModification(WeloopError):
    code = "state.concurrent_modification"
    status = 409
    message = "Somebody else changed this at the same moment; reload and try again."


class RequestTooLarge(WeloopError):
    code = "request.too_large"
    status = 413
    message = "The request body is too large."


class CsrfFailed(WeloopError):
    code = "security.csrf_failed"
    status = 403
    message = "The form expired or came from another site; reload the page and try again."


class Unauthenticated(WeloopError):
    code = "auth.unauthenticated"
    status = 401
    message = "Authentication is required."
