"""Views every surface shares: health, CSRF failure and the error pages."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from weloop.core.errors import CsrfFailed, NotFound, PermissionDenied, ValidationFailed, WeloopError
from weloop.core.rendering import render_error


def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the database and the queue answer; 503 when either does not."""
    checks = {"database": _check_database(), "queue": _check_queue()}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503)


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "vendor": connection.vendor, "error": str(exc)[:200]}
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 2)}


def _check_queue() -> dict:
    from huey.contrib.djhuey import HUEY

    try:
        pending = HUEY.pending_count()
    except Exception as exc:
        return {"ok": False, "backend": type(HUEY).__name__, "error": str(exc)[:200]}
    return {"ok": True, "backend": type(HUEY).__name__, "pending": pending}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render_error(request, CsrfFailed(extra={"reason": reason}))


def _status_error(error: WeloopError) -> Callable[..., HttpResponse]:
    def view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        return render_error(request, error)

    return view


bad_request = _status_error(ValidationFailed("The request is malformed."))
permission_denied = _status_error(PermissionDenied())
page_not_found = _status_error(NotFound("This page does not exist."))


def server_error(request: HttpRequest) -> HttpResponse:
    return render_error(request, _InternalError())


class _InternalError(WeloopError):
    code = "internal_error"
    status = 500
    message = "Something went wrong on our side; it has been logged."
