"""Refuse input no database column can hold, before it reaches a query.

PostgreSQL text cannot contain NUL (U+0000): psycopg raises DataError, which would surface as a
500 for what is bad input. Bodies are checked by the JSON parser (``find_nul`` on the parsed
data); path parameters, the query string and the Idempotency-Key by ``refuse_nul_characters``,
applied to every operation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from weloop.api.errors import NulCharacter
from weloop.api.idempotency import HEADER
from weloop.core.rendering import render_error

NUL = "\x00"


def find_nul(value: Any, where: str = "") -> str | None:
    """The path (``hours[0].opens``) of the first string in ``value`` holding a NUL, else None."""
    if isinstance(value, str):
        return (where or "value") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if NUL in str(key):
                return inner
            if found := find_nul(item, inner):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := find_nul(item, f"{where}[{index}]"):
                return found
    return None


def refuse_nul_characters(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap an operation's ``run``: a NUL in a path parameter, the query or the key is a 400."""

    @wraps(run)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        found = (
            find_nul(kwargs)
            or find_nul({name: request.GET.getlist(name) for name in request.GET})
            or find_nul({HEADER: request.headers.get(HEADER, "")})
        )
        if found:
            return render_error(request, NulCharacter(extra={"field": found}))
        return run(request, *args, **kwargs)

    return guarded
