"""Helpers every console view shares: the page frame, htmx detection and showing service errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from weloop.core.errors import WeloopError
from weloop.dashboard.nav import nav_for
from weloop.tenants.selectors import memberships_of


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def actor_of(request: HttpRequest) -> str:
    """How history rows and events name the person acting."""
    return f"staff:{request.user.get_username()}"


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """Render a console page inside the frame: navigation for the role, merchant switcher."""
    staff = request.staff  # type: ignore[attr-defined]
    match = request.resolver_match
    frame = {
        "staff": staff,
        "merchant": request.merchant,  # type: ignore[attr-defined]
        "nav": nav_for(staff, current_url_name=(match.url_name or "") if match else ""),
        "memberships": list(memberships_of(request.user)),
    }
    return render(request, template, {**frame, **(context or {})}, status=status)


def render_partial(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    response = render(request, template, context or {}, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def error_context(error: WeloopError | None) -> dict[str, Any]:
    """What templates show for a service error: the translated message and its stable code."""
    if error is None:
        return {}
    return {"error": {"code": error.code, "message": gettext(error.detail), "extra": error.extra}}


def attach_error(
    form: forms.Form, error: WeloopError, *, field_by_code: Mapping[str, tuple[str, ...]] | None = None
) -> None:
    """Show ``error`` beside the field it is about (from ``extra["field"]`` or its code), if any."""
    fields: tuple[str, ...] = (field_by_code or {}).get(error.code, ())
    named = str(error.extra.get("field", ""))
    if named in form.fields:
        fields = (named,)
    for name in fields:
        if name in form.fields:
            form.add_error(name, gettext(error.detail))


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` URL a form posted, if it points back into this site; ``default`` otherwise."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default
