"""Request guards that must run for every surface."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from weloop.core.errors import RequestTooLarge, WeloopError
from weloop.core.rendering import render_error


class RequestSizeLimitMiddleware:
    """Refuse a body over WELOOP_MAX_REQUEST_BYTES with 413 before any view reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.WELOOP_MAX_REQUEST_BYTES
        if length > limit:
            return render_error(request, RequestTooLarge(extra={"limit_bytes": limit, "got_bytes": length}))
        return self.get_response(request)


class WeloopErrorMiddleware:
    """Render a WeloopError raised by any non-API view with the shared renderer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, WeloopError):
            return render_error(request, exception)
        return None
