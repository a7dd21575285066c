from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from weloop.core.errors import NotFound
from weloop.dashboard.selectors import console_overview
from weloop.dashboard.web import render_page
from weloop.tenants.access import SESSION_MERCHANT_KEY, staff_view
from weloop.tenants.selectors import memberships_of


@staff_view("dashboard.view")
def home(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = {
        "overview": console_overview(merchant=merchant),
        "callback_path": f"/wechat/{merchant.slug}/callback",
    }
    return render_page(request, "dashboard/home.html", context)


@require_POST
@login_required
def switch_merchant(request: HttpRequest) -> HttpResponse:
    """Act as staff of another merchant this login belongs to (not @staff_view: the current one may be
    suspended, and switching away from it must still work)."""
    membership = memberships_of(request.user).filter(merchant__slug=request.POST.get("merchant", "")).first()
    if membership is None:
        raise NotFound("No such merchant.", extra={"what": "merchant"})
    request.session[SESSION_MERCHANT_KEY] = membership.merchant_id
    return redirect("dashboard:home")
