"""WeChat Pay pages: the account's settings, the payment ledger and the daily reconciliation.

The settings form takes what ``weloop merchant set-pay`` takes (mchid, APIv3 key, the merchant's
private key file and certificate serial, WeChat Pay's public key file and id) and calls the same
service, which checks every value before storing anything. Secrets are write-only: the page shows
the mchid, the serial and the key id, never the APIv3 key nor a private key. In simulator mode a
merchant without a real account can also switch to a simulated one.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.dashboard.order_forms import DayForm, PaySettingsForm
from weloop.dashboard.web import actor_of, attach_error, error_context, render_page
from weloop.payments import selectors
from weloop.payments.enums import PaymentMethod
from weloop.payments.services import pay_settings_create_simulated, pay_settings_set, reconciliation_report
from weloop.tenants.access import staff_view

PAGE_SIZE = 100


def _settings_page(
    request: HttpRequest, form: PaySettingsForm | None = None, error: WeloopError | None = None, status: int = 200
) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = {
        "pay": selectors.pay_settings_find(merchant=merchant),
        "form": form or PaySettingsForm(),
        "simulator_mode": settings.WECHAT_MODE == "simulator",
        "notify_url": f"{settings.PUBLIC_URL}/pay/wechat/{merchant.slug}/notify",
        **error_context(error),
    }
    return render_page(request, "dashboard/payments/settings.html", context, status=status)


@staff_view("payments.manage")
def pay_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request)
    form = PaySettingsForm(request.POST, request.FILES)
    if not form.is_valid():
        return _settings_page(request, form, status=400)
    data = form.cleaned_data
    try:
        pay_settings_set(
            merchant=request.merchant,  # type: ignore[attr-defined]
            mchid=data["mchid"],
            apiv3_key=data["apiv3_key"],
            merchant_private_key_pem=data["merchant_private_key"],
            merchant_serial=data["merchant_serial"],
            platform_public_key_pem=data["platform_public_key"],
            platform_public_key_id=data["platform_public_key_id"],
            actor=actor_of(request),
        )
    except WeloopError as error:
        attach_error(form, error)
        return _settings_page(request, form, error, status=error.status)
    messages.success(request, gettext("WeChat Pay account saved."))
    return redirect("dashboard:pay_settings")


@require_POST
@staff_view("payments.manage")
def pay_settings_simulated(request: HttpRequest) -> HttpResponse:
    if settings.WECHAT_MODE != "simulator":
        return _settings_page(request, status=404)
    try:
        pay_settings_create_simulated(merchant=request.merchant, actor=actor_of(request))  # type: ignore[attr-defined]
    except WeloopError as error:
        return _settings_page(request, error=error, status=error.status)
    messages.success(request, gettext("This merchant now pays through the simulator."))
    return redirect("dashboard:pay_settings")


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


@staff_view("payments.manage")
def payment_ledger(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    form = DayForm(request.GET)
    day = form.cleaned_data.get("day") if form.is_valid() else None
    start, end = _day_bounds(day) if day else (None, None)
    entries = selectors.ledger_entries(merchant=merchant, start=start, end=end)
    context = {
        "form": form,
        "day": day,
        "page": Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
        "balance": selectors.ledger_balance(merchant=merchant),
    }
    return render_page(request, "dashboard/payments/ledger.html", context)


@staff_view("payments.manage")
def payment_reconciliation(request: HttpRequest) -> HttpResponse:
    """The day's report. Opening it queries WeChat about the day's WeChat payments (and repairs any we missed)."""
    merchant = request.merchant  # type: ignore[attr-defined]
    form = DayForm(request.GET)
    today = timezone.localdate(clock.now())
    day = (form.cleaned_data.get("day") if form.is_valid() else None) or today
    if day > today:
        day = today
    report = reconciliation_report(merchant=merchant, day=day)
    context = {
        "form": DayForm(initial={"day": day}),
        "day": day,
        "report": report,
        "methods": [(PaymentMethod(k).label, v) for k, v in report["methods"].items()],
    }
    return render_page(request, "dashboard/payments/reconciliation.html", context)
