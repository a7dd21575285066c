"""One renderer for errors: JSON ``{"code", "message", "extra"}`` for the API, a page otherwise."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext

from weloop.core.errors import WeloopError


def wants_json(request: HttpRequest) -> bool:
    if request.path.startswith(("/api/", "/healthz")):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def render_error(request: HttpRequest, error: WeloopError) -> HttpResponse:
    body = error.as_dict()
    if wants_json(request):
        return JsonResponse(body, status=error.status, json_dumps_params={"ensure_ascii": False})
    html = render_to_string(
        "errors/error.html",
        {"code": error.code, "message": gettext(error.detail), "status": error.status, "extra": error.extra},
        request=request,
    )
    return HttpResponse(html, status=error.status)
