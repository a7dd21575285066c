"""The one place a web request becomes "staff S of merchant M" (console and clerk pages).

    @staff_view("stores.edit")
    def store_edit(request, store_id): ...   # request.staff, request.merchant are set

Anonymous users are sent to the login page; logins that are staff of no usable merchant, or
whose role lacks the permission, get the shared error page. Views then read and write only
through services and selectors that take ``merchant=request.merchant``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from weloop.core.errors import PermissionDenied
from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import require_permission
from weloop.tenants.selectors import staff_for_user

SESSION_MERCHANT_KEY = "weloop_merchant_id"

View = Callable[..., HttpResponse]


def staff_from_request(request: HttpRequest) -> StaffMember:
    staff = staff_for_user(request.user, merchant_id=request.session.get(SESSION_MERCHANT_KEY))
    request.session[SESSION_MERCHANT_KEY] = staff.merchant_id
    return staff


def staff_view(permission: str = "dashboard.view") -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            staff = staff_from_request(request)
            require_permission(staff, permission)
            request.staff = staff  # type: ignore[attr-defined]
            request.merchant = staff.merchant  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


class NotOperator(PermissionDenied):
    code = "platform.not_operator"
    message = "Only platform operators may open the platform console."


def operator_view(view: View) -> View:
    """Platform operators are users with ``is_staff``; they see every merchant."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise NotOperator()
        return view(request, *args, **kwargs)

    return wrapper
