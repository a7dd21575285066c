"""Errors only the HTTP API raises: malformed requests and the Idempotency-Key protocol."""

from __future__ import annotations

from weloop.core.errors import WeloopError


class MalformedJson(WeloopError):
    code = "request.malformed_json"
    status = 400
    message = "The request body is not valid JSON."


class RequestInvalid(WeloopError):
    code = "request.invalid"
    status = 422
    message = "Some fields of the request are missing or have the wrong type."


class MethodNotAllowed(WeloopError):
    code = "request.method_not_allowed"
    status = 405
    message = "This HTTP method is not allowed here."


class Throttled(WeloopError):
    code = "request.throttled"
    status = 429
    message = "Too many requests; slow down and retry later."


class InvalidIdempotencyKey(WeloopError):
    code = "api.idempotency_key_invalid"
    status = 400
    message = "An Idempotency-Key is 1 to 255 characters long."


class IdempotencyKeyReused(WeloopError):
    code = "api.idempotency_key_reused"
    status = 422
    message = "This Idempotency-Key was already used for a different request; use a new key."


class IdempotencyInProgress(WeloopError):
    code = "api.idempotency_in_progress"
    status = 409
    message = "A request with this Idempotency-Key is still being processed; retry in a moment."


class InternalError(WeloopError):
    code = "internal_error"
    status = 500
    message = "Something went wrong on our side; it has been logged."


class NulCharacter(WeloopError):
    code = "request.nul_character"
    status = 400
    message = "Text must not contain the NUL character (\\u0000)."
