"""URLs of /api/v1/ (mounted by weloop/urls.py): every API route, the OpenAPI JSON and the docs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path

from weloop.api.api import api, render
from weloop.api.errors import MethodNotAllowed


def json_method_not_allowed(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Turn ninja's plain-text 405 (answered before any operation runs) into our JSON error."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type", "").startswith("application/json"):
            return response
        allowed = sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip())
        error = render(request, MethodNotAllowed(extra={"method": request.method, "allowed": allowed}))
        error["Allow"] = ", ".join(allowed)
        return error

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # like every ninja view: auth is the API key
    return wrapped


def _api_patterns() -> tuple[list[URLPattern], str, str]:
    patterns, app_name, namespace = api.urls
    wrapped = []
    for pattern in patterns:
        assert isinstance(pattern, URLPattern), "ninja mounts routers flat: no nested resolvers"
        view = json_method_not_allowed(pattern.callback)
        wrapped.append(URLPattern(pattern.pattern, view, pattern.default_args, pattern.name))
    return wrapped, app_name, namespace


urlpatterns = [path("", _api_patterns())]
