"""Request guards that must run for every surface."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import resolve
from django.utils import translation

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


class LeanPathMiddleware:
    """Serve the machine-to-machine paths of WELOOP_LEAN_PATHS without the middleware below it.

    WeChat's callback (/wechat/) has no session, login, CSRF token, flash messages or language
    choice: running those middlewares for each push costs more than the view's own work. This one
    resolves the URL and calls the view directly. It keeps what still applies: ALLOWED_HOSTS
    (a bad Host is a 400), the default language, and ``nosniff``. Exceptions become responses as
    for any view (Django wraps every middleware). Place it right after the request-size limit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "WELOOP_LEAN_PATHS", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.prefixes or not request.path_info.startswith(self.prefixes):
            return self.get_response(request)
        request.get_host()  # raises DisallowedHost (400) as CommonMiddleware would
        match = resolve(request.path_info)
        request.resolver_match = match
        translation.activate(settings.LANGUAGE_CODE)
        response: HttpResponse = match.func(request, *match.args, **match.kwargs)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


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
