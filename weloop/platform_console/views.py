"""The operator console: merchants, their onboarding and their status (approve, suspend, reactivate)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from weloop.core.errors import ValidationFailed, WeloopError
from weloop.core.state import history_of
from weloop.platform_console.forms import MerchantCreateForm
from weloop.platform_console.selectors import merchant_with_counts, merchants_with_counts, owners_of
from weloop.tenants.access import operator_view
from weloop.tenants.enums import MerchantStatus
from weloop.tenants.models import Merchant
from weloop.tenants.services import merchant_create as create_merchant
from weloop.tenants.services import merchant_set_status
from weloop.tenants.state import MERCHANT

# The buttons an operator sees, by the status they set; the state machine decides which apply.
STATUS_ACTIONS: dict[str, dict[str, str | Promise]] = {
    MerchantStatus.PENDING: {MerchantStatus.ACTIVE: _("Approve"), MerchantStatus.SUSPENDED: _("Suspend")},
    MerchantStatus.ACTIVE: {MerchantStatus.SUSPENDED: _("Suspend")},
    MerchantStatus.SUSPENDED: {MerchantStatus.ACTIVE: _("Reactivate")},
}


def _actor(request: HttpRequest) -> str:
    return f"operator:{request.user.get_username()}"


def _error(error: WeloopError | None) -> dict[str, object]:
    if error is None:
        return {}
    return {"error": {"code": error.code, "message": gettext(error.detail), "extra": error.extra}}


@operator_view
def merchant_list(request: HttpRequest) -> HttpResponse:
    return render(request, "platform_console/merchant_list.html", {"merchants": merchants_with_counts()})


@never_cache
@operator_view
def merchant_new(request: HttpRequest) -> HttpResponse:
    form = MerchantCreateForm(request.POST or None)
    error: WeloopError | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = create_merchant(
                name=data["name"],
                slug=data["slug"],
                owner_username=data["owner_username"] or None,
                status=data["status"],
                actor=_actor(request),
            )
        except WeloopError as exc:
            error = exc
            for name in MerchantCreateForm.FIELDS_BY_ERROR.get(exc.code, ()):
                form.add_error(name, gettext(exc.detail))
        else:
            # Shown in this one response and never again: the password and key are not stored in clear.
            return render(request, "platform_console/merchant_created.html", {"created": created})
    status = (error.status if error else 400) if request.method == "POST" else 200
    return render(request, "platform_console/merchant_new.html", {"form": form, **_error(error)}, status=status)


def _detail(
    request: HttpRequest, merchant: Merchant, *, error: WeloopError | None = None, status: int = 200
) -> HttpResponse:
    actions = [
        {"status": target, "label": label, "danger": target == MerchantStatus.SUSPENDED}
        for target, label in STATUS_ACTIONS.get(merchant.status, {}).items()
        if MERCHANT.can(merchant.status, target)
    ]
    context = {
        "merchant": merchant,
        "owners": owners_of(merchant),
        "history": history_of(MERCHANT, merchant).order_by("-id")[:20],
        "actions": actions,
        **_error(error),
    }
    return render(request, "platform_console/merchant_detail.html", context, status=status)


@operator_view
def merchant_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _detail(request, merchant_with_counts(slug))


@require_POST
@operator_view
def merchant_status(request: HttpRequest, slug: str) -> HttpResponse:
    merchant = merchant_with_counts(slug)
    target = request.POST.get("status", "")
    reason = request.POST.get("reason", "").strip()[:500]
    try:
        if target == MerchantStatus.SUSPENDED and not reason:
            # Staff of a suspended merchant are locked out; whoever lifts it later needs the why.
            raise ValidationFailed(gettext("Give a reason for the suspension."), extra={"field": "reason"})
        merchant_set_status(merchant=merchant, status=target, actor=_actor(request), reason=reason)
    except WeloopError as error:
        return _detail(request, merchant_with_counts(slug), error=error, status=error.status)
    messages.success(
        request,
        gettext("%(name)s is now: %(status)s.") % {"name": merchant.name, "status": MerchantStatus(target).label},
    )
    return redirect("platform:merchant_detail", slug=merchant.slug)
